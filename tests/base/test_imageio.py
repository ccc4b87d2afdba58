"""aifashion.imageio: the one safe way to open an image -- caps, bomb guard, formats, modes, EXIF."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from aifashion.imageio import UPLOAD_FORMATS, ImageError, array_to_image, image_to_array, open_image, to_rgb


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width x height`` with a tiny (invalid) body: a bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_roundtrip_png_bytes_path_and_file_object(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (13, 17, 3), dtype=np.uint8)
    data = _encode(Image.fromarray(rgb), "PNG")
    p = tmp_path / "x.png"
    p.write_bytes(data)
    for src in (data, p, str(p), io.BytesIO(data)):
        img = open_image(src)
        assert img.mode == "RGB" and img.size == (17, 13)
        assert np.array_equal(image_to_array(img), rgb)


def test_pixel_cap_refuses_a_bomb_before_decoding():
    bomb = _png_header_only(8_000, 8_000)  # 64 megapixels claimed (over the 40 MP cap), a few bytes sent
    with pytest.raises(ImageError, match=r"8000x8000 \(64.0 megapixels\); the limit is 40"):
        open_image(bomb)
    with pytest.raises(ImageError, match="too large to decode safely"):  # PIL's own guard, reworded
        open_image(_png_header_only(60_000, 60_000))
    small = _encode(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(ImageError, match="limit is"):
        open_image(small, max_pixels=5_000)
    assert open_image(small, max_pixels=10_000).size == (100, 100)


def test_byte_cap_empty_and_missing(tmp_path):
    data = _encode(Image.new("RGB", (64, 64), (9, 9, 9)), "PNG")
    with pytest.raises(ImageError, match="limit"):
        open_image(data, max_bytes=len(data) - 1)
    p = tmp_path / "big.png"
    p.write_bytes(data)
    with pytest.raises(ImageError, match="MB"):
        open_image(p, max_bytes=10)
    with pytest.raises(ImageError, match="empty"):
        open_image(b"")
    with pytest.raises(ImageError, match="not a file"):
        open_image(tmp_path / "missing.png")


def test_format_guard_text_and_truncated():
    gif = _encode(Image.new("P", (8, 8)), "GIF")
    assert open_image(gif).size == (8, 8)  # any format by default
    with pytest.raises(ImageError, match="GIF files are not accepted; use JPEG, PNG, WEBP"):
        open_image(gif, formats=UPLOAD_FORMATS)
    with pytest.raises(ImageError, match="not an image"):
        open_image(b"hello, I am a text file pretending to be a JPEG")
    jpeg = _encode(Image.new("RGB", (256, 256), (200, 10, 10)), "JPEG")
    with pytest.raises(ImageError, match="damaged or truncated"):
        open_image(jpeg[: len(jpeg) // 3])


def test_modes_become_8bit_rgb():
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))  # fully transparent red -> white
    assert to_rgb(rgba).getpixel((0, 0)) == (255, 255, 255)
    i16 = Image.fromarray(np.full((4, 4), 65535, np.uint16))
    assert open_image(_encode(i16, "PNG")).getpixel((0, 0)) == (255, 255, 255)
    cmyk = Image.new("CMYK", (4, 4), (0, 0, 0, 0))
    assert open_image(_encode(cmyk, "JPEG")).mode == "RGB"
    assert array_to_image(np.ones((3, 5), np.float32)).getpixel((0, 0)) == (255, 255, 255)
    with pytest.raises(ImageError, match="HxW"):
        array_to_image(np.zeros((2, 3, 5), np.uint8))


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (30, 10), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    out = open_image(_encode(img, "JPEG", exif=exif))
    assert out.size == (10, 30)
