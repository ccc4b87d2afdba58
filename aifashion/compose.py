"""Put a pattern on a garment: wrap-around tiling, shading-true blending, feathered edges.

The pattern is *tiled* across the garment at a chosen scale and rotation (never stretched to
the photo), multiplied by the garment's own light (its normalised luminance, or a precomputed
shading map for drawn flats) so that folds and highlights stay visible, and blended in with a
feathered mask. Pixels outside the garment mask are returned bit-exact.

Everything is vectorised numpy and PIL (no per-pixel Python loop); work is confined to the
bounding box of the garment, in bands of rows (``STRIP_PIXELS``) so that temporaries stay
small whatever the photo size. Every blend mode is a per-pixel affine map of the pattern
(``pattern * A + B``, A and B from the shading), evaluated on channel planes in 8.8 fixed point
(uint16) for the body of the garment and in float32 on the feathered rim; with shading from the
photo, A and B are 256-entry lookup tables indexed by the 8-bit luma. ``bench/compose.py``
times it against the seed's per-pixel loop.

Public API: :func:`tile_pattern`, :func:`feather_mask`, :func:`shading_from_photo`,
:func:`try_on` -> :class:`TryOn`, the ``BLEND_MODES`` registry, and the ``aifashion tryon``
subcommand (:func:`cli_add_arguments`, :func:`cli_run`).
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Callable, Union

import numpy as np
from PIL import Image, ImageFilter

from aifashion.registry import Registry, UnknownNameError

ImageLike = Union[Image.Image, np.ndarray]

#: Keeps the shading of dark garments bounded: s = (L + eps) / (median L + eps).
SHADING_EPS = 0.15


# --------------------------------------------------------------------------------------------
# input coercion
# --------------------------------------------------------------------------------------------
def _rgb_array(image: ImageLike, what: str) -> np.ndarray:
    """PIL image (any mode) or uint8 array HxW / HxWx3 / HxWx4 -> uint8 (H, W, 3), C-contiguous."""
    if isinstance(image, Image.Image):
        from aifashion.imageio import to_rgb

        return np.ascontiguousarray(np.asarray(to_rgb(image), dtype=np.uint8))
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"{what} must be a PIL image or a uint8 array, not {arr.dtype}")
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"{what} must be HxW, HxWx3 or HxWx4, not {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{what} has no pixels")
    return np.ascontiguousarray(arr[..., :3])


def as_mask(mask: ImageLike, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Coerce a mask to float32 (H, W) in [0, 1].

    Accepts bool arrays, uint8 arrays (0..255), float arrays (clipped to [0, 1]) and PIL images
    (any mode; converted to ``L``). If ``shape`` is given the mask must have that (H, W) shape;
    a mismatch raises ``ValueError`` (resize it yourself, e.g. with :func:`resize_mask`).
    """
    if isinstance(mask, Image.Image):
        mask = np.asarray(mask.convert("L"))
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f"a mask must be HxW, not {arr.shape}")
    if arr.dtype == np.bool_:
        out = arr.astype(np.float32)
    elif arr.dtype == np.uint8:
        out = arr.astype(np.float32) * np.float32(1 / 255)
    elif np.issubdtype(arr.dtype, np.floating):
        out = np.fmin(np.fmax(arr.astype(np.float32, copy=False), 0.0), 1.0)  # NaN -> 0
    else:
        raise ValueError(f"a mask must be bool, uint8 or float, not {arr.dtype}")
    if shape is not None and out.shape != tuple(shape):
        raise ValueError(f"the mask is {out.shape[1]}x{out.shape[0]} but the garment is {shape[1]}x{shape[0]}")
    return out


def resize_mask(mask: ImageLike, height: int, width: int) -> np.ndarray:
    """Resize a mask (any form :func:`as_mask` accepts) to float32 (height, width) in [0, 1], bilinear."""
    m = as_mask(mask)
    if m.shape == (height, width):
        return m
    img = Image.fromarray(m, mode="F").resize((width, height), Image.BILINEAR)
    return np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# tiling
# --------------------------------------------------------------------------------------------
def _check_tiling_args(scale: float, rotation: float) -> None:
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, not {scale!r}")
    if not math.isfinite(rotation):
        raise ValueError(f"rotation must be a finite number of degrees, not {rotation!r}")


_LANES = np.uint32(0x00FF00FF)


def _bilinear_rgbx(pattern: np.ndarray, v0: np.ndarray, u0: np.ndarray, fv: np.ndarray,
                   fu: np.ndarray) -> np.ndarray:
    """Bilinear wrap-around samples of a uint8 (ph, pw, 3) pattern -> uint8 (h, w, 3).

    v0, u0: int32 top-left texel indices in [0, ph) x [0, pw), broadcastable to (h, w);
    fv, fu: uint32 weights of the next texel in 1/256 steps (0..256), broadcastable likewise.
    Pixels are packed as RGBX uint32 and interpolated two channels at a time in 16-bit lanes
    (R and B in one word, G and X in another: 255 * 256 + 128 < 2**16, so lanes never carry),
    which keeps every operation a flat, SIMD-friendly uint32 pass.
    """
    ph, pw = pattern.shape[:2]
    padded = np.zeros((ph + 1, pw + 1, 4), np.uint8)  # one wrapped row and column: no modulo for +1
    padded[..., :3] = np.pad(pattern, ((0, 1), (0, 1), (0, 0)), mode="wrap")
    flat = padded.view(np.uint32).reshape(-1)
    row = pw + 1
    idx = v0 * np.int32(row) + u0
    gu, gv = np.uint32(256) - fu, np.uint32(256) - fv
    half = np.uint32(0x00800080)

    def lerp(a: np.ndarray, b: np.ndarray, wa: np.ndarray, wb: np.ndarray) -> np.ndarray:
        r = a * wa
        r += b * wb
        r += half
        r >>= np.uint32(8)
        r &= _LANES
        return r

    out = None
    for shift in (0, 8):  # (R, B) lanes, then (G, X) lanes
        def texel(offset: int) -> np.ndarray:
            p = flat.take(idx + offset if offset else idx)
            if shift:
                p >>= np.uint32(shift)
            p &= _LANES
            return p

        top = lerp(texel(0), texel(1), gu, fu)
        bottom = lerp(texel(row), texel(row + 1), gu, fu)
        lanes = lerp(top, bottom, gv, fv)
        if shift:
            lanes <<= np.uint32(shift)
            out |= lanes
        else:
            out = lanes
    h, w = out.shape
    return np.ascontiguousarray(out.view(np.uint8).reshape(h, w, 4)[..., :3])


def _weights(f: np.ndarray) -> np.ndarray:
    """Fractions in [0, 1] -> uint32 fixed-point weights 0..256."""
    return (np.asarray(f, np.float32) * np.float32(256.0) + np.float32(0.5)).astype(np.uint32)


def _tile(pattern: np.ndarray, y0: int, x0: int, h: int, w: int, scale: float, rotation: float,
          offset: tuple[float, float]) -> np.ndarray:
    """Tile ``pattern`` over canvas rows y0..y0+h and columns x0..x0+w -> uint8 (h, w, 3).

    Canvas pixel centre (X, Y) = (x + 0.5, y + 0.5) maps to pattern pixel coordinates
    u = (cos t * X - sin t * Y) / scale - 0.5 + dx, v = (sin t * X + cos t * Y) / scale - 0.5 + dy,
    sampled bilinearly (8-bit fixed-point weights) with wrap-around, so any rotation leaves no gap.
    """
    ph, pw = pattern.shape[:2]
    dy, dx = float(offset[0]), float(offset[1])
    theta = math.radians(rotation % 360.0)
    c, s = math.cos(theta), math.sin(theta)
    c = 0.0 if abs(c) < 1e-12 else c
    s = 0.0 if abs(s) < 1e-12 else s
    X = np.arange(x0, x0 + w, dtype=np.float64) + 0.5
    Y = np.arange(y0, y0 + h, dtype=np.float64) + 0.5
    if s == 0.0 and c > 0:  # axis-aligned: per-row and per-column coordinates
        u = X / scale - 0.5 + dx
        v = Y / scale - 0.5 + dy
        u0f, v0f = np.floor(u), np.floor(v)
        fu, fv = u - u0f, v - v0f
        u0 = (u0f.astype(np.int64) % pw).astype(np.int32)
        v0 = (v0f.astype(np.int64) % ph).astype(np.int32)
        if not fu.any() and not fv.any():  # integer grid (scale 1): exact copy
            if np.array_equal(np.diff(u0) % pw, np.ones(w - 1, np.int64)) and \
                    np.array_equal(np.diff(v0) % ph, np.ones(h - 1, np.int64)):  # unit steps: block copies
                ox = int(u0[0])
                rows = pattern.take(v0, axis=0)  # (h, pw, 3): whole-row copies
                return np.tile(rows, (1, -(-(ox + w) // pw), 1))[:, ox:ox + w]
            return pattern.take(v0, axis=0).take(u0, axis=1)
        return _bilinear_rgbx(pattern, v0[:, None], u0[None, :], _weights(fv)[:, None], _weights(fu)[None, :])
    # general rotation: float32 coordinates (ample precision for canvas sizes up to ~10^4 px)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    k = np.float32(1.0 / scale)
    u = (np.float32(c) * k) * X32[None, :] - (np.float32(s) * k) * Y32[:, None]
    u += np.float32(dx - 0.5)
    v = (np.float32(s) * k) * X32[None, :] + (np.float32(c) * k) * Y32[:, None]
    v += np.float32(dy - 0.5)
    u -= np.float32(pw) * np.floor(u * np.float32(1.0 / pw))  # wrap into [0, pw]
    v -= np.float32(ph) * np.floor(v * np.float32(1.0 / ph))
    u0 = np.minimum(u.astype(np.int32), pw - 1)  # u >= 0: truncation is floor; guard u == pw
    v0 = np.minimum(v.astype(np.int32), ph - 1)
    u -= u0.astype(np.float32)  # the fractions, in [0, 1]
    v -= v0.astype(np.float32)
    return _bilinear_rgbx(pattern, v0, u0, _weights(v), _weights(u))


def _to_u8(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.uint8:
        return x
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def tile_pattern(pattern: ImageLike, height: int, width: int, scale: float = 1.0,
                 rotation: float = 0.0, offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Tile ``pattern`` across a ``height`` x ``width`` canvas, never stretching it.

    Args:
        pattern: the tile, PIL image or uint8 array (h, w, 3); seamless patterns tile invisibly.
        height, width: canvas size in pixels.
        scale: magnification; 1.0 draws the tile at its native size (one pattern pixel per
            canvas pixel), 2.0 draws it twice as large (the period on the canvas doubles).
        rotation: degrees, counter-clockwise on screen (rotation=90 reproduces ``np.rot90``).
        offset: (dy, dx) shift of the pattern, in pattern pixels.

    Returns:
        uint8 array (height, width, 3). With scale 1, rotation 0 and integer offset it is exactly
        ``pattern[(y + dy) % h, (x + dx) % w]``; otherwise it is sampled bilinearly with
        wrap-around, so rotated tilings have no gaps.
    """
    _check_tiling_args(scale, rotation)
    if int(height) < 1 or int(width) < 1:
        raise ValueError(f"canvas size must be positive, not {height}x{width}")
    pat = _rgb_array(pattern, "pattern")
    return np.ascontiguousarray(_to_u8(_tile(pat, 0, 0, int(height), int(width), float(scale), float(rotation),
                                             offset)))


# --------------------------------------------------------------------------------------------
# feathering and shading
# --------------------------------------------------------------------------------------------
def default_feather(height: int, width: int) -> float:
    """Default feather width in pixels: 0.4 % of the longest side (4.1 px at 1024), at least 1.5."""
    return max(1.5, 0.004 * max(height, width))


def _bbox(m: np.ndarray, pad: int = 0) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of the nonzero pixels of a 2-D array, grown by ``pad``; None if empty."""
    rows = np.flatnonzero(m.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(m[rows[0]:rows[-1] + 1].any(axis=0))
    H, W = m.shape
    return (max(0, int(rows[0]) - pad), min(H, int(rows[-1]) + 1 + pad),
            max(0, int(cols[0]) - pad), min(W, int(cols[-1]) + 1 + pad))


def feather_mask(mask: ImageLike, feather: float | None = None) -> np.ndarray:
    """Soften a garment mask's edge *inwards*: float32 (H, W) in [0, 1], in steps of 1/255.

    ``alpha = min(mask, clip(2 * boxblur(mask, feather) - 1, 0, 1))``: on a straight edge alpha
    ramps linearly from 0 at the boundary to 1 at ``feather`` pixels inside, and it is never
    larger than the mask, so every pixel where the mask is 0 stays exactly 0 (the photo outside
    the garment is untouched). Parts thinner than 2 ``feather`` stay semi-transparent.
    ``feather`` is in pixels; None picks :func:`default_feather`; 0 returns the mask as it is.
    It is computed in 8 bits (PIL's C box blur), like the alpha channel it feeds.
    """
    if feather == 0:
        return as_mask(mask)
    alpha8, _ = _feather8(_mask8(mask), feather)
    return alpha8 * np.float32(1 / 255)


#: Pixels per strip: heavy per-pixel work runs on bands of rows this large, so temporaries stay
#: in cache and are recycled by the allocator instead of being faulted in afresh for every call
#: (on VMs such as Firecracker, first-touch page faults dominated whole-image temporaries).
STRIP_PIXELS = 1 << 16


def _strips(y0: int, y1: int, width: int):
    """Yield (ys, ye) row bands covering y0..y1, each about STRIP_PIXELS pixels."""
    step = max(8, STRIP_PIXELS // max(1, width))
    for ys in range(y0, y1, step):
        yield ys, min(y1, ys + step)


def _mask8(mask: ImageLike, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Any mask form -> uint8 (H, W), 0..255 (bool and uint8 without float round trips)."""
    if isinstance(mask, Image.Image):
        mask = np.asarray(mask.convert("L"))
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.dtype == np.bool_ and arr.ndim == 2:
        out = arr.view(np.uint8) * np.uint8(255)
    elif arr.dtype == np.uint8 and arr.ndim == 2:
        out = arr
    elif arr.ndim == 2 and np.issubdtype(arr.dtype, np.floating):
        out = np.empty(arr.shape, np.uint8)
        for ys, ye in _strips(0, arr.shape[0], arr.shape[1]):
            x = np.multiply(arr[ys:ye], np.float32(255.0), dtype=np.float32)
            np.fmax(x, np.float32(0.0), out=x)  # fmax maps NaN to 0
            np.fmin(x, np.float32(255.0), out=x)
            x += np.float32(0.5)
            np.copyto(out[ys:ye], x, casting="unsafe")
    else:
        out = (as_mask(arr) * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)
    if shape is not None and out.shape != tuple(shape):
        raise ValueError(f"the mask is {out.shape[1]}x{out.shape[0]} but the garment is {shape[1]}x{shape[0]}")
    return out


#: uint8 blur value b -> clip(2 b - 255, 0, 255): the inward ramp of the feather.
_RAMP = np.clip(2 * np.arange(256) - 255, 0, 255).astype(np.uint8)


def _feather8(m8: np.ndarray, feather: float | None) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """Feathered alpha as uint8 (H, W) and its bounding box (None when empty); see feather_mask."""
    if feather is None:
        feather = default_feather(*m8.shape)
    if not math.isfinite(feather) or feather < 0:
        raise ValueError(f"feather must be >= 0 pixels, not {feather!r}")
    box = _bbox(m8, pad=int(math.ceil(feather)) + 2)
    if feather == 0 or box is None:
        return m8, _bbox(m8)
    y0, y1, x0, x1 = box
    alpha8 = np.zeros(m8.shape, np.uint8)
    halo = int(math.ceil(feather)) + 1  # a box blur reads at most this many rows away
    blur = ImageFilter.BoxBlur(feather)
    for ys, ye in _strips(y0, y1, x1 - x0):  # bit-identical to blurring the box at once
        hs, he = max(y0, ys - halo), min(y1, ye + halo)
        band = np.ascontiguousarray(m8[hs:he, x0:x1])
        blurred = np.asarray(Image.fromarray(band).filter(blur))[ys - hs: ye - hs]
        np.minimum(band[ys - hs: ye - hs], _RAMP[blurred], out=alpha8[ys:ye, x0:x1])
    inner = _bbox(alpha8[y0:y1, x0:x1])
    return alpha8, None if inner is None else (inner[0] + y0, inner[1] + y0, inner[2] + x0, inner[3] + x0)


def shading_from_photo(image: ImageLike, mask: ImageLike, strength: float = 1.0,
                       eps: float = SHADING_EPS) -> np.ndarray:
    """The garment's light as a float32 (H, W) map, ~1.0 at its typical brightness.

    ``s = (L + eps) / (median(L inside the mask) + eps)`` with L the Rec. 601 luminance in
    [0, 1] (8-bit); ``eps`` keeps dark garments from exploding into white. ``strength`` blends
    towards 1.0 (0 = flat, 1 = the photo's own contrast). Values < 1 are shadows and folds,
    > 1 highlights. Outside the mask the map is still defined but unused.
    """
    img = _rgb_array(image, "garment")
    m8 = _mask8(mask, img.shape[:2])
    lum8 = _luma8(img)
    return _shading_lut(lum8, m8, strength, eps)[lum8]


def _luma8(img: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of uint8 (h, w, 3) as uint8 (h, w), via PIL's fixed-point "L" conversion."""
    return np.asarray(Image.fromarray(np.ascontiguousarray(img)).convert("L"))


def _shading_lut(lum8: np.ndarray, m8: np.ndarray, strength: float, eps: float) -> np.ndarray:
    """float32 (256,) map from 8-bit luma to shading, normalised by the median luma in the mask.

    ``m8`` is the uint8 mask; the median is taken on a lattice of ~65k pixels where it is > 127.
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
# Contract: A >= 0, B >= 0 and 255 * A + B <= 255, so the composite of any uint8 pattern stays in
# 0..255 (try_on clips A and B to enforce it). Being affine per pixel keeps every 3-channel
# operation down to one multiply-add.
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
    """No shading at all (the seed's look, but tiled and feathered)."""
    return np.ones_like(s), np.zeros_like(s)


# --------------------------------------------------------------------------------------------
# try-on
# --------------------------------------------------------------------------------------------
def _blend_coefficients(blend_fn, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a blend mode and enforce its contract (A in [0, 1], 0 <= B <= 255 (1 - A))."""
    A, B = blend_fn(np.asarray(s, np.float32))
    A = np.clip(A, 0.0, 1.0).astype(np.float32, copy=False)
    B = np.clip(B, 0.0, np.float32(255.0) * (np.float32(1.0) - A)).astype(np.float32, copy=False)
    return A, B


def _fixed_point(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A, B -> uint16 8.8 fixed point with rounding folded into B.

    255 * A16 + B16 <= 256 * (255 A + B) + 127.5 + 127 <= 65534.5: the uint16 sum cannot wrap.
    """
    A16 = (A * np.float32(256.0) + np.float32(0.5)).astype(np.uint16)
    B16 = (B * np.float32(256.0) + np.float32(127.0)).astype(np.uint16)
    return A16, B16


def _high_byte(x16: np.ndarray) -> np.ndarray:
    """x >> 8 for a uint16 array (shifted in place), as a contiguous uint8 array."""
    np.right_shift(x16, 8, out=x16)
    return x16.astype(np.uint8)


class TryOn:
    """Result of :func:`try_on`.

    rgb: uint8 (H, W, 3), the garment photo with the pattern composited in.
    alpha: float32 (H, W) in [0, 1], the feathered garment mask used for blending
        (= ``alpha8 / 255``; computed on first access).
    alpha8: uint8 (H, W), the same in 0..255.
    rgba: uint8 (H, W, 4), the cut-out patterned garment: RGB = the shaded pattern (0 where
        alpha is 0), alpha channel = ``alpha8``. Computed on first access.
    """

    __slots__ = ("rgb", "alpha8", "_alpha", "_rgba", "_make_rgba")

    def __init__(self, rgb: np.ndarray, alpha8: np.ndarray, make_rgba: Callable[[], np.ndarray]) -> None:
        self.rgb, self.alpha8 = rgb, alpha8
        self._alpha: np.ndarray | None = None
        self._rgba: np.ndarray | None = None
        self._make_rgba = make_rgba

    @property
    def alpha(self) -> np.ndarray:
        if self._alpha is None:
            self._alpha = self.alpha8 * np.float32(1 / 255)
        return self._alpha

    @property
    def rgba(self) -> np.ndarray:
        if self._rgba is None:
            self._rgba = self._make_rgba()
        return self._rgba

    def __repr__(self) -> str:
        return f"TryOn(rgb={self.rgb.shape})"


def try_on(garment: ImageLike, garment_mask: ImageLike, pattern: ImageLike, scale: float = 1.0,
           rotation: float = 0.0, shading_strength: float = 1.0, feather: float | None = None,
           shading: np.ndarray | None = None, blend: str = "shade",
           offset: tuple[float, float] = (0.0, 0.0)) -> TryOn:
    """Composite a tiled ``pattern`` onto the garment in ``garment``.

    Args:
        garment: the photo or drawn flat, PIL image or uint8 (H, W, 3).
        garment_mask: where the garment is; float [0, 1], uint8 0..255, bool or PIL, (H, W).
        pattern: the tile, PIL or uint8 (h, w, 3); see :func:`tile_pattern` for ``scale``,
            ``rotation`` (degrees) and ``offset`` (pattern pixels).
        shading_strength: 0 pastes the pattern flat, 1 keeps the garment's own light and folds.
        feather: edge ramp width in pixels (None: :func:`default_feather`; 0: none).
        shading: optional precomputed float (H, W) light map (~1.0 mean, e.g. ``Garment.shading``
            of a drawn flat); None derives it from the photo with :func:`shading_from_photo`.
        blend: a ``BLEND_MODES`` name ('shade', 'multiply', 'flat').

    Returns:
        :class:`TryOn`. Wherever the mask is 0, ``rgb`` equals ``garment`` exactly; where the
        feathered alpha is 1 it is the shaded pattern; in between a linear mix of the two.
    """
    _check_tiling_args(scale, rotation)
    if not math.isfinite(shading_strength) or shading_strength < 0:
        raise ValueError(f"shading_strength must be >= 0, not {shading_strength!r}")
    blend_fn = BLEND_MODES.get(blend)
    img = _rgb_array(garment, "garment")
    H, W = img.shape[:2]
    m8 = _mask8(garment_mask, (H, W))
    pat = _rgb_array(pattern, "pattern")
    if shading is not None:
        shading = np.asarray(shading, dtype=np.float32)
        if shading.shape != (H, W):
            raise ValueError(f"shading must be {H}x{W} like the garment, not {shading.shape}")
    alpha8, box = _feather8(m8, feather)
    rgb = img.copy()
    if box is None:
        return TryOn(rgb, alpha8, lambda: np.zeros((H, W, 4), np.uint8))
    y0, y1, x0, x1 = box
    w = x1 - x0
    # per-pixel affine blend coefficients: composite = tile * A + B (see BLEND_MODES)
    if shading is None:  # from the photo: A and B are functions of the 8-bit luma -> lookup tables
        st = max(1, int(math.sqrt((y1 - y0) * w / 65536)))  # the median needs ~65k pixels at most
        s_lut = _shading_lut(_luma8(img[y0:y1:st, x0:x1:st]), m8[y0:y1:st, x0:x1:st], shading_strength,
                             SHADING_EPS)
        a_lut, b_lut = _blend_coefficients(blend_fn, s_lut)
        a16_lut, b16_lut = _fixed_point(a_lut, b_lut)

        def coefficients(ys: int, ye: int):  # -> uint16 A16, B16 of a band, and float A, B at pixels
            lum8 = _luma8(img[ys:ye, x0:x1])
            return a16_lut[lum8], b16_lut[lum8], lambda idx: (a_lut[lum8[idx]], b_lut[lum8[idx]])
    else:
        def coefficients(ys: int, ye: int):  # sanitise: NaN -> 1 (no shading), negatives -> 0
            sb = np.nan_to_num(shading[ys:ye, x0:x1], nan=1.0, posinf=4.0, neginf=0.0).clip(0.0, None)
            if shading_strength != 1.0:
                sb = np.float32(1.0 - shading_strength) + np.float32(shading_strength) * sb
            A, B = _blend_coefficients(blend_fn, sb)
            return (*_fixed_point(A, B), lambda idx: (A[idx], B[idx]))

    def composite(ys: int, ye: int):
        """Rows ys..ye: the shaded pattern as planes (uint8 (3, n, w)), the tile, A and B at pixels.

        Channel planes keep every operation a long flat loop (an (n, w, 3) x (n, w, 1)
        broadcast runs numpy's inner loop over 3 elements and is several times slower).
        """
        tile = _to_u8(_tile(pat, ys, x0, ye - ys, w, float(scale), float(rotation), offset))
        A16, B16, at = coefficients(ys, ye)
        comp16 = np.empty((3, ye - ys, w), np.uint16)
        np.multiply(np.moveaxis(tile, -1, 0), A16[None], out=comp16, dtype=np.uint16)  # 8.8 fixed point
        comp16 += B16[None]  # cannot wrap: 255 * A16 + B16 <= 65534
        return _high_byte(comp16), tile, at  # round(tile * A + B)

    def paste(dst: np.ndarray, planes: np.ndarray, where: np.ndarray) -> None:
        for ch in range(3):
            np.copyto(dst[..., ch], planes[ch], where=where)

    for ys, ye in _strips(y0, y1, w):
        a8 = alpha8[ys:ye, x0:x1]
        inside = a8 > 0
        if not inside.any():
            continue
        comp8, tile, at = composite(ys, ye)
        out = rgb[ys:ye, x0:x1]
        paste(out, comp8, inside)  # alpha 0: the photo stays, bit for bit
        rim = np.nonzero(inside & (a8 < 255))  # feathered rim: a * composite + (1 - a) * photo
        if rim[0].size:
            ar = (a8[rim] * np.float32(1 / 255))[:, None]
            A, B = at(rim)
            mix = (tile[rim] * A[:, None] + B[:, None]) * ar + img[ys:ye, x0:x1][rim] * (1 - ar)
            out[rim] = np.clip(mix + np.float32(0.5), 0, 255).astype(np.uint8)

    def make_rgba() -> np.ndarray:
        rgba = np.zeros((H, W, 4), np.uint8)
        rgba[y0:y1, x0:x1, 3] = alpha8[y0:y1, x0:x1]
        for ys, ye in _strips(y0, y1, w):
            inside = alpha8[ys:ye, x0:x1] > 0
            if inside.any():
                paste(rgba[ys:ye, x0:x1, :3], composite(ys, ye)[0], inside)
        return rgba

    return TryOn(rgb, alpha8, make_rgba)


# --------------------------------------------------------------------------------------------
# CLI: aifashion tryon
# --------------------------------------------------------------------------------------------
OUT_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")


def cli_add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--garment", required=True,
                        help="a drawn flat name (t-shirt, dress, skirt, trousers, hoodie, tote) or a photo path")
    parser.add_argument("--pattern", required=True, type=Path, help="the pattern tile (PNG/JPEG/WEBP)")
    parser.add_argument("--out", required=True, type=Path, help="output image (.png recommended)")
    parser.add_argument("--mask", type=Path, default=None,
                        help="garment mask for a photo (white = garment); default: the segmenter")
    parser.add_argument("--scale", type=float, default=1.0, help="pattern magnification (default 1)")
    parser.add_argument("--rotation", type=float, default=0.0, help="pattern rotation in degrees")
    parser.add_argument("--shading", type=float, default=1.0, dest="shading_strength",
                        help="how much of the garment's light to keep, 0..1+ (default 1)")
    parser.add_argument("--feather", type=float, default=None, help="edge softening in pixels (default auto)")
    parser.add_argument("--blend", default="shade", help=f"blend mode: {', '.join(BLEND_MODES.names())}")
    parser.add_argument("--size", type=int, default=1024, help="drawn-flat size in pixels (default 1024)")
    parser.add_argument("--cutout", action="store_true", help="write the RGBA cut-out garment instead")
    parser.add_argument("--segmenter", default="aifashion-ccp", help="segmenter for photos without --mask")
    parser.add_argument("--segmenter-weights", type=Path, default=None,
                        help="segmenter weights file (default: the shipped ones)")
    parser.add_argument("--device", default="cpu", help="segmenter device (cpu, cuda)")


def _open(path: Path, option: str) -> Image.Image:
    """open_image with the option name in the error, e.g. ``--pattern x.png: ... is not a file``."""
    from aifashion.imageio import ImageError, open_image

    try:
        return open_image(path)
    except ImageError as exc:
        raise ImageError(f"{option}: {exc}") from None


def _photo_mask(photo: Image.Image, args: argparse.Namespace) -> np.ndarray:
    if args.mask is not None:
        return resize_mask(_open(args.mask, "--mask"), photo.height, photo.width)
    try:  # the segmenter is optional at run time: import lazily, explain what is missing
        from aifashion.segment import load_segmenter
    except ImportError as exc:
        raise ValueError(f"no segmenter is available ({exc}); pass --mask MASK.png") from None
    try:
        seg = load_segmenter(args.segmenter, weights=args.segmenter_weights, device=args.device)
    except (FileNotFoundError, OSError) as exc:
        raise ValueError(f"segmenter {args.segmenter!r} weights are not available ({exc}); "
                         "pass --mask MASK.png") from None
    return seg.predict(photo).garment


def cli_run(args: argparse.Namespace) -> int:
    """``aifashion tryon``: composite a pattern onto a drawn flat or a photo; writes ``--out``."""
    from aifashion.atomic import atomic_path
    from aifashion.garments import GARMENTS, draw_garment
    from aifashion.imageio import ImageError

    out = Path(args.out)
    if out.suffix.lower() not in OUT_SUFFIXES:
        raise ValueError(f"--out must end in {', '.join(OUT_SUFFIXES)}, not {out.name!r}")
    if args.cutout and out.suffix.lower() not in (".png", ".webp"):
        raise ValueError("--cutout needs a .png or .webp output (it has transparency)")
    _check_tiling_args(args.scale, args.rotation)
    BLEND_MODES.get(args.blend)
    pattern = _open(args.pattern, "--pattern")
    shading = None
    if args.garment in GARMENTS:
        if not 16 <= args.size <= 4096:
            raise ValueError(f"--size must be between 16 and 4096, not {args.size}")
        flat = draw_garment(args.garment, size=args.size)
        image, mask, shading = flat.image, flat.mask, flat.shading
    else:
        path = Path(args.garment)
        if not path.exists():
            if path.suffix == "" and "/" not in args.garment:
                raise UnknownNameError(f"unknown garment {args.garment!r}: not a photo path, and the drawn "
                                       f"flats are: {', '.join(GARMENTS.names())} (valid names)")
            raise FileNotFoundError(f"garment photo {path} does not exist")
        photo = _open(path, "--garment")
        image, mask = np.asarray(photo), _photo_mask(photo, args)
    result = try_on(image, mask, pattern, scale=args.scale, rotation=args.rotation,
                    shading_strength=args.shading_strength, feather=args.feather, shading=shading,
                    blend=args.blend)
    img = Image.fromarray(result.rgba if args.cutout else result.rgb)
    fmt = {".png": "PNG", ".webp": "WEBP", ".jpg": "JPEG", ".jpeg": "JPEG"}[out.suffix.lower()]
    try:
        with atomic_path(out) as tmp:
            img.save(tmp, format=fmt)
    except OSError as exc:
        raise ImageError(f"cannot write {out}: {exc}") from None
    print(f"wrote {out} ({img.width}x{img.height})")
    return 0
