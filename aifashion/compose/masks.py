"""Garment masks: one converter for every accepted form, resizing, and inward feathering.

:func:`as_mask` is the one converter: bool, uint8, float or PIL in, float32 [0, 1] out, or
uint8 0..255 with ``dtype=np.uint8`` (exactly ``round(255 * the float32 form)``, computed
without a float round trip for bool and uint8 input). :func:`feather_mask` softens the edge
inwards in 8 bits, like the alpha channel it feeds; :func:`feather8` is its uint8 core, confined
to the mask's bounding box, which :func:`aifashion.compose.prepare_garment` uses directly.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from aifashion.compose.arrays import ImageLike, strips

__all__ = ["as_mask", "resize_mask", "default_feather", "feather_mask"]

Box = tuple[int, int, int, int]


def as_mask(mask: ImageLike, shape: tuple[int, int] | None = None, dtype=np.float32) -> np.ndarray:
    """Coerce a mask to (H, W): float32 in [0, 1], or uint8 in 0..255 with ``dtype=np.uint8``.

    Accepts bool arrays, uint8 arrays (0..255), float arrays (clipped to [0, 1]; NaN counts as 0)
    and PIL images (any mode; converted to ``L``), HxW or HxWx1. The uint8 form is
    ``round(255 * float form)``: bool and uint8 masks pass through without a float round trip.
    If ``shape`` is given the mask must have that (H, W) shape; a mismatch raises ``ValueError``
    (resize it yourself, e.g. with :func:`resize_mask`).
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.uint8):
        raise ValueError(f"as_mask gives float32 or uint8 masks, not {dtype}")
    if isinstance(mask, Image.Image):
        mask = np.asarray(mask.convert("L"))
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f"a mask must be HxW, not {arr.shape}")
    if arr.dtype == np.bool_:
        out = arr.view(np.uint8) * np.uint8(255) if dtype == np.uint8 else arr.astype(np.float32)
    elif arr.dtype == np.uint8:
        out = arr if dtype == np.uint8 else arr.astype(np.float32) * np.float32(1 / 255)
    elif np.issubdtype(arr.dtype, np.floating):
        out = _float_to_u8(arr) if dtype == np.uint8 else np.fmin(np.fmax(arr.astype(np.float32, copy=False), 0.0), 1.0)
    else:
        raise ValueError(f"a mask must be bool, uint8 or float, not {arr.dtype}")
    if shape is not None and out.shape != tuple(shape):
        raise ValueError(f"the mask is {out.shape[1]}x{out.shape[0]} but the garment is {shape[1]}x{shape[0]}")
    return out


def _float_to_u8(arr: np.ndarray) -> np.ndarray:
    """Float (H, W) -> uint8 round(255 * clip(x, 0, 1)) (NaN -> 0), band by band."""
    out = np.empty(arr.shape, np.uint8)
    for ys, ye in strips(0, arr.shape[0], arr.shape[1]):
        x = np.multiply(arr[ys:ye], np.float32(255.0), dtype=np.float32)
        np.fmax(x, np.float32(0.0), out=x)  # fmax maps NaN to 0
        np.fmin(x, np.float32(255.0), out=x)
        x += np.float32(0.5)
        np.copyto(out[ys:ye], x, casting="unsafe")
    return out


def resize_mask(mask: ImageLike, height: int, width: int) -> np.ndarray:
    """Resize a mask (any form :func:`as_mask` accepts) to float32 (height, width) in [0, 1], bilinear."""
    m = as_mask(mask)
    if m.shape == (height, width):
        return m
    img = Image.fromarray(m, mode="F").resize((width, height), Image.BILINEAR)
    return np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)


def default_feather(height: int, width: int) -> float:
    """Default feather width in pixels: 0.4 % of the longest side (4.1 px at 1024), at least 1.5."""
    return max(1.5, 0.004 * max(height, width))


def feather_mask(mask: ImageLike, feather: float | None = None) -> np.ndarray:
    """Soften a garment mask's edge *inwards*: float32 (H, W) in [0, 1], in steps of 1/255.

    ``alpha = min(mask, clip(2 * boxblur(mask, r) - 1, 0, 1))`` with a (2r + 1)-pixel square box,
    ``r = round(feather)`` (at least 1): on a straight edge alpha ramps linearly from 0 at the
    boundary to 1 at ``r`` pixels inside, and it is never larger than the mask, so every pixel
    where the mask is 0 stays exactly 0 (the photo outside the garment is untouched). Parts
    thinner than 2 r stay semi-transparent; the frame border counts as garment where the mask
    touches it (the box is edge-clamped), so a garment cut by the photo's edge is not faded there.
    ``mask``: any form :func:`as_mask` accepts. ``feather`` is in pixels; None picks
    :func:`default_feather`; 0 returns ``as_mask(mask)`` as it is.
    It is computed in 8 bits, like the alpha channel it feeds.
    """
    if feather == 0:
        return as_mask(mask)
    m8 = as_mask(mask, dtype=np.uint8)
    alpha8 = np.zeros(m8.shape, np.uint8)
    a8, box = feather8(m8, feather)
    if box is not None:
        alpha8[box[0] : box[1], box[2] : box[3]] = a8
    return alpha8 * np.float32(1 / 255)


def bbox(m: np.ndarray, pad: int = 0) -> Box | None:
    """(y0, y1, x0, x1) of the nonzero pixels of a 2-D array, grown by ``pad``; None if empty."""
    rows = np.flatnonzero(m.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(m[rows[0] : rows[-1] + 1].any(axis=0))
    H, W = m.shape
    return (
        max(0, int(rows[0]) - pad),
        min(H, int(rows[-1]) + 1 + pad),
        max(0, int(cols[0]) - pad),
        min(W, int(cols[-1]) + 1 + pad),
    )


def feather_radius(feather: float | None, shape: tuple[int, int]) -> int:
    """Feather width in pixels (None: the default) -> the box half-width r (0: no feathering)."""
    if feather is None:
        feather = default_feather(*shape)
    if not isinstance(feather, (int, float)) or not math.isfinite(feather) or feather < 0:
        raise ValueError(f"feather must be >= 0 pixels, not {feather!r}")
    return 0 if feather == 0 else max(1, int(math.floor(feather + 0.5)))


def _box_sum(src: np.ndarray, r: int, h: int, w: int) -> np.ndarray:
    """Sums over (2r + 1)^2 windows of an edge-padded (h + 2r, w + 2r) array -> (h, w).

    Small windows: 2 (2r + 1) shifted in-place adds (flat, cache-friendly passes); large ones:
    differences of cumulative sums. uint16 holds 255 (2r + 1)^2 up to r = 7; uint32 beyond.
    """
    dt = np.uint16 if 255 * (2 * r + 1) ** 2 < 1 << 16 else np.uint32
    if r <= 8:
        s = src.astype(dt)
        acc = s[:, 0:w].copy()  # horizontal pass
        for k in range(1, 2 * r + 1):
            acc += s[:, k : k + w]
        out = acc[0:h].copy()  # vertical pass
        for k in range(1, 2 * r + 1):
            out += acc[k : k + h]
        return out
    c = np.zeros((src.shape[0], src.shape[1] + 1), np.uint32)
    np.cumsum(src, axis=1, dtype=np.uint32, out=c[:, 1:])
    hs = c[:, 2 * r + 1 :] - c[:, :w]
    c = np.zeros((hs.shape[0] + 1, w), np.uint32)
    np.cumsum(hs, axis=0, dtype=np.uint32, out=c[1:])
    return c[2 * r + 1 :] - c[:h]


def feather8(m8: np.ndarray, feather: float | None) -> tuple[np.ndarray, Box | None]:
    """Feathered alpha of a uint8 (H, W) mask, as uint8 (y1 - y0, x1 - x0) over its bounding box.

    Returns (alpha, box) with box = (y0, y1, x0, x1) of the mask's nonzero pixels (None and a
    (0, 0) alpha when the mask is empty); alpha is 0 everywhere outside the box. See
    :func:`feather_mask` for the ramp.
    """
    r = feather_radius(feather, m8.shape)
    box = bbox(m8)
    if box is None:
        return np.zeros((0, 0), np.uint8), None
    y0, y1, x0, x1 = box
    m = m8[y0:y1, x0:x1]
    if r == 0:
        return m.copy(), box
    H, W = m8.shape
    h, w = y1 - y0, x1 - x0
    # the box grown by r, clamped to the frame, then edge-padded to a full r on every side: inside
    # the frame the padding repeats zero rows and columns, at the frame border it clamps like a blur
    gy0, gy1, gx0, gx1 = max(0, y0 - r), min(H, y1 + r), max(0, x0 - r), min(W, x1 + r)
    pad = ((r - (y0 - gy0), r - (gy1 - y1)), (r - (x0 - gx0), r - (gx1 - x1)))
    src = np.pad(m8[gy0:gy1, gx0:gx1], pad, mode="edge")
    s = _box_sum(src, r, h, w)
    # ramp: clip(2 * s / N - 255, 0, 255), rounded; N = (2r + 1)^2
    f = np.multiply(s, np.float32(2.0 / (2 * r + 1) ** 2), dtype=np.float32)
    f -= np.float32(254.5)
    np.clip(f, np.float32(0.0), np.float32(255.0), out=f)
    alpha = f.astype(np.uint8)
    np.minimum(alpha, m, out=alpha)
    return alpha, box
