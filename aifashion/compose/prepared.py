"""Try-on: a garment prepared once, then a pattern composited onto it (or both in one call).

:func:`prepare_garment` does the pattern-independent work (the feathered mask, its bounding box,
the luma or shading under it) and returns a :class:`PreparedGarment`; its :meth:`~PreparedGarment.apply`
(what :func:`apply_pattern` calls) tiles a pattern over the box and composites it as
``(tile * A + B + photo * W) >> 8`` in 8.8 fixed point, band by band, with the per-pixel
coefficients A, B, W kept for the last blend mode and strength used. :func:`try_on` is the
one-shot form, bit-identical to prepare + apply.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from aifashion.compose.arrays import ImageLike, repeat3, rgb_array, strips
from aifashion.compose.drape import edge_background, fold_displacement, placement_displacement
from aifashion.compose.masks import Box, as_mask, feather8, feather_radius
from aifashion.compose.shading import (
    BLEND_MODES,
    SHADING_EPS,
    SHADINGS,
    affine_into,
    blend_coefficients,
    fixed_point,
    fold_alpha,
    interleave,
    luma8,
    photo_weight,
    shading_lut,
)
from aifashion.compose.tiling import check_tiling_args, tile_region

__all__ = ["TryOn", "PreparedGarment", "prepare_garment", "apply_pattern", "try_on"]

Band = tuple[slice, slice]


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


def _check_blend_args(scale: float, rotation: float, shading_strength: float, blend: str) -> None:
    check_tiling_args(scale, rotation)
    if not isinstance(shading_strength, (int, float)) or not math.isfinite(shading_strength) or shading_strength < 0:
        raise ValueError(f"shading_strength must be >= 0, not {shading_strength!r}")
    BLEND_MODES.get(blend)


class PreparedGarment:
    """A garment ready for patterns: everything :meth:`apply` needs that does not depend on the
    pattern, computed once by :func:`prepare_garment`.

    image: uint8 (H, W, 3), the garment (not copied: do not modify it while prepared).
    alpha8: uint8 (H, W), the feathered mask (``TryOn.alpha8`` of every result).
    box: (y0, y1, x0, x1), the bounding box of the garment mask, the only area that changes
        (None if the mask is empty).
    :meth:`apply` keeps, for the last blend mode and shading strength used, the blend folded
    into 8.8 fixed-point per-pixel coefficients of the box (12 bytes a pixel), so that
    re-applying patterns, scales and rotations to one garment costs only the tiling and one
    multiply-add.
    """

    __slots__ = ("image", "alpha8", "box", "_a8", "_lum8", "_m8", "_shading", "_under", "_disp", "_cache")

    def __init__(
        self,
        image: np.ndarray,
        alpha8: np.ndarray,
        box: Box | None,
        a8: np.ndarray,
        lum8: np.ndarray | None,
        m8: np.ndarray | None,
        shading: np.ndarray | None,
        under: np.ndarray | None = None,
        disp: np.ndarray | None = None,
    ) -> None:
        """Use :func:`prepare_garment`. a8: uint8 alpha of the box; lum8 and m8: uint8 luma and
        mask of the box (shading from the photo), or shading: float32 shading of the box;
        under: uint8 (h, w, 3), what the soft edge mixes with (:func:`~aifashion.compose.drape.edge_background`;
        None: the photo); disp: float32 (2, h, w) displacement of the tiling (None: none)."""
        self.image, self.alpha8, self.box = image, alpha8, box
        self._a8, self._lum8, self._m8, self._shading = a8, lum8, m8, shading
        self._under, self._disp = under, disp
        self._cache: dict = {}

    def __repr__(self) -> str:
        return f"PreparedGarment({self.image.shape[1]}x{self.image.shape[0]}, box={self.box})"

    def apply(
        self,
        pattern: ImageLike,
        scale: float = 1.0,
        rotation: float = 0.0,
        shading_strength: float = 1.0,
        blend: str = "shade",
        offset: tuple[float, float] = (0.0, 0.0),
        keep_maps: bool = True,
    ) -> TryOn:
        """Composite a tiled ``pattern`` onto this garment; arguments as in :func:`try_on`.

        ``keep_maps``: build and keep the box's coefficient maps for (blend, shading_strength),
        replacing those of another pair (the fast path for repeated calls); False works band by
        band and keeps nothing new (one-shot use, as :func:`try_on` does).
        """
        _check_blend_args(scale, rotation, shading_strength, blend)
        pat = rgb_array(pattern, "pattern")
        img, alpha8, box = self.image, self.alpha8, self.box
        H, W = img.shape[:2]
        rgb = img.copy()
        if box is None:
            return TryOn(rgb, alpha8, lambda: np.zeros((H, W, 4), np.uint8))
        y0, _, x0, _ = box
        strength, scale, rotation = float(shading_strength), float(scale), float(rotation)
        maps = self._maps(blend, strength) if keep_maps else self._cache.get(("maps", blend, strength))

        def tile(band: Band) -> np.ndarray:
            rows, cols = band
            h, w = rows.stop - rows.start, cols.stop - cols.start
            disp = None if self._disp is None else self._disp[(slice(None), *band)]
            return tile_region(pat, y0 + rows.start, x0 + cols.start, h, w, scale, rotation, offset, disp)

        def where(dst: np.ndarray, band: Band) -> np.ndarray:
            rows, cols = band
            return dst[y0 + rows.start : y0 + rows.stop, x0 + cols.start : x0 + cols.stop]

        for band in self._bands():
            if maps:
                affine_into(where(rgb, band), tile(band), maps[0][band], maps[1][band])
            else:
                A, B, Wt = self._maps_band(blend, strength, band)
                affine_into(where(rgb, band), tile(band), *interleave(A, B, self._photo(band), Wt))

        def make_rgba() -> np.ndarray:
            rgba = np.zeros((H, W, 4), np.uint8)
            rgba[..., 3] = alpha8
            for band in self._bands():
                A, B, _ = self._maps_band(blend, strength, band, cutout=True)
                affine_into(where(rgba, band)[..., :3], tile(band), repeat3(A), repeat3(B))
            return rgba

        return TryOn(rgb, alpha8, make_rgba)

    # ------------------------------------------------------------------ coefficients (private)
    def _luts(self, blend: str, strength: float) -> tuple[np.ndarray, np.ndarray]:
        """Photo shading: uint16 (256,) 8.8 fixed-point A and B as functions of the 8-bit luma."""
        key = ("lut", blend, strength)
        if key not in self._cache:
            s_lut = shading_lut(self._lum8, self._m8, strength, SHADING_EPS)
            self._keep(key, fixed_point(*blend_coefficients(BLEND_MODES.get(blend), s_lut)))
        return self._cache[key]

    def _keep(self, key: tuple, value) -> None:
        """Cache ``value`` under ``key``, replacing the entry of the same kind (key[0]) for another
        blend mode or strength: memory stays bounded however many strengths a slider visits."""
        for old in [k for k in self._cache if k[0] == key[0]]:
            del self._cache[old]
        self._cache[key] = value

    def _bands(self) -> list[Band]:
        """Bands of rows of the box (``STRIP_PIXELS`` pixels) as (rows, columns) slices of the box,
        the columns trimmed to where alpha > 0 (bands with none are left out): the work list."""
        if ("bands",) not in self._cache:
            h, w = self._a8.shape
            bands = []
            for ys, ye in strips(0, h, w):
                cols = np.flatnonzero(self._a8[ys:ye].any(axis=0))
                if cols.size:
                    bands.append((slice(ys, ye), slice(int(cols[0]), int(cols[-1]) + 1)))
            self._cache[("bands",)] = bands
        return self._cache[("bands",)]

    def _coefficients(self, blend: str, strength: float, band: Band) -> tuple[np.ndarray, np.ndarray]:
        """uint16 (n, m) A16, B16 of a band of the box: shaded pattern = (tile * A16 + B16) >> 8."""
        if self._shading is None:
            a16_lut, b16_lut = self._luts(blend, strength)
            lum8 = self._lum8[band]
            return a16_lut.take(lum8), b16_lut.take(lum8)
        sb = self._shading[band]
        if strength != 1.0:
            sb = np.float32(1.0 - strength) + np.float32(strength) * sb
        return fixed_point(*blend_coefficients(BLEND_MODES.get(blend), sb))

    def _maps_band(
        self, blend: str, strength: float, band: Band, cutout: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
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
                self._keep(key, [x.ravel() for x in fold_alpha(a16_lut[:, None], b16_lut[:, None], alpha)])
            fold_a, fold_b = self._cache[key]
            idx = self._lum8[band].astype(np.uint16)
            idx <<= np.uint8(8)
            idx |= a8  # luma * 256 + alpha
            A, B = fold_a.take(idx), fold_b.take(idx)
        else:
            A, B = fold_alpha(*self._coefficients(blend, strength, band), a8)
        return A, B, photo_weight(a8)

    def _photo(self, band: Band) -> np.ndarray:
        """uint8 (n, m, 3): what the composite mixes with under a band of the box: the garment
        image, its soft edge decontaminated (the colour behind the garment)."""
        if self._under is not None:
            return self._under[band]
        rows, cols = band
        y0, _, x0, _ = self.box
        return self.image[y0 + rows.start : y0 + rows.stop, x0 + cols.start : x0 + cols.stop]

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
                A3[band], B3[band] = interleave(A, B, self._photo(band), W)
            self._keep(key, (A3, B3))
        return self._cache[key]


def prepare_garment(
    garment: ImageLike,
    garment_mask: ImageLike,
    shading: np.ndarray | str | None = None,
    feather: float | None = None,
    warp: float = 0.0,
    placement: np.ndarray | None = None,
) -> PreparedGarment:
    """Do the pattern-independent work of :func:`try_on` once, for :func:`apply_pattern`.

    Args:
        garment: the photo or drawn flat, PIL image or uint8 (H, W, 3).
        garment_mask: where the garment is; float [0, 1], uint8 0..255, bool or PIL, (H, W).
        shading: optional precomputed float (H, W) light map (~1.0 typical, e.g.
            ``Garment.shading`` of a drawn flat), or a ``SHADINGS`` name: None or 'photo' derive
            it from the photo's luminance as it is; 'intrinsic' from its
            intrinsic split (:func:`~aifashion.compose.intrinsic_shading`: folds kept, print out).
        feather: edge ramp width in pixels (None: :func:`~aifashion.compose.default_feather`; 0: none).
        warp: the pattern bends along the folds, by at most this fraction of the garment's
            longest side (:func:`~aifashion.compose.drape.fold_displacement`; 0: straight;
            the CLI and the dashboard use ``drape.WARP``).
        placement: optional integer (H, W) label map (garment part ids >= 2, e.g.
            ``Masks.part_ids()``): each part takes its own pattern origin at its top
            centre (:func:`~aifashion.compose.drape.placement_displacement`).

    Returns:
        :class:`PreparedGarment` (feathered mask, bounding box, luma or shading of the box, the
        soft edge's background colour, the tiling's displacement).
        ``apply_pattern(prepare_garment(g, m, s, f), p, ...)`` equals ``try_on(g, m, p, ...,
        shading=s, feather=f)`` bit for bit.
    """
    img = rgb_array(garment, "garment")
    H, W = img.shape[:2]
    m8 = as_mask(garment_mask, (H, W), dtype=np.uint8)
    if isinstance(shading, str):
        make = SHADINGS.get(shading)  # unknown names raise UnknownNameError, listing the valid ones
        shading = None if shading == "photo" else make(img, m8)
    if shading is not None:
        shading = np.asarray(shading, dtype=np.float32)
        if shading.shape != (H, W):
            raise ValueError(f"shading must be {H}x{W} like the garment, not {shading.shape}")
    if not isinstance(warp, (int, float)) or not math.isfinite(warp) or not 0 <= warp <= 0.2:
        raise ValueError(f"warp must be a fraction of the garment between 0 and 0.2, not {warp!r}")
    if placement is not None and np.shape(placement) != (H, W):
        raise ValueError(f"placement must be {H}x{W} like the garment, not {np.shape(placement)}")
    a8, box = feather8(m8, feather)
    alpha8 = np.zeros((H, W), np.uint8)
    if box is None:
        return PreparedGarment(img, alpha8, None, a8, None, None, None)
    y0, y1, x0, x1 = box
    alpha8[y0:y1, x0:x1] = a8
    lum8 = m8b = sb = None
    if shading is None:
        lum8, m8b = luma8(img[y0:y1, x0:x1]), m8[y0:y1, x0:x1]
    else:  # sanitise: NaN -> 1 (no shading), negatives -> 0
        sb = np.nan_to_num(shading[y0:y1, x0:x1], nan=1.0, posinf=4.0, neginf=0.0).clip(0.0, None)
    under = edge_background(img, m8, a8, box, 2 * feather_radius(feather, (H, W)) + 3)
    disp = fold_displacement(lum8 if sb is None else sb, a8, float(warp))
    if placement is not None:
        place = placement_displacement(np.asarray(placement)[y0:y1, x0:x1], a8, (y0, x0))
        disp = place if disp is None else disp if place is None else disp + place
    return PreparedGarment(img, alpha8, box, a8, lum8, m8b, sb, under, disp)


def apply_pattern(
    prepared: PreparedGarment,
    pattern: ImageLike,
    scale: float = 1.0,
    rotation: float = 0.0,
    shading_strength: float = 1.0,
    blend: str = "shade",
    offset: tuple[float, float] = (0.0, 0.0),
) -> TryOn:
    """Composite a tiled ``pattern`` onto a :func:`prepare_garment` result: the fast repeat path.

    Arguments as in :func:`try_on`. The first call for a (blend, shading_strength) pair builds
    and keeps that pair's coefficient maps in ``prepared``; later calls cost one tiling of the
    garment's bounding box and one fixed-point multiply-add. Equals :func:`try_on` bit for bit.
    Same as ``prepared.apply(pattern, ...)``.
    """
    if not isinstance(prepared, PreparedGarment):
        raise TypeError(f"apply_pattern needs a PreparedGarment (see prepare_garment), not {type(prepared).__name__}")
    return prepared.apply(pattern, scale, rotation, shading_strength, blend, offset, keep_maps=True)


def try_on(
    garment: ImageLike,
    garment_mask: ImageLike,
    pattern: ImageLike,
    scale: float = 1.0,
    rotation: float = 0.0,
    shading_strength: float = 1.0,
    feather: float | None = None,
    shading: np.ndarray | str | None = None,
    blend: str = "shade",
    offset: tuple[float, float] = (0.0, 0.0),
    warp: float = 0.0,
    placement: np.ndarray | None = None,
) -> TryOn:
    """Composite a tiled ``pattern`` onto the garment in ``garment``.

    Args:
        garment: the photo or drawn flat, PIL image or uint8 (H, W, 3).
        garment_mask: where the garment is; float [0, 1], uint8 0..255, bool or PIL, (H, W).
        pattern: the tile, PIL or uint8 (h, w, 3); see :func:`~aifashion.compose.tile_pattern`
            for ``scale`` (magnification, > 0), ``rotation`` (degrees) and ``offset`` (pattern pixels).
        shading_strength: >= 0; 0 pastes the pattern flat, 1 keeps the garment's own light and folds.
        feather: edge ramp width in pixels (None: :func:`~aifashion.compose.default_feather`; 0: none).
        shading: optional precomputed float (H, W) light map (~1.0 mean, e.g. ``Garment.shading``
            of a drawn flat), or a ``SHADINGS`` name: None or 'photo' derive it from the photo as
            :func:`~aifashion.compose.shading_from_photo` does, 'intrinsic' as
            :func:`~aifashion.compose.intrinsic_shading` does (folds kept, print taken out).
        blend: a ``BLEND_MODES`` name ('shade', 'multiply', 'flat').
        warp, placement: how the pattern follows the cloth, as in :func:`prepare_garment`.

    Returns:
        :class:`TryOn`. Wherever the mask is 0, ``rgb`` equals ``garment`` exactly; where the
        feathered alpha is 1 it is the shaded pattern; in between a linear mix of the shaded
        pattern and the colour behind the garment's edge (the photo's, decontaminated:
        :func:`~aifashion.compose.drape.edge_background`).
        Equal to ``apply_pattern(prepare_garment(garment, garment_mask, shading, feather), pattern,
        ...)``; use those two to re-apply patterns to one garment (interactive use).
    """
    _check_blend_args(scale, rotation, shading_strength, blend)  # before the pattern-independent work
    prepared = prepare_garment(garment, garment_mask, shading=shading, feather=feather, warp=warp, placement=placement)
    return prepared.apply(pattern, scale, rotation, shading_strength, blend, offset, keep_maps=False)
