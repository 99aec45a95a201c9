"""What an upload really is: Pillow decodes it whole before it is accepted, and makes its thumbnail."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image, ImageOps

from internal.common.errors import InvalidArgument, too_large

# Header-checked before any pixel is decoded: a 40-megapixel RGBA frame is already 160 MB of memory.
PIXELS_MAX = 40_000_000
# Every frame of an animation is decoded to prove it whole; this bounds the work an upload can ask for.
ANIMATION_PIXELS_MAX = 4 * PIXELS_MAX
THUMBNAIL_BOX = (320, 320)
THUMBNAIL_CONTENT_TYPE = "image/webp"

_PILLOW_FORMATS = {"image/png": ("PNG",), "image/jpeg": ("JPEG", "MPO"), "image/gif": ("GIF",), "image/webp": ("WEBP",)}
_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP"}
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Inspected:
    """An accepted image: its type by its bytes, its size as shown (EXIF orientation applied), its thumbnail."""

    content_type: str
    width: int
    height: int
    thumbnail: Thumbnail


def sniff_content_type(data: bytes) -> str | None:
    """The image type by its first bytes, whatever the caller claims."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def inspect(data: bytes, declared: str = "") -> Inspected:
    """Accept `data` only if it is one whole PNG, JPEG, GIF or WebP image of bounded size, or raise a 400/413.

    CPU-bound (it decodes every pixel): call it off the event loop.
    """
    content_type = sniff_content_type(data)
    if content_type is None:
        raise InvalidArgument("base64 is not a PNG, JPEG, GIF or WebP image")
    name = _NAMES[content_type]
    if declared and declared != content_type:
        raise InvalidArgument(f"content_type is {declared} but the bytes are a {name} image")
    try:
        image = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS[content_type])
    except Image.DecompressionBombError:
        raise too_large(
            f"the {name} image declares a size far beyond the limit of {PIXELS_MAX // 1_000_000} megapixels"
        ) from None
    except Exception:
        raise InvalidArgument(f"base64 is not a readable {name} image") from None
    with image:
        width, height = image.size
        if width * height > PIXELS_MAX:
            raise too_large(
                f"the image is {width}×{height} pixels; the limit is {PIXELS_MAX // 1_000_000} megapixels"
            )
        end = _image_end(data, content_type, image)
        if end > len(data):
            raise InvalidArgument(f"base64 is a truncated {name} image")
        if end < len(data):
            raise InvalidArgument(f"base64 has {len(data) - end} bytes after the end of its {name} image")
        _decode_every_frame(image, name)
        image.seek(0)
        return Inspected(content_type, *_shown_size(image), _thumbnail(image))


def thumbnail_of(data: bytes) -> Inspected:
    """Size and thumbnail of an image accepted before thumbnails existed (already checked on upload)."""
    content_type = sniff_content_type(data)
    if content_type is None:
        raise InvalidArgument("the stored picture is not a PNG, JPEG, GIF or WebP image")
    with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS[content_type]) as image:
        if image.width * image.height > PIXELS_MAX:
            raise too_large(f"the stored image is {image.width}×{image.height} pixels")
        return Inspected(content_type, *_shown_size(image), _thumbnail(image))


def _decode_every_frame(image: Image.Image, name: str) -> None:
    frames = int(getattr(image, "n_frames", 1))
    width, height = image.size
    if frames * width * height > ANIMATION_PIXELS_MAX:
        raise too_large(
            f"the animation is {frames} frames of {width}×{height} pixels; the limit is "
            f"{ANIMATION_PIXELS_MAX // 1_000_000} megapixels in all"
        )
    try:
        for frame in range(frames):
            image.seek(frame)
            image.load()
    except Exception:
        # Pillow raises OSError, SyntaxError, ValueError, EOFError or struct.error for broken data.
        raise InvalidArgument(f"base64 is a truncated or corrupt {name} image") from None


def _shown_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    # Orientations 5 to 8 turn the picture a quarter: browsers show it height × width.
    return (height, width) if image.getexif().get(_ORIENTATION) in (5, 6, 7, 8) else (width, height)


def _thumbnail(image: Image.Image) -> Thumbnail:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode != ("RGBA" if has_alpha else "RGB"):
        # Before resizing: palette images would otherwise be resized nearest-neighbour.
        image = image.convert("RGBA" if has_alpha else "RGB")
    # In place, so a 40-megapixel picture is not copied at full size; for a JPEG not decoded yet this also
    # decodes at a reduced DCT scale, several times faster.
    image.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
    small = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    small.save(out, format="WEBP", quality=80, method=4)
    return Thumbnail(out.getvalue(), THUMBNAIL_CONTENT_TYPE, small.width, small.height)


def _image_end(data: bytes, content_type: str, image: Image.Image) -> int:
    """Where the image's own structure ends; past len(data) when it is cut short."""
    try:
        if content_type == "image/png":
            return _png_end(data)
        if content_type == "image/gif":
            return _gif_end(data)
        if content_type == "image/webp":
            size = struct.unpack_from("<I", data, 4)[0]
            return 8 + size + (size & 1)
        end = _jpeg_end(data, 0)
        if image.format == "MPO":
            # A multi-picture JPEG (many phone cameras) keeps its other pictures right after the first one.
            for _ in range(int(getattr(image, "n_frames", 1)) - 1):
                end = _jpeg_end(data, end)
        return end
    except (struct.error, IndexError, ValueError):
        return len(data) + 1


def _png_end(data: bytes) -> int:
    offset = 8
    while True:
        length, kind = struct.unpack_from(">I4s", data, offset)
        offset += 12 + length
        if kind == b"IEND":
            return offset
        if offset > len(data):
            return offset


def _gif_end(data: bytes) -> int:
    def skip_sub_blocks(offset: int) -> int:
        while (size := data[offset]) != 0:
            offset += 1 + size
        return offset + 1

    def colour_table(flags: int) -> int:
        return 3 * (2 << (flags & 7)) if flags & 0x80 else 0

    offset = 13 + colour_table(data[10])
    while True:
        block = data[offset]
        if block == 0x3B:  # trailer
            return offset + 1
        if block == 0x21:  # extension: label, then sub-blocks
            offset = skip_sub_blocks(offset + 2)
        elif block == 0x2C:  # image descriptor, colour table, LZW code size, then sub-blocks
            offset = skip_sub_blocks(offset + 10 + colour_table(data[offset + 9]) + 1)
        else:
            raise IndexError("not a GIF block")


def _jpeg_end(data: bytes, start: int) -> int:
    if data[start:start + 2] != b"\xff\xd8":
        raise IndexError("not a JPEG start of image")
    offset = start + 2
    while True:
        if data[offset] != 0xFF:
            raise IndexError("not a JPEG marker")
        while data[offset] == 0xFF:  # fill bytes
            offset += 1
        marker = data[offset]
        offset += 1
        if marker == 0xD9:  # end of image
            return offset
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        offset += struct.unpack_from(">H", data, offset)[0]
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            while True:
                offset = data.index(b"\xff", offset)
                following = data[offset + 1]
                if following not in (0x00, 0xFF) and not 0xD0 <= following <= 0xD7:
                    break
                offset += 1
