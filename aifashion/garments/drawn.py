"""Fashion flats drawn by our own code (``GARMENTS``: t-shirt, dress, skirt, trousers, hoodie, tote).

Each needs no photo, no data folder and no segmenter: it comes with an exact mask and a fold/shading
map, so a try-on on a flat looks like cloth rather than a flat sticker. Silhouettes are PIL polygons
drawn at 4x and box-downsampled (anti-aliased edges); folds, seams and light are vectorised numpy maps.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from aifashion.registry import Registry

Point = tuple[float, float]

# --------------------------------------------------------------------------------------------
# drawn flats
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fold:
    """A soft fold: a valley along the segment (x0, y0)-(x1, y1) with a lit ridge beside it.

    Coordinates, ``width`` and everything else are in units of the canvas side (0..1);
    ``depth`` is the darkening at the valley's centre (0.1 = 10 %).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.018
    depth: float = 0.12


@dataclass(frozen=True)
class GarmentSpec:
    """Vector description of a flat, in canvas units (x right, y down, 0..1).

    polygons: filled outlines; ellipses: (cx, cy, rx, ry) filled; bands: thick strokes
    (polyline points, width) that belong to the garment (e.g. tote handles); seams: polylines
    drawn as thin soft dark lines; folds: :class:`Fold` s.
    """

    polygons: tuple[tuple[Point, ...], ...]
    ellipses: tuple[tuple[float, float, float, float], ...] = ()
    bands: tuple[tuple[tuple[Point, ...], float], ...] = ()
    seams: tuple[tuple[Point, ...], ...] = ()
    folds: tuple[Fold, ...] = ()


@dataclass(frozen=True)
class Garment:
    """A drawn flat.

    name: its ``GARMENTS`` name.
    image: uint8 (S, S, 3), light grey garment on white.
    mask: float32 (S, S) in [0, 1], exact anti-aliased coverage of the silhouette.
    shading: float32 (S, S), ~1.0 mean inside the mask: folds and seams < 1, lit ridges > 1
        (pass it to :func:`aifashion.compose.try_on` as ``shading``). 1.0 outside the mask.
    """

    name: str
    image: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    shading: np.ndarray = field(repr=False)


GARMENTS: Registry[Callable[[], GarmentSpec]] = Registry("garment")


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 16) -> list[Point]:
    """Points on an ellipse from angle a0 to a1 (degrees, 0 = +x, 90 = +y i.e. down)."""
    t = np.radians(np.linspace(a0, a1, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in t]


def _mirror(left: Sequence[Point]) -> list[Point]:
    """Close a left half-outline (listed top to bottom) with its mirror image about x = 0.5."""
    return list(left) + [(1.0 - x, y) for x, y in reversed(left)]


def _hem(x_left: float, y: float, sag: float, n: int = 12) -> list[Point]:
    """Left half of a gently curved hem, from (x_left, y) to the centre (0.5, y + sag)."""
    xs = np.linspace(x_left, 0.5, n)
    return [(float(x), float(y + sag * (1 - ((x - 0.5) / (0.5 - x_left)) ** 2))) for x in xs]


@GARMENTS.register("t-shirt")
def _tshirt() -> GarmentSpec:
    neck = _arc(0.5, 0.115, 0.095, 0.065, 90, 180, 10)  # front neckline: centre -> left
    left = (
        neck
        + [(0.27, 0.15), (0.075, 0.31), (0.165, 0.43), (0.285, 0.36), (0.28, 0.62), (0.285, 0.9)]
        + _hem(0.285, 0.9, 0.008)[1:-1]
    )
    return GarmentSpec(
        polygons=(tuple(_mirror(left)),),
        seams=(
            tuple(_arc(0.5, 0.115, 0.108, 0.08, 0, 180, 24)),
            ((0.27, 0.15), (0.285, 0.36)),
            ((0.73, 0.15), (0.715, 0.36)),
            ((0.105, 0.35), (0.19, 0.41)),
            ((0.895, 0.35), (0.81, 0.41)),
            ((0.287, 0.87), (0.713, 0.87)),
        ),
        folds=(
            Fold(0.30, 0.40, 0.44, 0.52),
            Fold(0.70, 0.40, 0.56, 0.52),
            Fold(0.38, 0.70, 0.35, 0.88, 0.022, 0.10),
            Fold(0.62, 0.68, 0.66, 0.88, 0.022, 0.10),
            Fold(0.50, 0.74, 0.51, 0.88, 0.02, 0.08),
            Fold(0.17, 0.30, 0.22, 0.38, 0.014, 0.10),
            Fold(0.83, 0.30, 0.78, 0.38, 0.014, 0.10),
        ),
    )


@GARMENTS.register("dress")
def _dress() -> GarmentSpec:
    neck = _arc(0.5, 0.10, 0.085, 0.11, 90, 180, 10)  # scoop neckline: centre -> left
    left = (
        neck
        + [(0.405, 0.07), (0.37, 0.07), (0.35, 0.17), (0.325, 0.25), (0.36, 0.42), (0.30, 0.62), (0.20, 0.92)]
        + _hem(0.20, 0.92, 0.03)[1:-1]
    )
    return GarmentSpec(
        polygons=(tuple(_mirror(left)),),
        seams=(((0.36, 0.42), (0.5, 0.43), (0.64, 0.42)), ((0.5, 0.21), (0.5, 0.42))),
        folds=(
            Fold(0.42, 0.46, 0.33, 0.88, 0.025, 0.13),
            Fold(0.50, 0.47, 0.50, 0.92, 0.025, 0.10),
            Fold(0.58, 0.46, 0.67, 0.88, 0.025, 0.13),
            Fold(0.37, 0.50, 0.25, 0.86, 0.02, 0.09),
            Fold(0.63, 0.50, 0.75, 0.86, 0.02, 0.09),
            Fold(0.42, 0.24, 0.46, 0.38, 0.015, 0.07),
            Fold(0.58, 0.24, 0.54, 0.38, 0.015, 0.07),
        ),
    )


@GARMENTS.register("skirt")
def _skirt() -> GarmentSpec:
    left = [(0.5, 0.14), (0.32, 0.14), (0.30, 0.22), (0.19, 0.76)] + _hem(0.19, 0.76, 0.05)[1:-1]
    return GarmentSpec(
        polygons=(tuple(_mirror(left)),),
        seams=(((0.305, 0.215), (0.695, 0.215)), ((0.56, 0.215), (0.57, 0.40))),
        folds=(
            Fold(0.40, 0.25, 0.31, 0.76, 0.024, 0.13),
            Fold(0.50, 0.25, 0.50, 0.80, 0.024, 0.10),
            Fold(0.60, 0.25, 0.69, 0.76, 0.024, 0.13),
            Fold(0.34, 0.30, 0.24, 0.72, 0.02, 0.08),
            Fold(0.66, 0.30, 0.76, 0.72, 0.02, 0.08),
        ),
    )


@GARMENTS.register("trousers")
def _trousers() -> GarmentSpec:
    poly = [
        (0.31, 0.07),
        (0.69, 0.07),
        (0.715, 0.30),
        (0.74, 0.93),
        (0.555, 0.93),
        (0.51, 0.37),
        (0.49, 0.37),
        (0.445, 0.93),
        (0.26, 0.93),
        (0.285, 0.30),
    ]
    return GarmentSpec(
        polygons=(tuple(poly),),
        seams=(
            ((0.305, 0.125), (0.695, 0.125)),
            ((0.5, 0.125), (0.5, 0.30)),
            ((0.34, 0.13), (0.40, 0.22)),
            ((0.66, 0.13), (0.60, 0.22)),
        ),
        folds=(
            Fold(0.385, 0.30, 0.355, 0.92, 0.01, 0.07),
            Fold(0.615, 0.30, 0.645, 0.92, 0.01, 0.07),
            Fold(0.31, 0.56, 0.45, 0.58, 0.012, 0.09),
            Fold(0.55, 0.58, 0.69, 0.56, 0.012, 0.09),
            Fold(0.30, 0.84, 0.45, 0.86, 0.010, 0.08),
            Fold(0.55, 0.86, 0.72, 0.84, 0.010, 0.08),
            Fold(0.47, 0.33, 0.44, 0.40, 0.010, 0.08),
            Fold(0.53, 0.33, 0.56, 0.40, 0.010, 0.08),
        ),
    )


@GARMENTS.register("hoodie")
def _hoodie() -> GarmentSpec:
    half = [
        (0.5, 0.22),
        (0.36, 0.19),
        (0.26, 0.23),
        (0.14, 0.42),
        (0.06, 0.76),
        (0.15, 0.79),
        (0.22, 0.50),
        (0.27, 0.42),
        (0.27, 0.91),
    ]
    return GarmentSpec(
        polygons=(tuple(_mirror(half)),),
        ellipses=((0.5, 0.17, 0.15, 0.13),),
        seams=(
            tuple(_arc(0.5, 0.19, 0.09, 0.09, 200, 340, 20)),  # hood opening
            ((0.33, 0.62), (0.67, 0.62), (0.71, 0.84), (0.29, 0.84), (0.33, 0.62)),  # pocket
            ((0.455, 0.26), (0.45, 0.42)),
            ((0.545, 0.26), (0.55, 0.42)),  # drawstrings
            ((0.272, 0.86), (0.728, 0.86)),
            ((0.07, 0.72), (0.165, 0.75)),
            ((0.93, 0.72), (0.835, 0.75)),
            ((0.26, 0.23), (0.27, 0.42)),
            ((0.74, 0.23), (0.73, 0.42)),
        ),
        folds=(
            Fold(0.42, 0.12, 0.40, 0.22, 0.02, 0.14),
            Fold(0.58, 0.12, 0.60, 0.22, 0.02, 0.14),
            Fold(0.16, 0.45, 0.20, 0.52, 0.012, 0.10),
            Fold(0.12, 0.58, 0.19, 0.62, 0.012, 0.10),
            Fold(0.84, 0.45, 0.80, 0.52, 0.012, 0.10),
            Fold(0.88, 0.58, 0.81, 0.62, 0.012, 0.10),
            Fold(0.30, 0.45, 0.40, 0.58, 0.02, 0.10),
            Fold(0.70, 0.45, 0.60, 0.58, 0.02, 0.10),
        ),
    )


@GARMENTS.register("tote")
def _tote() -> GarmentSpec:
    handle_l = tuple(_arc(0.40, 0.36, 0.075, 0.22, 180, 360, 24))
    handle_r = tuple(_arc(0.60, 0.36, 0.075, 0.22, 180, 360, 24))
    return GarmentSpec(
        polygons=(((0.22, 0.36), (0.78, 0.36), (0.80, 0.92), (0.20, 0.92)),),
        bands=((handle_l, 0.028), (handle_r, 0.028)),
        seams=(((0.222, 0.40), (0.778, 0.40)), ((0.203, 0.88), (0.797, 0.88))),
        folds=(
            Fold(0.30, 0.42, 0.27, 0.86, 0.02, 0.08),
            Fold(0.70, 0.42, 0.73, 0.86, 0.02, 0.08),
            Fold(0.45, 0.60, 0.60, 0.75, 0.03, 0.06),
        ),
    )


def _px(points: Sequence[Point], s: float) -> list[tuple[float, float]]:
    return [(x * s, y * s) for x, y in points]


def _coverage(spec: GarmentSpec, size: int, ss: int = 4) -> np.ndarray:
    """Anti-aliased silhouette coverage: draw at ``ss`` x then box-downsample; float32 [0, 1]."""
    big = size * ss
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    for poly in spec.polygons:
        draw.polygon(_px(poly, big), fill=255)
    for cx, cy, rx, ry in spec.ellipses:
        draw.ellipse([(cx - rx) * big, (cy - ry) * big, (cx + rx) * big, (cy + ry) * big], fill=255)
    for pts, width in spec.bands:
        draw.line(_px(pts, big), fill=255, width=max(1, round(width * big)), joint="curve")
    return np.asarray(img.reduce(ss), np.float32) * np.float32(1 / 255)


def _seam_map(spec: GarmentSpec, size: int) -> np.ndarray:
    """Seams: thin, slightly blurred lines; float32 (size, size) in [0, 1] (1 = on the seam)."""
    ss = 2
    big = size * ss
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    w = max(1, round(0.003 * big))
    for pts in spec.seams:
        draw.line(_px(pts, big), fill=255, width=w, joint="curve")
    img = img.reduce(ss).filter(ImageFilter.GaussianBlur(max(0.5, size / 1024)))
    return np.asarray(img, np.float32) * np.float32(1 / 255)


def _fold_map(folds: Sequence[Fold], size: int, rng: np.random.Generator) -> np.ndarray:
    """Sum of fold profiles (negative valley + positive ridge), float32 (size, size), ~0 mean."""
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size
    X, Y = coords[None, :], coords[:, None]
    out = np.zeros((size, size), np.float32)
    for f in folds:
        j = rng.normal(0.0, 0.012, 4).astype(np.float32)  # seed jitters the fold a little
        x0, y0, x1, y1 = f.x0 + j[0], f.y0 + j[1], f.x1 + j[2], f.y1 + j[3]
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = ((X - x0) * dx + (Y - y0) * dy) / length2  # position along the fold, 0..1
        d = ((X - x0) * dy - (Y - y0) * dx) / math.sqrt(length2)  # signed distance across it
        taper = np.maximum(np.sin(np.pi * np.clip(t, 0.0, 1.0)), 0.0) ** 0.8
        w = f.width * float(rng.uniform(0.85, 1.15))
        profile = -np.exp(-((d / w) ** 2)) + 0.55 * np.exp(-(((d + 1.7 * w) / w) ** 2))
        out += f.depth * taper * profile
    return out


def draw_garment(name: str, size: int = 1024, seed: int = 0) -> Garment:
    """Draw the flat ``name`` (a ``GARMENTS`` name) on a ``size`` x ``size`` canvas.

    ``seed`` jitters folds a little (same seed, same picture). Light comes from the top left.
    Returns a :class:`Garment`: image uint8 (size, size, 3), mask float32 [0, 1], shading
    float32 with mean 1.0 inside the mask (mask-weighted), 1.0 outside.
    """
    spec = GARMENTS.get(name)()
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or not 16 <= size <= 8192:
        raise ValueError(f"size must be an int between 16 and 8192, not {size!r}")
    size = int(size)
    rng = np.random.default_rng(seed)
    mask = _coverage(spec, size)
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size
    light = 1.0 + 0.07 * (0.5 - coords[:, None]) + 0.04 * (0.5 - coords[None, :])
    # soft "cushion": darker towards the silhouette, like cloth curving away from the light
    m8 = Image.fromarray(np.clip(mask * 255 + 0.5, 0, 255).astype(np.uint8))
    inner = np.asarray(m8.filter(ImageFilter.GaussianBlur(0.025 * size)), np.float32) / 255.0
    cushion = 0.84 + 0.16 * np.clip(2.0 * inner - 0.6, 0.0, 1.0) ** 0.7
    edge = np.asarray(m8.filter(ImageFilter.GaussianBlur(max(0.6, size / 700))), np.float32) / 255.0
    outline = 1.0 - 0.35 * np.clip(1.0 - np.abs(2.0 * edge - 1.0) * 1.5, 0.0, 1.0)
    shading = light * cushion * outline * (1.0 + _fold_map(spec.folds, size, rng))
    shading *= 1.0 - 0.22 * _seam_map(spec, size)
    inside = mask.sum()
    shading /= float((shading * mask).sum() / inside) if inside > 0 else 1.0
    shading = np.where(mask > 0, shading, 1.0).astype(np.float32)
    grey = np.clip(0.80 * 255.0 * shading, 0, 255)
    image = 255.0 * (1.0 - mask) + grey * mask
    image = np.repeat(np.clip(image + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    return Garment(name=name, image=image, mask=mask, shading=shading)
