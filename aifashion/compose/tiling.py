"""Wrap-around tiling of a pattern at any scale and rotation, never stretched to the canvas.

Canvas pixel centres are mapped to pattern coordinates and sampled bilinearly in 8-bit fixed
point, with wrap-around so that rotated tilings leave no gap. Axis-aligned tilings use per-row
and per-column coordinates; scale 1 with an integer offset is an exact block copy.
"""

from __future__ import annotations

import math

import numpy as np

from aifashion.compose.arrays import ImageLike, rgb_array

__all__ = ["check_tiling_args", "tile_pattern"]


def check_tiling_args(scale: float, rotation: float) -> None:
    """Raise ``ValueError`` unless ``scale`` is a positive number and ``rotation`` (degrees) is finite."""
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, not {scale!r}")
    if not math.isfinite(rotation):
        raise ValueError(f"rotation must be a finite number of degrees, not {rotation!r}")


_LANES = np.uint32(0x00FF00FF)


def _bilinear_rgbx(pattern: np.ndarray, v0: np.ndarray, u0: np.ndarray, fv: np.ndarray, fu: np.ndarray) -> np.ndarray:
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


def tile_region(
    pattern: np.ndarray,
    y0: int,
    x0: int,
    h: int,
    w: int,
    scale: float,
    rotation: float,
    offset: tuple[float, float],
    disp: np.ndarray | None = None,
) -> np.ndarray:
    """Tile a uint8 (ph, pw, 3) ``pattern`` over canvas rows y0..y0+h, columns x0..x0+w -> uint8 (h, w, 3).

    Canvas pixel centre (X, Y) = (x + 0.5, y + 0.5) maps to pattern pixel coordinates
    u = (cos t * X - sin t * Y) / scale - 0.5 + dx, v = (sin t * X + cos t * Y) / scale - 0.5 + dy,
    sampled bilinearly (8-bit fixed-point weights) with wrap-around, so any rotation leaves no gap.
    ``disp``: optional float32 (2, h, w) per-pixel (dY, dX) canvas displacement added to (Y, X)
    first (:mod:`~aifashion.compose.drape`: folds, per-part placement).
    The arguments are not checked (see :func:`tile_pattern`).
    """
    ph, pw = pattern.shape[:2]
    dy, dx = float(offset[0]), float(offset[1])
    theta = math.radians(rotation % 360.0)
    c, s = math.cos(theta), math.sin(theta)
    c = 0.0 if abs(c) < 1e-12 else c
    s = 0.0 if abs(s) < 1e-12 else s
    X = np.arange(x0, x0 + w, dtype=np.float64) + 0.5
    Y = np.arange(y0, y0 + h, dtype=np.float64) + 0.5
    if s == 0.0 and c > 0 and disp is None:  # axis-aligned: per-row and per-column coordinates
        u = X / scale - 0.5 + dx
        v = Y / scale - 0.5 + dy
        u0f, v0f = np.floor(u), np.floor(v)
        fu, fv = u - u0f, v - v0f
        u0 = (u0f.astype(np.int64) % pw).astype(np.int32)
        v0 = (v0f.astype(np.int64) % ph).astype(np.int32)
        if not fu.any() and not fv.any():  # integer grid (scale 1): exact copy
            unit_u = np.array_equal(np.diff(u0) % pw, np.ones(w - 1, np.int64))
            if unit_u and np.array_equal(np.diff(v0) % ph, np.ones(h - 1, np.int64)):  # unit steps: block copies
                ox = int(u0[0])
                rows = pattern.take(v0, axis=0)  # (h, pw, 3): whole-row copies
                return np.tile(rows, (1, -(-(ox + w) // pw), 1))[:, ox : ox + w]
            return pattern.take(v0, axis=0).take(u0, axis=1)
        return _bilinear_rgbx(pattern, v0[:, None], u0[None, :], _weights(fv)[:, None], _weights(fu)[None, :])
    # general rotation: float32 coordinates (ample precision for canvas sizes up to ~10^4 px)
    X32, Y32 = X.astype(np.float32)[None, :], Y.astype(np.float32)[:, None]
    if disp is not None:
        X32, Y32 = X32 + disp[1], Y32 + disp[0]
    k = np.float32(1.0 / scale)
    u = (np.float32(c) * k) * X32 - (np.float32(s) * k) * Y32
    u += np.float32(dx - 0.5)
    v = (np.float32(s) * k) * X32 + (np.float32(c) * k) * Y32
    v += np.float32(dy - 0.5)
    u -= np.float32(pw) * np.floor(u * np.float32(1.0 / pw))  # wrap into [0, pw]
    v -= np.float32(ph) * np.floor(v * np.float32(1.0 / ph))
    u0 = np.minimum(u.astype(np.int32), pw - 1)  # u >= 0: truncation is floor; guard u == pw
    v0 = np.minimum(v.astype(np.int32), ph - 1)
    u -= u0.astype(np.float32)  # the fractions, in [0, 1]
    v -= v0.astype(np.float32)
    return _bilinear_rgbx(pattern, v0, u0, _weights(v), _weights(u))


def tile_pattern(
    pattern: ImageLike,
    height: int,
    width: int,
    scale: float = 1.0,
    rotation: float = 0.0,
    offset: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
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
    check_tiling_args(scale, rotation)
    if int(height) < 1 or int(width) < 1:
        raise ValueError(f"canvas size must be positive, not {height}x{width}")
    pat = rgb_array(pattern, "pattern")
    return np.ascontiguousarray(tile_region(pat, 0, 0, int(height), int(width), float(scale), float(rotation), offset))
