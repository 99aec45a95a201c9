"""Real image files made in the tests: valid PNG and JPEG encodings, of any size."""

from __future__ import annotations

import io
import os
import struct
import zlib

from PIL import Image


def png(width: int = 4, height: int = 3, seed: int = 0) -> bytes:
    """A valid RGB PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(((x * 40 + y * 7 + seed) % 256) for x in range(width * 3)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def png_of_size(size: int) -> bytes:
    """A PNG of exactly `size` bytes: a small image followed by an ancillary chunk of random bytes."""
    image = png()
    padding = size - len(image) - 12
    assert padding >= 0
    data = os.urandom(padding)
    filler = struct.pack(">I", padding) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    return image[:-12] + filler + image[-12:]


def jpeg(width: int = 16, height: int = 12) -> bytes:
    """A real JPEG, encoded by Pillow."""
    image = Image.new("RGB", (width, height))
    image.putdata([((x * 16) % 256, (y * 20) % 256, 128) for y in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def decodes(data: bytes) -> str:
    """The format a real decoder sees in `data`."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return str(image.format)


def photo(width: int, height: int, image_format: str = "JPEG", **options: object) -> bytes:
    """A noisy picture, as hard to compress as a real photo: its thumbnail is far smaller than it."""
    image = Image.effect_noise((width, height), 64).convert("RGB")
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def animated_gif(width: int, height: int, frames: int) -> bytes:
    images = [Image.effect_noise((width, height), 40 + i).convert("P") for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:])
    return out.getvalue()


def decoded_size(data: bytes) -> tuple[str, int, int]:
    """The format and pixel size a real decoder sees in `data` (decoding every pixel)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return str(image.format), image.width, image.height


def png_declaring(width: int, height: int) -> bytes:
    """A small, well-formed PNG whose header declares width × height pixels: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # The first rows of zero pixels, compressed: a few kilobytes that would inflate to gigabytes.
    rows = zlib.compress(b"\x00" * (1 + 3 * width) * 40, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def flickering_gif(width: int, height: int, frames: int) -> bytes:
    """An animation of whole black and white frames: small on disk, width × height × frames pixels to decode."""
    images = []
    for i in range(frames):
        frame = Image.new("P", (width, height), color=i % 2)
        frame.putpalette([0, 0, 0, 255, 255, 255])
        images.append(frame)
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:])
    return out.getvalue()
