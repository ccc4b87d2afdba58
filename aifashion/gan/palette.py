"""Palette control: recolour a pattern to 2-4 chosen colours, keeping its structure and shading.

The generator draws in the colours of the FingerCamera photos (dim, bluish). :func:`recolor`
keeps what a pattern *is* (where it is light and dark: stripes, dots, shading, folds of a
print) and replaces what colours it has: each pixel's luminance, stretched to the image's own
range (1st-99th percentile), is mapped through a piecewise-linear gradient of the chosen
colours sorted from dark to light. The darkest parts of the pattern take the darkest colour,
the lightest the lightest one, and the structure stays where it was::

    from aifashion.gan.palette import parse_palette, recolor
    recolor(img, parse_palette("#1b2a49,#f4e9d8"))          # navy and cream
    recolor(img, "terracotta")                              # a named palette (PALETTES)

Pure post-processing on PIL / numpy images: no torch, no training code. A tileable input stays
tileable (the mapping is per pixel).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from PIL import Image

__all__ = ["PALETTES", "Color", "luminance", "parse_color", "parse_palette", "recolor", "resolve_palette"]

Color = tuple[int, int, int]

PALETTES: dict[str, tuple[str, ...]] = {
    "navy-cream": ("#1b2a49", "#f4e9d8"),
    "black-white": ("#111111", "#f5f5f5"),
    "terracotta": ("#5a2a1b", "#c8673e", "#f2d3b3"),
    "forest": ("#14301f", "#3f7d4e", "#e6e2c3"),
    "denim": ("#14213d", "#3d5a80", "#98c1d9", "#e0fbfc"),
    "sunset": ("#2d1e2f", "#b23a48", "#f28f3b", "#ffd5a5"),
    "pastel": ("#8e7dbe", "#a8d5ba", "#f7d9c4", "#fdf6ec"),
}
"""Named palettes (2-4 colours each), usable wherever a palette is asked for."""

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
_REC709 = np.array([0.2126, 0.7152, 0.0722])  # luminance weights (of linear-light RGB)


def parse_color(text: str) -> Color:
    """``"#RRGGBB"`` (the ``#`` optional) -> ``(r, g, b)`` ints 0..255; ``ValueError`` (one line) otherwise."""
    m = _HEX.match(text.strip())
    if not m:
        raise ValueError(f"bad colour {text.strip()!r}: expected #RRGGBB, e.g. #1b2a49")
    h = m.group(1)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def parse_palette(text: str) -> list[Color]:
    """``"#RRGGBB,#RRGGBB[,...]"`` (2-4 colours) or a name from :data:`PALETTES` -> colours.

    Raises ``ValueError`` with one line: a bad colour, fewer than 2 or more than 4 colours, or an
    unknown palette name (the message lists the valid names).
    """
    text = text.strip()
    if "," not in text and not _HEX.match(text):
        if text not in PALETTES:
            raise ValueError(
                f"unknown palette {text!r}; give 2-4 colours as #RRGGBB,#RRGGBB or a name: {', '.join(PALETTES)}"
            )
        return [parse_color(c) for c in PALETTES[text]]
    parts = [p for p in (s.strip() for s in text.split(",")) if p]
    if not 2 <= len(parts) <= 4:
        raise ValueError(f"a palette needs 2-4 colours (#RRGGBB,#RRGGBB[,...]), not {len(parts)}")
    return [parse_color(p) for p in parts]


def resolve_palette(palette: str | Sequence[str | Sequence[int]]) -> list[Color]:
    """A palette given as text (:func:`parse_palette`) or as 2-4 colours (``"#RRGGBB"`` strings
    or ``(r, g, b)`` 0..255 triples) -> a list of ``(r, g, b)``."""
    if isinstance(palette, str):
        return parse_palette(palette)
    colors = []
    for c in palette:
        if isinstance(c, str):
            colors.append(parse_color(c))
        else:
            rgb = tuple(int(v) for v in c)
            if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
                raise ValueError(f"bad colour {c!r}: expected (r, g, b) with values 0..255")
            colors.append(rgb)
    if not 2 <= len(colors) <= 4:
        raise ValueError(f"a palette needs 2-4 colours, not {len(colors)}")
    return colors


def _linear(srgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] -> linear light."""
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Relative luminance in [0, 1] of uint8 ``(..., 3)`` sRGB."""
    return _linear(np.asarray(rgb, np.float64) / 255.0) @ _REC709


def recolor(
    image: Image.Image | np.ndarray,
    colors: str | Sequence[str | Sequence[int]],
    *,
    min_contrast: float = 0.08,
) -> Image.Image:
    """Recolour a pattern to a palette, keeping its structure and shading.

    Args:
        image: PIL image or uint8 ``(H, W, 3)`` array.
        colors: 2-4 colours (see :func:`resolve_palette`) or a palette string / name.
        min_contrast: the luminance range (of [0, 1]) a pattern is stretched from is at least
            this wide, so a plain (solid) fabric is not blown up into noise: it becomes a shaded
            blend of the middle of the palette.

    Returns:
        PIL RGB of the same size: the gradient of the colours (sorted by luminance, evenly
        spaced) evaluated at each pixel's stretched luminance, interpolated in linear light.
    """
    pal = np.array(resolve_palette(colors), np.float64)
    arr = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an RGB image (H, W, 3), not shape {arr.shape}")
    # perceptual lightness (luminance ** 1/2.2 is close to L*) so that shading steps stay even
    lum = luminance(arr) ** (1 / 2.2)
    lo, hi = np.percentile(lum, [1, 99])
    span = max(hi - lo, min_contrast)
    mid = (lo + hi) / 2
    t = np.clip((lum - (mid - span / 2)) / span, 0.0, 1.0)  # (H, W) in [0, 1]
    order = np.argsort(luminance(pal.astype(np.uint8)), kind="stable")
    stops = _linear(pal[order] / 255.0)  # (n, 3) linear light, dark -> light
    n = len(stops)
    pos = t * (n - 1)
    i = np.minimum(pos.astype(np.int64), n - 2)
    f = (pos - i)[..., None]
    out = stops[i] * (1 - f) + stops[i + 1] * f  # (H, W, 3) linear light
    srgb = np.where(out <= 0.0031308, out * 12.92, 1.055 * np.power(out, 1 / 2.4) - 0.055)
    return Image.fromarray((np.clip(srgb, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
