"""Image helpers of the dashboard (no widgets, no state): resizing and encoding for the page, the
3 x 3 swatch, the mask overlay, the download encoders and an upload's file. PIL RGB or uint8
``HxWx3`` arrays in, as documented."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

#: Download formats: name -> (PIL format, MIME type, file suffix).
DOWNLOAD_FORMATS = {"PNG": ("PNG", "image/png", "png"), "JPEG": ("JPEG", "image/jpeg", "jpg")}


def fit_within(img: Image.Image, longest: int) -> Image.Image:
    """Downscale ``img`` (never upscale) so that its longest side is at most ``longest``."""
    w, h = img.size
    if max(w, h) <= longest:
        return img
    s = longest / max(w, h)
    return img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BILINEAR)


def page_jpeg(img: Image.Image, longest: int) -> bytes:
    """``img`` as the page shows it: JPEG (quality 88), longest side at most ``longest``."""
    return encode_image(fit_within(img, longest), "JPEG", quality=88)


def uploaded_file(files) -> tuple[str, bytes]:
    """(name, content) of a ``FileUpload`` value's first file (ipywidgets 8 tuple or 7 dict)."""
    f = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
    return f["name"], bytes(f["content"])


def tiled_swatch(tile: Image.Image, reps: int = 3, size: int | None = None) -> Image.Image:
    """Repeat ``tile`` ``reps`` x ``reps`` times (optionally resized so the swatch is ``size``
    pixels square) -- a seamless tile shows no seam at the joins."""
    if size is not None:
        t = max(1, size // reps)
        tile = tile.resize((t, t), Image.BILINEAR) if tile.size != (t, t) else tile
    w, h = tile.size
    out = Image.new("RGB", (w * reps, h * reps))
    for i in range(reps):
        for j in range(reps):
            out.paste(tile, (j * w, i * h))
    return out


def mask_overlay(image: Image.Image, mask: np.ndarray, color=(0, 200, 255), alpha: float = 0.5) -> Image.Image:
    """Tint ``image`` with ``color`` where ``mask`` (float HxW in [0, 1]) is on; PIL RGB out."""
    arr = np.asarray(image, dtype=np.float32)
    m = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)[..., None] * alpha
    out = arr * (1.0 - m) + np.asarray(color, np.float32) * m
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


def encode_image(img: Image.Image | np.ndarray, fmt: str = "PNG", quality: int = 92, dpi: float | None = None) -> bytes:
    """Encode an RGB image as PNG or JPEG bytes (``fmt`` is a key of ``DOWNLOAD_FORMATS``), with its
    print resolution ``dpi`` in the file when given."""
    if isinstance(img, np.ndarray):
        img = Image.fromarray(img, "RGB")
    fmt = fmt.upper()
    if fmt not in DOWNLOAD_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(DOWNLOAD_FORMATS)}")
    buf = io.BytesIO()
    extra = {} if dpi is None else {"dpi": (float(dpi), float(dpi))}
    if fmt == "PNG":
        # compress_level 1: ~3x faster than the default 6 for ~10% more bytes.
        img.save(buf, "PNG", compress_level=1, **extra)
    else:
        img.save(buf, "JPEG", quality=quality, subsampling=0 if quality >= 90 else 2, **extra)
    return buf.getvalue()


#: the largest pattern file the dashboard renders (px a side)
MAX_DOWNLOAD_SIZE = 4096


def pattern_file(
    generator,
    category: str,
    seed: int,
    size: int,
    mix=None,
    fmt: str = "PNG",
    palette: str | None = None,
    repeat: str = "straight",
    dpi: float | None = None,
) -> tuple[bytes, str]:
    """Render a pattern at ``size`` (16..4096 px, by ``generator``, not upscaled; ``mix`` a
    ``(category, weight)`` or None; recoloured to ``palette`` if given) as a print-ready ``repeat``
    unit (:func:`aifashion.repeat.repeat_unit`) with ``dpi`` in the file, encoded as ``fmt``;
    returns (bytes, file name). Not cached: big renders are one-offs."""  # fmt: skip
    from aifashion.repeat import check_dpi, repeat_unit

    size = int(size)
    if not 16 <= size <= MAX_DOWNLOAD_SIZE:
        raise ValueError(f"pattern size must be between 16 and {MAX_DOWNLOAD_SIZE}, not {size}")
    if mix is not None and float(mix[1]) <= 0.0:
        mix = None
    img = generator.render(category, int(seed), size, mix=mix)
    if palette is not None:  # recoloured here (as render(palette=) does): any generator object works
        from aifashion.gan.palette import recolor

        img = recolor(img, palette)
    suffix = DOWNLOAD_FORMATS[fmt.upper()][2]
    mixname = f"-{mix[0]}{round(float(mix[1]) * 100)}" if mix is not None else ""
    palname = f"-{palette}" if palette is not None and "#" not in palette else ""
    rep = "" if repeat == "straight" else f"-{repeat}"
    data = encode_image(repeat_unit(img, repeat), fmt, dpi=None if dpi is None else check_dpi(dpi))
    return data, f"pattern-{category}{mixname}{palname}{rep}-seed{int(seed)}-{size}.{suffix}"
