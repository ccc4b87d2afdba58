"""Put a pattern on a garment: wrap-around tiling, shading-true blending, feathered edges.

The pattern is *tiled* across the garment at a chosen scale and rotation (never stretched to
the photo), multiplied by the garment's own light (its normalised luminance, or a precomputed
shading map for drawn flats) so that folds and highlights stay visible, and blended in with a
feathered mask. Pixels outside the garment mask are returned bit-exact.

Everything is vectorised numpy and PIL (no per-pixel Python loop), confined to the bounding
box of the garment and worked in bands of rows (``STRIP_PIXELS``) so that temporaries stay in
cache. Every blend mode is a per-pixel affine map of the pattern (``pattern * A + B``, A and
B from the shading); the feathered blend with the photo folds into the same map, so the
composite is ``(tile * A + B + photo * W) >> 8`` in 8.8 fixed point (uint16), with A, B, W
per pixel (with shading from the photo: 64k-entry tables indexed by luma and alpha).

Two ways to use it: :func:`try_on` does everything in one call; for interactive use
(the dashboard re-applies patterns to one garment on every slider move) :func:`prepare_garment`
does the pattern-independent part once and :func:`apply_pattern` the rest, keeping the per-pixel
coefficients, bit-identical to :func:`try_on`. ``bench/compose.py`` times both against the
seed's per-pixel loop.

Public API: :func:`tile_pattern`, :func:`feather_mask`, :func:`shading_from_photo`,
:func:`try_on` -> :class:`TryOn`, :func:`prepare_garment` -> :class:`PreparedGarment`,
:func:`apply_pattern`, the ``BLEND_MODES`` registry, :func:`as_mask`, :func:`resize_mask`.
The ``aifashion tryon`` subcommand lives in :mod:`aifashion.cli.tryon`.
"""
from __future__ import annotations

import math
from typing import Callable, Union

import numpy as np
from PIL import Image

from aifashion.registry import Registry

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
    idx = np.multiply(v0, row, dtype=np.intp)  # intp once: take() would convert int32 every time
    idx = idx + u0  # broadcast to (h, w)
    texels = [flat.take(idx)]  # each texel read once, for both pairs of lanes
    for offset in (1, row, row + 1):
        idx += 1 if offset == 1 else row - 1 if offset == row else 1
        texels.append(flat.take(idx))
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
        t00, t01, t10, t11 = ((t >> np.uint32(shift)) & _LANES if shift else t & _LANES for t in texels)
        top = lerp(t00, t01, gu, fu)
        bottom = lerp(t10, t11, gu, fu)
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

    ``alpha = min(mask, clip(2 * boxblur(mask, r) - 1, 0, 1))`` with a (2r + 1)-pixel square box,
    ``r = round(feather)`` (at least 1): on a straight edge alpha ramps linearly from 0 at the
    boundary to 1 at ``r`` pixels inside, and it is never larger than the mask, so every pixel
    where the mask is 0 stays exactly 0 (the photo outside the garment is untouched). Parts
    thinner than 2 r stay semi-transparent; the frame border counts as garment where the mask
    touches it (the box is edge-clamped), so a garment cut by the photo's edge is not faded there.
    ``feather`` is in pixels; None picks :func:`default_feather`; 0 returns the mask as it is.
    It is computed in 8 bits, like the alpha channel it feeds.
    """
    if feather == 0:
        return as_mask(mask)
    m8 = _mask8(mask)
    alpha8 = np.zeros(m8.shape, np.uint8)
    a8, box = _feather8(m8, feather)
    if box is not None:
        alpha8[box[0]:box[1], box[2]:box[3]] = a8
    return alpha8 * np.float32(1 / 255)


#: Pixels per band of rows: per-pixel work (mask conversion, blend coefficients, the composite)
#: runs band by band so that temporaries stay in cache and are recycled by the allocator instead
#: of being faulted in afresh on every call (first-touch page faults dominated whole-image
#: temporaries on this project's VMs). Results do not depend on it.
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


def _feather_radius(feather: float | None, shape: tuple[int, int]) -> int:
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
            acc += s[:, k:k + w]
        out = acc[0:h].copy()  # vertical pass
        for k in range(1, 2 * r + 1):
            out += acc[k:k + h]
        return out
    c = np.zeros((src.shape[0], src.shape[1] + 1), np.uint32)
    np.cumsum(src, axis=1, dtype=np.uint32, out=c[:, 1:])
    hs = c[:, 2 * r + 1:] - c[:, :w]
    c = np.zeros((hs.shape[0] + 1, w), np.uint32)
    np.cumsum(hs, axis=0, dtype=np.uint32, out=c[1:])
    return c[2 * r + 1:] - c[:h]


def _feather8(m8: np.ndarray, feather: float | None) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """Feathered alpha, uint8, of the box (y0, y1, x0, x1) = bounding box of the mask's nonzero
    pixels (None when the mask is empty; alpha is 0 everywhere outside the box). See feather_mask."""
    r = _feather_radius(feather, m8.shape)
    box = _bbox(m8)
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
    src = np.pad(m8[gy0:gy1, gx0:gx1], ((r - (y0 - gy0), r - (gy1 - y1)), (r - (x0 - gx0), r - (gx1 - x1))),
                 mode="edge")
    s = _box_sum(src, r, h, w)
    # ramp: clip(2 * s / N - 255, 0, 255), rounded; N = (2r + 1)^2
    f = np.multiply(s, np.float32(2.0 / (2 * r + 1) ** 2), dtype=np.float32)
    f -= np.float32(254.5)
    np.clip(f, np.float32(0.0), np.float32(255.0), out=f)
    alpha = f.astype(np.uint8)
    np.minimum(alpha, m, out=alpha)
    return alpha, box


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


class TryOn:
    """Result of :func:`try_on` / :func:`apply_pattern`.

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


def _repeat3(x: np.ndarray) -> np.ndarray:
    """(h, w) -> (h, w, 3) with the value repeated in every channel (np.stack beats np.repeat 2x)."""
    return np.stack((x, x, x), axis=-1)


class PreparedGarment:
    """A garment ready for patterns: everything :func:`apply_pattern` needs that does not depend
    on the pattern, computed once by :func:`prepare_garment`.

    image: uint8 (H, W, 3), the garment (not copied: do not modify it while prepared).
    alpha8: uint8 (H, W), the feathered mask (``TryOn.alpha8`` of every result).
    box: (y0, y1, x0, x1), the bounding box of the garment mask, the only area that changes
        (None if the mask is empty).
    :func:`apply_pattern` keeps, for the last blend mode and shading strength used, the blend
    folded into 8.8 fixed-point per-pixel coefficients of the box (12 bytes a pixel), so that
    re-applying patterns, scales and rotations to one garment costs only the tiling and one
    multiply-add.
    """

    __slots__ = ("image", "alpha8", "box", "_a8", "_lum8", "_m8", "_shading", "_cache")

    def __init__(self, image: np.ndarray, alpha8: np.ndarray, box, a8: np.ndarray, lum8, m8, shading) -> None:
        self.image, self.alpha8, self.box = image, alpha8, box
        self._a8, self._lum8, self._m8, self._shading = a8, lum8, m8, shading
        self._cache: dict = {}

    def __repr__(self) -> str:
        return f"PreparedGarment({self.image.shape[1]}x{self.image.shape[0]}, box={self.box})"

    def _luts(self, blend: str, strength: float) -> tuple[np.ndarray, np.ndarray]:
        """Photo shading: uint16 (256,) 8.8 fixed-point A and B as functions of the 8-bit luma."""
        key = ("lut", blend, strength)
        if key not in self._cache:
            s_lut = _shading_lut(self._lum8, self._m8, strength, SHADING_EPS)
            self._keep(key, _fixed_point(*_blend_coefficients(BLEND_MODES.get(blend), s_lut)))
        return self._cache[key]

    def _keep(self, key: tuple, value) -> None:
        """Cache ``value`` under ``key``, replacing the entry of the same kind (key[0]) for another
        blend mode or strength: memory stays bounded however many strengths a slider visits."""
        for old in [k for k in self._cache if k[0] == key[0]]:
            del self._cache[old]
        self._cache[key] = value

    def _bands(self) -> list[tuple[slice, slice]]:
        """Bands of rows of the box (``STRIP_PIXELS`` pixels) as (rows, columns) slices of the box,
        the columns trimmed to where alpha > 0 (bands with none are left out): the work list."""
        if ("bands",) not in self._cache:
            h, w = self._a8.shape
            bands = []
            for ys, ye in _strips(0, h, w):
                cols = np.flatnonzero(self._a8[ys:ye].any(axis=0))
                if cols.size:
                    bands.append((slice(ys, ye), slice(int(cols[0]), int(cols[-1]) + 1)))
            self._cache[("bands",)] = bands
        return self._cache[("bands",)]

    def _coefficients(self, blend: str, strength: float, band: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
        """uint16 (n, m) A16, B16 of a band of the box: shaded pattern = (tile * A16 + B16) >> 8."""
        if self._shading is None:
            a16_lut, b16_lut = self._luts(blend, strength)
            lum8 = self._lum8[band]
            return a16_lut.take(lum8), b16_lut.take(lum8)
        sb = self._shading[band]
        if strength != 1.0:
            sb = np.float32(1.0 - strength) + np.float32(strength) * sb
        return _fixed_point(*_blend_coefficients(BLEND_MODES.get(blend), sb))

    def _maps_band(self, blend: str, strength: float, band: tuple[slice, slice],
                   cutout: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """uint16 (n, m) A, B, W of a band of the box, the feathered blend folded in:
        composite = (tile * A + B + photo * W) >> 8 per channel (W None for ``cutout``).

        With a = alpha8 / 255: A = floor(a A16), B = floor(a (B16 - 127)) + 127 and
        W = floor(256 (1 - a)). Alpha 1 gives the shaded pattern (tile A16 + B16) >> 8, alpha 0
        the photo bit for bit ((256 p + 127) >> 8 = p), and in between a * shaded + (1 - a) * photo.
        255 A + B + 255 W <= 65534: the uint16 sum cannot wrap. cutout: the shaded pattern where
        alpha > 0, else 0.
        """
        a8 = self._a8[band]
        if cutout:
            A16, B16 = self._coefficients(blend, strength, band)
            keep = a8 != 0
            A16 *= keep
            B16 *= keep
            return A16, B16, None
        if self._shading is None:  # A, B are functions of (luma, alpha): 64k-entry tables
            key = ("fold", blend, strength)
            if key not in self._cache:
                a16_lut, b16_lut = self._luts(blend, strength)
                alpha = np.arange(256, dtype=np.uint8)[None, :]
                self._keep(key, [x.ravel() for x in _fold_alpha(a16_lut[:, None], b16_lut[:, None], alpha)])
            fold_a, fold_b = self._cache[key]
            idx = self._lum8[band].astype(np.uint16)
            idx <<= np.uint8(8)
            idx |= a8  # luma * 256 + alpha
            A, B = fold_a.take(idx), fold_b.take(idx)
        else:
            A, B = _fold_alpha(*self._coefficients(blend, strength, band), a8)
        return A, B, _photo_weight(a8)

    def _photo(self, band: tuple[slice, slice]) -> np.ndarray:
        """uint8 (n, m, 3): the garment image under a band of the box."""
        rows, cols = band
        y0, _, x0, _ = self.box
        return self.image[y0 + rows.start:y0 + rows.stop, x0 + cols.start:x0 + cols.stop]

    def _maps(self, blend: str, strength: float) -> tuple[np.ndarray, np.ndarray]:
        """uint16 (h, w, 3) A3, B3 of the whole box, kept: composite = (tile * A3 + B3) >> 8
        with A3 = A and B3 = B + photo * W of :meth:`_maps_band` (the same integers); only the
        pixels of :meth:`_bands` are filled in."""
        key = ("maps", blend, strength)
        if key not in self._cache:
            A3 = np.empty((*self._a8.shape, 3), np.uint16)
            B3 = np.empty_like(A3)
            for band in self._bands():
                A, B, W = self._maps_band(blend, strength, band)
                A3[band], B3[band] = _interleave(A, B, self._photo(band), W)
            self._keep(key, (A3, B3))
        return self._cache[key]


def _fold_alpha(A16: np.ndarray, B16: np.ndarray, a8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _photo_weight(a8: np.ndarray) -> np.ndarray:
    """uint8 alpha -> uint16 floor(256 (1 - alpha / 255)) = 255 - alpha + (alpha == 0), the
    photo's weight in 8.8 fixed point (256 at alpha 0, 0 at 255)."""
    W = np.subtract(np.uint16(255), a8, dtype=np.uint16)
    W += a8 == 0
    return W


def _affine_into(dst: np.ndarray, tile: np.ndarray, A3: np.ndarray, B3: np.ndarray) -> None:
    """dst = (tile * A3 + B3) >> 8 as uint8: uint8 (n, w, 3) tile, uint16 (n, w, 3) A3 and B3
    with 255 A3 + B3 < 2**16 (so the uint16 sum cannot wrap); flat passes only."""
    comp = np.multiply(tile, A3, dtype=np.uint16)
    comp += B3
    comp >>= np.uint8(8)
    np.copyto(dst, comp, casting="unsafe")


def _interleave(A: np.ndarray, B: np.ndarray, photo: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint16 (n, w) A, B, W and uint8 (n, w, 3) photo -> uint16 (n, w, 3) A3 = A and
    B3 = B + photo * W per channel, for _affine_into."""
    B3 = np.multiply(photo, _repeat3(W), dtype=np.uint16)
    B3 += _repeat3(B)
    return _repeat3(A), B3


def prepare_garment(garment: ImageLike, garment_mask: ImageLike, shading: np.ndarray | None = None,
                    feather: float | None = None) -> PreparedGarment:
    """Do the pattern-independent work of :func:`try_on` once, for :func:`apply_pattern`.

    Args:
        garment: the photo or drawn flat, PIL image or uint8 (H, W, 3).
        garment_mask: where the garment is; float [0, 1], uint8 0..255, bool or PIL, (H, W).
        shading: optional precomputed float (H, W) light map (~1.0 typical, e.g.
            ``Garment.shading`` of a drawn flat); None derives it from the photo's luminance.
        feather: edge ramp width in pixels (None: :func:`default_feather`; 0: none).

    Returns:
        :class:`PreparedGarment` (feathered mask, bounding box, luma or shading of the box).
        ``apply_pattern(prepare_garment(g, m, s, f), p, ...)`` equals ``try_on(g, m, p, ...,
        shading=s, feather=f)`` bit for bit.
    """
    img = _rgb_array(garment, "garment")
    H, W = img.shape[:2]
    m8 = _mask8(garment_mask, (H, W))
    if shading is not None:
        shading = np.asarray(shading, dtype=np.float32)
        if shading.shape != (H, W):
            raise ValueError(f"shading must be {H}x{W} like the garment, not {shading.shape}")
    a8, box = _feather8(m8, feather)
    alpha8 = np.zeros((H, W), np.uint8)
    if box is None:
        return PreparedGarment(img, alpha8, None, a8, None, None, None)
    y0, y1, x0, x1 = box
    alpha8[y0:y1, x0:x1] = a8
    lum8 = m8b = sb = None
    if shading is None:
        lum8, m8b = _luma8(img[y0:y1, x0:x1]), m8[y0:y1, x0:x1]
    else:  # sanitise: NaN -> 1 (no shading), negatives -> 0
        sb = np.nan_to_num(shading[y0:y1, x0:x1], nan=1.0, posinf=4.0, neginf=0.0).clip(0.0, None)
    return PreparedGarment(img, alpha8, box, a8, lum8, m8b, sb)


def _check_blend_args(scale: float, rotation: float, shading_strength: float, blend: str) -> None:
    _check_tiling_args(scale, rotation)
    if not isinstance(shading_strength, (int, float)) or not math.isfinite(shading_strength) or shading_strength < 0:
        raise ValueError(f"shading_strength must be >= 0, not {shading_strength!r}")
    BLEND_MODES.get(blend)


def _apply(prepared: PreparedGarment, pattern: ImageLike, scale: float, rotation: float, shading_strength: float,
           blend: str, offset: tuple[float, float], keep: bool) -> TryOn:
    """apply_pattern; ``keep``: build and keep the box's coefficient maps (else band by band)."""
    pat = _rgb_array(pattern, "pattern")
    img, alpha8, box = prepared.image, prepared.alpha8, prepared.box
    H, W = img.shape[:2]
    rgb = img.copy()
    if box is None:
        return TryOn(rgb, alpha8, lambda: np.zeros((H, W, 4), np.uint8))
    y0, _, x0, _ = box
    strength, scale, rotation = float(shading_strength), float(scale), float(rotation)
    maps = prepared._maps(blend, strength) if keep else prepared._cache.get(("maps", blend, strength))

    def tile(band: tuple[slice, slice]) -> np.ndarray:
        rows, cols = band
        return _to_u8(_tile(pat, y0 + rows.start, x0 + cols.start, rows.stop - rows.start, cols.stop - cols.start,
                            scale, rotation, offset))

    def where(dst: np.ndarray, band: tuple[slice, slice]) -> np.ndarray:
        rows, cols = band
        return dst[y0 + rows.start:y0 + rows.stop, x0 + cols.start:x0 + cols.stop]

    for band in prepared._bands():
        if maps:
            _affine_into(where(rgb, band), tile(band), maps[0][band], maps[1][band])
        else:
            A, B, Wt = prepared._maps_band(blend, strength, band)
            _affine_into(where(rgb, band), tile(band), *_interleave(A, B, prepared._photo(band), Wt))

    def make_rgba() -> np.ndarray:
        rgba = np.zeros((H, W, 4), np.uint8)
        rgba[..., 3] = alpha8
        for band in prepared._bands():
            A, B, _ = prepared._maps_band(blend, strength, band, cutout=True)
            _affine_into(where(rgba, band)[..., :3], tile(band), _repeat3(A), _repeat3(B))
        return rgba

    return TryOn(rgb, alpha8, make_rgba)


def apply_pattern(prepared: PreparedGarment, pattern: ImageLike, scale: float = 1.0, rotation: float = 0.0,
                  shading_strength: float = 1.0, blend: str = "shade",
                  offset: tuple[float, float] = (0.0, 0.0)) -> TryOn:
    """Composite a tiled ``pattern`` onto a :func:`prepare_garment` result: the fast repeat path.

    Arguments as in :func:`try_on`. The first call for a (blend, shading_strength) pair builds
    and keeps that pair's coefficient maps in ``prepared``; later calls cost one tiling of the
    garment's bounding box and one fixed-point multiply-add. Equals :func:`try_on` bit for bit.
    """
    if not isinstance(prepared, PreparedGarment):
        raise TypeError(f"apply_pattern needs a PreparedGarment (see prepare_garment), not {type(prepared).__name__}")
    _check_blend_args(scale, rotation, shading_strength, blend)
    return _apply(prepared, pattern, scale, rotation, shading_strength, blend, offset, keep=True)


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
        Equal to ``apply_pattern(prepare_garment(garment, garment_mask, shading, feather), pattern,
        ...)``; use those two to re-apply patterns to one garment (interactive use).
    """
    _check_blend_args(scale, rotation, shading_strength, blend)
    prepared = prepare_garment(garment, garment_mask, shading=shading, feather=feather)
    return _apply(prepared, pattern, scale, rotation, shading_strength, blend, offset, keep=False)
