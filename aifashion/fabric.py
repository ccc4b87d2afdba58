"""Your own fabric: turn a photo of a swatch into a seamless tile.

:func:`seamless_tile` is offset-and-blend with a seam search, after image quilting's minimum-error
boundary cut (Efros & Freeman 2001). From a square crop of side ``L`` it picks a tile period
``n < L`` where the strip just past the tile's right (bottom) edge looks most like the tile's
first columns (rows): for stripes, checks and dots that is a whole number of repeats. The
``v`` (a fifth of ``L``) pixels past the edge are laid over the tile's first ``v`` columns (rows), and a
minimum-error path through that overlap decides, pixel by pixel, which of the two to keep (with
a 2-pixel ramp across the path). Left of the path the tile shows what really continues its
right edge, so every wrap-around seam of the tile joins two pixels that were neighbours in the
photo; the path itself runs where the two layers agree, so stripes stay straight and dots stay
dots. The vertical pass runs a cyclic path (it closes on itself across the tile's width), so the
horizontal wrap stays seamless through it.

Everything runs at about the output size (the photo is first reduced), in numpy and PIL: well
under a second for a 1024-pixel photo.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ["seamless_tile", "min_error_path", "MIN_SIDE"]

#: The shortest photo side accepted, in pixels.
MIN_SIDE = 64
#: Overlap (the search range of the period, and the band the cut runs in) as a share of the crop side.
_OVERLAP = 0.2
_FEATHER = 2  # half-width of the ramp across the cut, pixels


def seamless_tile(photo, size: int | None = None, seed: int = 0) -> Image.Image:
    """A seamless tile of a fabric photo: PIL RGB ``size x size``, wrap-around seams invisible.

    Args:
        photo: a path, bytes, file object, PIL image or uint8 array (H, W, 3), opened with
            :func:`aifashion.imageio.open_image` (its byte and pixel caps apply). At least
            ``MIN_SIDE`` (64) pixels on the shorter side.
        size: the tile's side in pixels, 16..2048; None keeps the photo's own scale (the period
            found in the photo, at most 1024 pixels).
        seed: 0 cuts from the centre of the photo; another seed from a random (seeded) place.

    Returns:
        ``PIL.Image`` mode RGB. The tile covers about 60-80 % of the photo's shorter side.

    Raises:
        ValueError (``ImageError`` for unreadable files): one sentence fit to show a user.
    """
    from aifashion.imageio import open_image

    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or not 16 <= size <= 2048):
        raise ValueError(f"the tile size must be a whole number of pixels from 16 to 2048, not {size!r}")
    img = open_image(photo)
    W, H = img.size
    if min(W, H) < MIN_SIDE:
        raise ValueError(f"the fabric photo is {W}x{H} pixels; it needs at least {MIN_SIDE} on its shorter side")
    side = min(W, H)
    rng = np.random.default_rng(seed)
    x0 = (W - side) // 2 if seed == 0 else int(rng.integers(0, W - side + 1))
    y0 = (H - side) // 2 if seed == 0 else int(rng.integers(0, H - side + 1))
    crop = img.crop((x0, y0, x0 + side, y0 + side))
    # work at about the output size: the tile period is 0.6..0.8 of the crop
    target = size if size is not None else min(1024, round(0.7 * side))
    L = min(side, max(MIN_SIDE, round(target / 0.7)))
    if L < side:
        crop = crop.resize((L, L), Image.BOX if side >= 2 * L else Image.LANCZOS)
    c = np.asarray(crop, dtype=np.float32)
    v = max(8, round(_OVERLAP * L))
    n = _best_period(c, v)
    t = _wrap_cut(c[:, : n + v], n, v, cyclic=False)  # (L, n): seamless left-right
    t = _wrap_cut(t[: n + v].transpose(1, 0, 2), n, v, cyclic=True).transpose(1, 0, 2)  # (n, n)
    tile = Image.fromarray(np.clip(t + 0.5, 0, 255).astype(np.uint8))
    out = size if size is not None else n
    return tile if out == n else _resize_periodic(tile, out)


def _best_period(c: np.ndarray, v: int) -> int:
    """The period n in [L - 2v, L - v] whose overlap strips agree best, summed over both axes.

    ``c``: float32 (L, L, 3). The error of n is the mean squared difference between the first v
    columns and columns n..n+v (and the same for rows), on the grey image.
    """
    g = c.mean(axis=2)
    L = g.shape[0]
    lo, hi = L - 2 * v, L - v
    cand = np.arange(lo, hi + 1)
    err = [np.mean((g[:, n : n + v] - g[:, :v]) ** 2) + np.mean((g[n : n + v] - g[:v]) ** 2) for n in cand]
    return int(cand[int(np.argmin(err))])


def _wrap_cut(c: np.ndarray, n: int, v: int, cyclic: bool) -> np.ndarray:
    """Make (rows, n + v, 3) float32 ``c`` seamless across columns: -> (rows, n, 3).

    The tile is ``c[:, :n]`` with its first v columns replaced, left of a minimum-error path, by
    ``c[:, n:n + v]`` (what continues column n - 1). ``cyclic``: the path closes on itself
    (its last row's position is a legal step from its first), for a pass across a tile that
    already wraps along its rows.
    """
    a, b = c[:, n : n + v], c[:, :v]
    err = ((a - b) ** 2).sum(axis=2)
    margin = max(_FEATHER + 1, v // 6)
    path = min_error_path(err[:, margin : v - margin], cyclic) + margin
    cols = np.arange(v, dtype=np.float32)
    # weight of ``a``: 1 left of the path, 0 right of it, a linear ramp 2 * _FEATHER wide across it
    w = np.clip((path[:, None] - cols[None, :]) / (2 * _FEATHER) + 0.5, 0.0, 1.0)[..., None]
    out = c[:, :n].copy()
    out[:, :v] = w * a + (1.0 - w) * b
    return out


def min_error_path(err: np.ndarray, cyclic: bool) -> np.ndarray:
    """Minimum-cost top-to-bottom path through (rows, k) ``err``, one column per row, moving at most
    one column a row: int (rows,) column indices. ``cyclic``: also at most one column between the
    last row and the first (all start columns are tried at once)."""
    rows, k = err.shape
    inf = np.float32(np.inf)
    if cyclic:  # cost[s, j]: best path that started in column s and is now in column j
        cost = np.full((k, k), inf, np.float32)
        cost[np.arange(k), np.arange(k)] = err[0]
    else:
        cost = err[0][None, :].astype(np.float32)
    back = np.empty((rows, *cost.shape), np.int8)
    pad = np.full((cost.shape[0], 1), inf, np.float32)
    for i in range(1, rows):
        three = np.stack((np.hstack((pad, cost[:, :-1])), cost, np.hstack((cost[:, 1:], pad))))
        step = three.argmin(axis=0)
        back[i] = step - 1
        cost = np.take_along_axis(three, step[None], axis=0)[0] + err[i]
    if cyclic:  # the last column must be within one of the start
        s = np.arange(k)
        close = np.full((k, 3), inf, np.float32)
        for d in (-1, 0, 1):
            j = s + d
            ok = (j >= 0) & (j < k)
            close[ok, d + 1] = cost[s[ok], j[ok]]
        start, d = np.unravel_index(int(np.argmin(close)), close.shape)
        row, j = int(start), int(start) + int(d) - 1
    else:
        row, j = 0, int(np.argmin(cost[0]))
    path = np.empty(rows, np.int64)
    for i in range(rows - 1, -1, -1):
        path[i] = j
        j += int(back[i, row, j]) if i else 0
    return path


def _resize_periodic(tile: Image.Image, size: int) -> Image.Image:
    """Resize a periodic tile to ``size x size`` without breaking its wrap-around: the filter reads
    across the edges from a wrap-padded copy."""
    n = tile.width
    p = max(4, n // 16)
    padded = Image.fromarray(np.pad(np.asarray(tile), ((p, p), (p, p), (0, 0)), mode="wrap"))
    return padded.resize((size, size), Image.LANCZOS, box=(p, p, p + n, p + n))
