"""The one safe way to open an image that came from a user, a download or a data set.

``open_image`` enforces a byte cap and a pixel cap (decompression bombs are refused before
decoding), honours EXIF orientation, converts any mode (CMYK, 16-bit, palette, LA, RGBA) to
8-bit RGB, and raises :class:`ImageError` with one clear sentence for anything it refuses.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20_000_000  # 20 MB
MAX_PIXELS = 40_000_000  # 40 megapixels
UPLOAD_FORMATS = ("JPEG", "PNG", "WEBP")

ImageSource = str | os.PathLike | bytes | bytearray | BinaryIO | Image.Image | np.ndarray


class ImageError(ValueError):
    """An image that cannot or may not be opened; the message is meant for the user."""


def _read_bytes(src, max_bytes: int) -> bytes:
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
    elif isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.is_file():
            raise ImageError(f"{path} is not a file")
        size = path.stat().st_size
        if size > max_bytes:
            raise ImageError(f"{path.name} is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
        data = path.read_bytes()
    else:  # file-like
        data = src.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageError(f"the file is over the {max_bytes / 1e6:.0f} MB limit")
    if not data:
        raise ImageError("the file is empty")
    return data


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB (alpha composited on white, 16-bit scaled to 8-bit)."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr8 = np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(arr8, "L").convert("RGB")
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr8 = ((arr - lo) / (hi - lo + 1e-12) * 255.0 + 0.5).astype(np.uint8)
        return Image.fromarray(arr8, "L").convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def array_to_image(arr: np.ndarray) -> Image.Image:
    """Turn an HxW or HxWxC array (uint8, uint16, or float in [0, 1]) into an RGB PIL image."""
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ImageError(f"an image array must be HxW, HxWx3 or HxWx4, not {arr.shape}")
    if arr.dtype == np.uint16:
        arr = (arr.astype(np.float64) / 65535.0 * 255.0 + 0.5).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating):
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return to_rgb(Image.fromarray(arr))


def open_image(
    src: ImageSource,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    formats: tuple[str, ...] | None = None,
) -> Image.Image:
    """Open ``src`` safely and return an RGB PIL image with EXIF orientation applied.

    Args:
        src: a path, raw bytes, a binary file object, a PIL image, or an array
            (HxW / HxWx3 / HxWx4; uint8, uint16 or float in [0, 1]).
        max_bytes: refuse encoded files larger than this.
        max_pixels: refuse images with more pixels than this, read from the header before
            any pixel is decoded (decompression-bomb guard).
        formats: allowed PIL format names (e.g. ``UPLOAD_FORMATS``); None allows any.

    Returns:
        A fully loaded ``PIL.Image.Image`` in mode ``"RGB"`` (uint8, 0..255).

    Raises:
        ImageError: with a message fit to show a user.
    """
    if isinstance(src, np.ndarray):
        return array_to_image(src)
    if isinstance(src, Image.Image):
        img = src
        if img.width * img.height > max_pixels:
            raise ImageError(
                f"the image has {img.width * img.height / 1e6:.1f} megapixels; the limit is {max_pixels / 1e6:.0f}"
            )
        return to_rgb(ImageOps.exif_transpose(img) or img)
    data = _read_bytes(src, max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format
            if formats is not None and fmt not in formats:
                raise ImageError(f"{fmt or 'this'} files are not accepted; use {', '.join(formats)}")
            w, h = img.size
            if w * h > max_pixels:
                raise ImageError(
                    f"the image is {w}x{h} ({w * h / 1e6:.1f} megapixels); the limit is {max_pixels / 1e6:.0f}"
                )
            if w < 1 or h < 1:
                raise ImageError("the image has no pixels")
            img.load()
            img = ImageOps.exif_transpose(img) or img
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"the image is too large to decode safely ({exc})") from None
    except UnidentifiedImageError:
        raise ImageError("the file is not an image that can be read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"the image is damaged or truncated ({exc})") from None
    return to_rgb(img)


def image_to_array(img: Image.Image) -> np.ndarray:
    """RGB PIL image -> uint8 array of shape (H, W, 3), values 0..255."""
    return np.asarray(to_rgb(img), dtype=np.uint8)
