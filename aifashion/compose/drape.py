"""How the pattern sits on the cloth: clean edges, folds that bend it, each garment its own placement.

All three work on the garment's bounding box and are computed once per garment by
:func:`~aifashion.compose.prepare_garment`:

- :func:`edge_background`: colour decontamination of the soft edge. Where the feathered alpha is
  between 0 and 1 the composite mixes the pattern with what lies *behind* the garment, estimated
  from the photo's pixels clear of the mask nearby (a normalised box filter), instead of with the
  photo itself -- which there still holds the old garment's colour and would leave a rim of it.
- :func:`fold_displacement`: the pattern is displaced along the shading's gradients (the way textile
  designers drape a print by hand with a displacement map), so stripes bend where the cloth folds.
- :func:`placement_displacement`: each region of a label map (a garment part: top, outer, bottom,
  full) anchors the pattern at its own top centre, so trousers need not continue the jacket's stripes.

Displacements are float32 canvas pixels (dy, dx) added to each pixel's position before tiling
(:func:`~aifashion.compose.tiling.tile_region`), so tiling stays wrap-around and seamless.
"""

from __future__ import annotations

import numpy as np

from aifashion.compose.arrays import argmax_planes
from aifashion.compose.masks import Box
from aifashion.compose.refine import Coarse, box_mean, dilate

__all__ = ["edge_background", "fold_displacement", "placement_displacement", "WARP"]

#: The fold warp the CLI and the dashboard use: the largest displacement, as a fraction of the
#: garment box's longest side (0.008 -> 8 px on a 1000-px garment).
WARP = 0.008


def edge_background(img: np.ndarray, m8: np.ndarray, a8: np.ndarray, box: Box, radius: int) -> np.ndarray | None:
    """The photo under the garment's box with its soft edge decontaminated.

    Args:
        img: uint8 (H, W, 3), the photo. m8: uint8 (H, W), the mask (0 = clear of the garment).
        a8: uint8 (y1 - y0, x1 - x0), the feathered alpha of ``box`` = (y0, y1, x0, x1).
        radius: pixels; the background is looked for within this distance (then 3x, 9x).

    Returns:
        uint8 (y1 - y0, x1 - x0, 3): the photo, except where 0 < a8 < 255: there the mean colour
        of the photo's pixels nearby that lie at least 2 px clear of the mask (the colour behind
        the garment's edge), taken on a copy up to r / 3 times smaller; pixels with no such pixel
        within 9 ``radius`` keep the photo's colour. None when the box has no soft pixel (the
        photo itself serves).
    """
    y0, y1, x0, x1 = box
    ys, xs = np.nonzero((a8 > 0) & (a8 < 255))
    if ys.size == 0:
        return None
    H, W = m8.shape
    out = img[y0:y1, x0:x1].copy()
    colour = out[ys, xs].astype(np.float32)
    todo = np.ones(ys.size, bool)
    for r in (max(1, radius), 3 * max(1, radius), 9 * max(1, radius)):
        # the window of every pending pixel, over just the rows and columns they span; the mean is
        # taken on a copy f times smaller (windows of ~3 px there), read back at each pixel
        ty0, ty1 = max(0, y0 + int(ys[todo].min()) - r), min(H, y0 + int(ys[todo].max()) + r + 1)
        tx0, tx1 = max(0, x0 + int(xs[todo].min()) - r), min(W, x0 + int(xs[todo].max()) + r + 1)
        far = ~dilate(m8[ty0:ty1, tx0:tx1] > 0, 2)
        coarse = Coarse(far.shape, max(1, r // 3))
        rc = max(1, round(r / coarse.f))
        den = box_mean(coarse.down(far), rc)
        num = box_mean(coarse.down(img[ty0:ty1, tx0:tx1] * far[..., None]), rc)
        pend = np.flatnonzero(todo)
        py, px = ys[pend] + (y0 - ty0), xs[pend] + (x0 - tx0)
        d = coarse.at(den, py, px)
        found = d > 1e-6
        colour[pend[found]] = coarse.at(num, py, px)[found] / d[found, None]
        todo[pend[found]] = False
        if not todo.any():
            break
    out[ys, xs] = np.rint(colour).clip(0, 255).astype(np.uint8)
    return out


def fold_displacement(height: np.ndarray, a8: np.ndarray, warp: float) -> np.ndarray | None:
    """Displacement of the pattern along the folds of a garment's box.

    Args:
        height: float (h, w) light of the box (the shading, ~1.0; or the luma): darker = a fold.
        a8: uint8 (h, w), the feathered alpha of the box (where the garment is).
        warp: the largest displacement as a fraction of the box's longest side (>= 0; 0: none).

    Returns:
        float32 (2, h, w): (dy, dx) canvas pixels = ``warp * side * grad(H) / p99(|grad(H)|)``,
        H the light smoothed over the garment only (a normalised box filter, twice, with a
        radius of 1/40 of the side, so the garment's outline is not a fold; worked at up to
        1/(radius / 3) of the size and upsampled bilinearly), capped at ``warp * side``; None when
        ``warp`` is 0 or the box holds no light variation.
    """
    if warp <= 0:
        return None
    h, w = a8.shape
    side = max(h, w)
    r = max(1, round(side / 40))
    coarse = Coarse((h, w), max(1, r // 3))  # the light is smooth at this scale: a copy f times smaller
    inside = (a8 > 0).astype(np.float32)
    light, inside = coarse.down(np.asarray(height, np.float32) * inside), coarse.down(inside)
    rs = max(1, round(r / coarse.f))
    support = np.maximum(box_mean(inside, rs), 1e-9)
    light = box_mean(light, rs) / support  # normalised: defined across the outline, which is no fold
    light = box_mean(light * inside, rs) / support
    gy, gx = np.gradient(light)
    mag = np.hypot(gy, gx)[inside > 0.5]
    if mag.size == 0:
        return None
    ref = float(np.percentile(mag, 99))
    if ref <= 1e-9:
        return None
    cap = warp * side
    k = cap / ref
    return np.stack([coarse.up(np.clip(g * k, -cap, cap)) for g in (gy, gx)])


def placement_displacement(labels: np.ndarray, a8: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray | None:
    """Each garment part of a box takes its own pattern origin.

    Args:
        labels: integer (h, w) label map of the box (e.g. the garment part ids of
            ``Masks.part_ids()``); labels 0 and 1 are not garment.
        a8: uint8 (h, w), the feathered alpha of the box.
        origin: (y0, x0), the box's top-left pixel in the photo.

    Returns:
        float32 (2, h, w): (dy, dx) canvas pixels that move each part's top centre (the top row
        and the middle column of its pixels) to the pattern's origin. The parts are first made
        whole: every pixel with alpha > 0 takes the label most common within 1/25 of the box's
        side (counted on a copy about r / 3 times smaller, upsampled bilinearly; so a stray patch inside
        a shirt does not get its own origin), and parts under 2%
        of the garment join the largest. None when fewer than two parts remain (one origin is
        the usual tiling).
    """
    labels = np.asarray(labels)
    inside = a8 > 0
    ids, counts = np.unique(labels[inside & (labels >= 2)], return_counts=True)
    keep = ids[counts >= 0.02 * inside.sum()]
    if keep.size < 2:
        return None
    r = max(2, round(max(labels.shape) / 25))
    coarse = Coarse(labels.shape, max(1, r // 3))  # the votes are smooth: counted on a smaller copy
    rc = max(1, round(r / coarse.f))
    votes = np.stack([coarse.up(box_mean(coarse.down((labels == i) & inside), rc)) for i in keep])
    part = keep[argmax_planes(votes)]
    disp = np.zeros((2, *labels.shape), np.float32)
    for i in keep:
        region = inside & (part == i)
        ys, xs = np.nonzero(region)
        if ys.size:
            disp[0][region] = -float(origin[0] + ys.min())
            disp[1][region] = -float(origin[1] + 0.5 * (xs.min() + xs.max() + 1))
    return disp
