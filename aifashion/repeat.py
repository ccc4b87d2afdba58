"""Print-ready repeats: one repeat unit of a seamless pattern for a straight, half-drop or half-brick
arrangement, saved with its print resolution.

Textile printers lay a repeat unit out in one of three ways:

- ``straight``: a plain grid (the generator's tiles repeat this way as they are);
- ``half-drop``: each column is moved down by half the unit's height against the one on its left;
- ``half-brick``: each row is moved right by half the unit's width against the one above.

A tile that is seamless in a straight grid shows a seam in the other two: where a column meets
the next one, the rows no longer line up. :func:`repeat_unit` mends that with a minimum-error
cut (image quilting, Efros & Freeman 2001): left of a vertical path through the unit's middle
half the unit is the tile, right of it the tile moved by half its height. Its right edge then
continues, in the half-drop arrangement, exactly into the left edge of the next column; the path
is cyclic, so each column still repeats seamlessly down the page, and it runs where the two
layers agree (with a 2-pixel ramp across it), so motifs stay whole. Half-brick is the same on the
transposed tile. :func:`lay_out` draws an arrangement (previews and checks); :func:`save_repeat`
writes a PNG with its DPI.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from aifashion.fabric import min_error_path

__all__ = ["REPEATS", "repeat_unit", "lay_out", "save_repeat", "check_dpi"]

REPEATS = ("straight", "half-drop", "half-brick")
_FEATHER = 2  # half-width of the ramp across the cut, pixels


def _check(repeat: str) -> None:
    if repeat not in REPEATS:
        raise ValueError(f"unknown repeat {repeat!r}; valid: {', '.join(REPEATS)}")


def check_dpi(dpi: float) -> float:
    """``dpi`` as a float, or ``ValueError`` unless it is a finite number in [10, 4800]."""
    try:
        v = float(dpi)
    except (TypeError, ValueError):
        raise ValueError(f"dpi must be a number, not {dpi!r}") from None
    if not 10 <= v <= 4800:  # also refuses NaN
        raise ValueError(f"dpi must be between 10 and 4800, not {dpi!r}")
    return v


def _half_drop(t: np.ndarray) -> np.ndarray:
    """float32 (H, W, 3) straight-seamless tile -> the half-drop unit (same size)."""
    h, w = t.shape[:2]
    moved = np.roll(t, h // 2, axis=0)  # moved[y] = t[y - h // 2]: meets the next column, moved down by h // 2
    x0, x1 = w // 4, w - w // 4  # the cut runs through the middle half
    err = ((t[:, x0:x1] - moved[:, x0:x1]) ** 2).sum(axis=2)
    path = min_error_path(err, cyclic=True) + x0
    cols = np.arange(w, dtype=np.float32)
    # weight of the tile: 1 left of the path, 0 right of it, a linear ramp 2 * _FEATHER wide across it
    keep = np.clip((path[:, None] - cols[None, :]) / (2 * _FEATHER) + 0.5, 0.0, 1.0)[..., None]
    return keep * t + (1.0 - keep) * moved


def repeat_unit(tile, repeat: str = "straight") -> Image.Image:
    """One repeat unit of a tile for ``repeat`` (one of ``REPEATS``).

    Args:
        tile: PIL image or uint8 (H, W, 3) array, seamless in a straight grid (a generator
            render, :func:`aifashion.fabric.seamless_tile`), at least 32x32.
        repeat: 'straight' (the tile itself), 'half-drop' or 'half-brick'.

    Returns:
        PIL RGB (W, H) unit: laid out by :func:`lay_out` with the same ``repeat`` its neighbours
        meet without a seam (the offset is ``H // 2`` down, or ``W // 2`` right).
    """
    _check(repeat)
    t = np.asarray(tile.convert("RGB") if isinstance(tile, Image.Image) else tile)
    if t.ndim != 3 or t.shape[2] != 3 or t.dtype != np.uint8:
        raise ValueError(f"tile must be an RGB image or a uint8 (H, W, 3) array, not {t.dtype} {t.shape}")
    if repeat == "straight":
        return Image.fromarray(t.copy())
    if min(t.shape[:2]) < 32:
        raise ValueError(f"a {t.shape[1]}x{t.shape[0]} tile is too small for a {repeat} repeat (at least 32x32)")
    f = t.astype(np.float32)
    out = _half_drop(f) if repeat == "half-drop" else _half_drop(f.transpose(1, 0, 2)).transpose(1, 0, 2)
    return Image.fromarray(np.rint(out).clip(0, 255).astype(np.uint8))


def lay_out(unit, repeat: str, cols: int = 3, rows: int = 3) -> Image.Image:
    """The arrangement ``repeat`` of ``unit``: PIL RGB (cols * W, rows * H), column k moved down by
    k * (H // 2) (half-drop) or row k moved right by k * (W // 2) (half-brick), wrapping."""
    _check(repeat)
    u = np.asarray(unit.convert("RGB") if isinstance(unit, Image.Image) else unit)
    h, w = u.shape[:2]
    grid = np.tile(u, (rows, cols, 1))
    if repeat == "half-drop":
        for k in range(1, cols):
            grid[:, k * w : (k + 1) * w] = np.roll(grid[:, k * w : (k + 1) * w], k * (h // 2), axis=0)
    elif repeat == "half-brick":
        for k in range(1, rows):
            grid[k * h : (k + 1) * h] = np.roll(grid[k * h : (k + 1) * h], k * (w // 2), axis=1)
    return Image.fromarray(grid)


def save_repeat(unit: Image.Image, path: str | os.PathLike, dpi: float | None = 300) -> Path:
    """Write ``unit`` as a PNG holding its print resolution (``dpi`` in [10, 4800]: its pHYs chunk;
    None: none), atomically. Returns the path; at ``dpi`` the unit prints ``W / dpi`` x ``H / dpi``
    inches."""
    from aifashion.atomic import atomic_save

    extra = {} if dpi is None else {"dpi": (check_dpi(dpi),) * 2}
    out = Path(path).expanduser()
    atomic_save(out, lambda t: unit.save(t, format="PNG", **extra))
    return out
