"""Put a pattern on a garment: wrap-around tiling, shading-true blending, feathered edges.

The pattern is *tiled* across the garment at a chosen scale and rotation (never stretched to
the photo), multiplied by the garment's own light (its normalised luminance; for photos, with
``shading='intrinsic'``, the shading of an intrinsic split -- folds, seams and edges kept, the
print taken out; a precomputed shading map for drawn flats) so that folds and highlights stay
visible, and blended in with a feathered mask. Pixels
outside the garment mask are returned bit-exact. Photos are composited at their full size; a mask
found at a working size is brought to it with :func:`refine_mask` (guided filter: the photo's edges).

Everything is vectorised numpy and PIL (no per-pixel Python loop), confined to the bounding
box of the garment and worked in bands of rows (``arrays.STRIP_PIXELS``) so that temporaries
stay in cache. Every blend mode is a per-pixel affine map of the pattern (``pattern * A + B``,
A and B from the shading); the feathered blend with the photo folds into the same map, so the
composite is ``(tile * A + B + photo * W) >> 8`` in 8.8 fixed point (uint16), with A, B, W
per pixel (with shading from the photo: 64k-entry tables indexed by luma and alpha).

Two ways to use it: :func:`try_on` does everything in one call; for interactive use
(the dashboard re-applies patterns to one garment on every slider move) :func:`prepare_garment`
does the pattern-independent part once and :func:`apply_pattern` the rest, keeping the per-pixel
coefficients, bit-identical to :func:`try_on`. ``bench/compose.py`` times both against the
seed's per-pixel loop.

Modules, in the order the data flows:

- :mod:`~aifashion.compose.masks`: :func:`as_mask` (the one mask converter, float32 or uint8),
  :func:`resize_mask`, :func:`feather_mask`, :func:`default_feather`
- :mod:`~aifashion.compose.tiling`: :func:`tile_pattern`, :func:`check_tiling_args`
- :mod:`~aifashion.compose.refine`: :func:`refine_mask` (a low-resolution mask -> the photo's full
  size, guided-filter edges)
- :mod:`~aifashion.compose.intrinsic`: :func:`intrinsic_split` (a garment photo -> shading kept,
  print and cloth colour replaced), :func:`intrinsic_shading`
- :mod:`~aifashion.compose.shading`: :func:`shading_from_photo`, the ``SHADINGS`` registry
  ('photo', 'intrinsic'), the ``BLEND_MODES``
  registry ('shade', 'multiply', 'flat') and the 8.8 fixed-point arithmetic of the composite
- :mod:`~aifashion.compose.drape`: how the pattern sits on the cloth -- the soft edge mixed with
  the colour behind the garment (no rim of the old colour), the tile bent along the folds
  (``warp``), each garment part its own pattern origin (``placement``)
- :mod:`~aifashion.compose.prepared`: :func:`try_on` -> :class:`TryOn`,
  :func:`prepare_garment` -> :class:`PreparedGarment`, :func:`apply_pattern`
- :mod:`~aifashion.compose.arrays`: image coercion and row bands, shared by the others

The ``aifashion tryon`` subcommand lives in :mod:`aifashion.cli.tryon`.
"""

from aifashion.compose.arrays import ImageLike
from aifashion.compose.intrinsic import Intrinsic, IntrinsicParams, intrinsic_shading, intrinsic_split
from aifashion.compose.masks import as_mask, default_feather, feather_mask, resize_mask
from aifashion.compose.prepared import PreparedGarment, TryOn, apply_pattern, prepare_garment, try_on
from aifashion.compose.refine import refine_mask
from aifashion.compose.shading import BLEND_MODES, SHADING_EPS, SHADINGS, shading_from_photo
from aifashion.compose.tiling import check_tiling_args, tile_pattern

__all__ = [
    # one call
    "try_on",
    "TryOn",
    # interactive: prepare once, apply per pattern
    "prepare_garment",
    "PreparedGarment",
    "apply_pattern",
    # the stages
    "tile_pattern",
    "check_tiling_args",
    "shading_from_photo",
    "intrinsic_split",
    "intrinsic_shading",
    "Intrinsic",
    "IntrinsicParams",
    "SHADINGS",
    "SHADING_EPS",
    "BLEND_MODES",
    "feather_mask",
    "default_feather",
    "as_mask",
    "resize_mask",
    "refine_mask",
    "ImageLike",
]
