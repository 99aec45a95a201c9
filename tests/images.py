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
