"""The garment's light and the blend modes that put a pattern under it, in 8.8 fixed point.

Shading ``s`` is a float32 map, ~1.0 at the garment's typical brightness (below 1: shadows and
folds, above: highlights), either derived from the photo (:func:`shading_from_photo`: from its
8-bit luma, so a 256-entry table per garment) or given (``Garment.shading`` of a drawn flat).

A blend mode (the ``BLEND_MODES`` registry: 'shade', 'multiply', 'flat') maps shading to a
per-pixel affine map of the pattern, ``composite = pattern * A + B``. Contract: A >= 0, B >= 0
and 255 * A + B <= 255, so the composite of any uint8 pattern stays in 0..255
(:func:`blend_coefficients` clips A and B to enforce it). Being affine per pixel keeps every
3-channel operation down to one multiply-add; the feathered blend with the photo folds into the
same map (:func:`fold_alpha`, :func:`photo_weight`), all in 8.8 fixed point (uint16).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from aifashion.compose.arrays import ImageLike, repeat3, rgb_array
from aifashion.compose.intrinsic import intrinsic_shading
from aifashion.compose.masks import as_mask
from aifashion.registry import Registry

__all__ = ["SHADING_EPS", "SHADINGS", "BLEND_MODES", "shading_from_photo"]

#: Keeps the shading of dark garments bounded: s = (L + eps) / (median L + eps).
SHADING_EPS = 0.15


# --------------------------------------------------------------------------------------------
# shading
# --------------------------------------------------------------------------------------------
def shading_from_photo(
    image: ImageLike, mask: ImageLike, strength: float = 1.0, eps: float = SHADING_EPS
) -> np.ndarray:
    """The garment's light as a float32 (H, W) map, ~1.0 at its typical brightness.

    ``image``: PIL or uint8 (H, W, 3); ``mask``: any form :func:`~aifashion.compose.as_mask`
    accepts, (H, W).
    ``s = (L + eps) / (median(L inside the mask) + eps)`` with L the Rec. 601 luminance in
    [0, 1] (8-bit); ``eps`` keeps dark garments from exploding into white. ``strength`` blends
    towards 1.0 (0 = flat, 1 = the photo's own contrast). Values < 1 are shadows and folds,
    > 1 highlights. Outside the mask the map is still defined but unused.
    """
    img = rgb_array(image, "garment")
    m8 = as_mask(mask, img.shape[:2], dtype=np.uint8)
    lum8 = luma8(img)
    return shading_lut(lum8, m8, strength, eps)[lum8]


#: Where a photo's shading comes from, by name: 'photo' (its luminance as it is, print included:
#: for drawn flats) and 'intrinsic' (:func:`~aifashion.compose.intrinsic.intrinsic_shading`: the
#: folds, seams and edges kept, the print taken out -- the default for photos). Each maps
#: (image, mask, strength=1.0) to a float32 (H, W) map.
SHADINGS: Registry[Callable[..., np.ndarray]] = Registry("shading")
SHADINGS.add("photo", shading_from_photo)
SHADINGS.add("intrinsic", intrinsic_shading)


def luma8(img: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of uint8 (h, w, 3) as uint8 (h, w), via PIL's fixed-point "L" conversion."""
    return np.asarray(Image.fromarray(np.ascontiguousarray(img)).convert("L"))


def shading_lut(lum8: np.ndarray, m8: np.ndarray, strength: float, eps: float) -> np.ndarray:
    """float32 (256,) map from 8-bit luma to shading, normalised by the median luma in the mask.

    ``lum8``, ``m8``: uint8 (h, w) luma and mask; the median is taken on a lattice of ~65k
    pixels where the mask is > 127 (else where it is > 0, else everywhere).
    """
    step = max(1, int(math.sqrt(m8.size / 65536)))
    sub = m8[::step, ::step] > 127
    vals = lum8[::step, ::step][sub] if sub.any() else lum8[m8 > 0] if m8.any() else lum8.ravel()
    cdf = np.cumsum(np.bincount(vals, minlength=256))  # median of 8-bit values via a histogram
    ref = float(np.searchsorted(cdf, (cdf[-1] + 1) // 2)) / 255.0
    levels = np.arange(256, dtype=np.float64) / 255.0
    lut = (levels + eps) / (ref + eps)
    return (1.0 - strength + strength * lut).astype(np.float32)


# --------------------------------------------------------------------------------------------
# blend modes: shading s (float32 (h, w)) -> per-pixel affine (A, B), composite = pattern * A + B
# --------------------------------------------------------------------------------------------
BLEND_MODES: Registry[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = Registry("blend mode")


@BLEND_MODES.register("shade")
def _blend_shade(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multiply by the shadows (s < 1), then screen the highlights (s > 1) on top: cloth-like.

    With d = min(s, 1), h = clip(s - 1, 0, 0.5): p * d + h * (255 - p * d) = p * d(1 - h) + 255 h.
    Highlights go at most half-way to white, so a glossy spot never erases the pattern.
    """
    d = np.minimum(s, np.float32(1.0))
    h = np.clip(s - np.float32(1.0), 0.0, 0.5)
    return d * (np.float32(1.0) - h), h * np.float32(255.0)


@BLEND_MODES.register("multiply")
def _blend_multiply(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multiply by the shadows only; highlights never lighten the pattern."""
    return np.minimum(s, np.float32(1.0)), np.zeros_like(s)


@BLEND_MODES.register("flat")
def _blend_flat(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """No shading at all (a flat paste, but tiled and feathered)."""
    return np.ones_like(s), np.zeros_like(s)


def blend_coefficients(blend_fn, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a blend mode to shading ``s`` and enforce its contract: float32 A in [0, 1] and
    0 <= B <= 255 (1 - A), shaped like ``s``."""
    A, B = blend_fn(np.asarray(s, np.float32))
    A = np.clip(A, 0.0, 1.0).astype(np.float32, copy=False)
    B = np.clip(B, 0.0, np.float32(255.0) * (np.float32(1.0) - A)).astype(np.float32, copy=False)
    return A, B


# --------------------------------------------------------------------------------------------
# 8.8 fixed point: the blend and the feathered mix with the photo as integer multiply-adds
# --------------------------------------------------------------------------------------------
def fixed_point(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A, B -> uint16 8.8 fixed point A16, B16 with rounding folded into B16:
    shaded pattern = (tile * A16 + B16) >> 8.

    255 * A16 + B16 <= 256 * (255 A + B) + 127.5 + 127 <= 65534.5: the uint16 sum cannot wrap.
    """
    A16 = (A * np.float32(256.0) + np.float32(0.5)).astype(np.uint16)
    B16 = (B * np.float32(256.0) + np.float32(127.0)).astype(np.uint16)
    return A16, B16


def fold_alpha(A16: np.ndarray, B16: np.ndarray, a8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint16 A16, B16 and uint8 alpha (broadcastable) -> uint16 floor(a A16),
    floor(a (B16 - 127)) + 127 with a = alpha / 255 in float32 (exactly 0 and 1 at 0 and 255)."""
    a = np.divide(a8, np.float32(255.0), dtype=np.float32)
    f = np.multiply(A16, a, dtype=np.float32)
    np.floor(f, out=f)
    A = f.astype(np.uint16)
    f = np.subtract(B16, np.float32(127.0), dtype=np.float32)
    f = f * a
    np.floor(f, out=f)
    f += np.float32(127.0)
    return A, f.astype(np.uint16)


def photo_weight(a8: np.ndarray) -> np.ndarray:
    """uint8 alpha -> uint16 floor(256 (1 - alpha / 255)) = 255 - alpha + (alpha == 0), the
    photo's weight in 8.8 fixed point (256 at alpha 0, 0 at 255)."""
    W = np.subtract(np.uint16(255), a8, dtype=np.uint16)
    W += a8 == 0
    return W


def interleave(A: np.ndarray, B: np.ndarray, photo: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint16 (n, w) A, B, W and uint8 (n, w, 3) photo -> uint16 (n, w, 3) A3 = A and
    B3 = B + photo * W per channel, for :func:`affine_into`."""
    B3 = np.multiply(photo, repeat3(W), dtype=np.uint16)
    B3 += repeat3(B)
    return repeat3(A), B3


def affine_into(dst: np.ndarray, tile: np.ndarray, A3: np.ndarray, B3: np.ndarray) -> None:
    """dst = (tile * A3 + B3) >> 8 as uint8: uint8 (n, w, 3) tile, uint16 (n, w, 3) A3 and B3
    with 255 A3 + B3 < 2**16 (so the uint16 sum cannot wrap); flat passes only."""
    comp = np.multiply(tile, A3, dtype=np.uint16)
    comp += B3
    comp >>= np.uint8(8)
    np.copyto(dst, comp, casting="unsafe")
