"""Garment parts of a photo for the dashboard (no widgets, no state): which garments a parts
segmenter found, how the garment column names them, and the user's choice put in a fixed order.

A parts segmenter's ``Masks`` (``aifashion.segment.Masks``) hold one probability plane per part
(top, outer, bottom, full); a 3-class model's hold none, and then the whole garment takes the
pattern. The mask of chosen parts (:func:`part_mask`, ``Masks.select``) is the garment's probability where
the most likely part is a chosen one: a garment the model is unsure of (an open jacket, outer
or top at 40 % each) is patterned as fully as the whole garment would be, and the other garments
not at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Parts covering less than this fraction of the photo are not offered (stray pixels).
MIN_PART_AREA = 0.005


def parts_found(masks, min_area: float = MIN_PART_AREA) -> dict[str, float]:
    """{part: fraction of the photo's pixels in [0, 1]} of the garments ``masks`` tell apart
    (``Masks.part_areas``), largest first, leaving out those under ``min_area``; {} for masks
    without parts (a 3-class model) or None."""
    if masks is None or not getattr(masks, "part_names", ()):
        return {}
    return {name: area for name, area in masks.part_areas().items() if area >= min_area}


def part_label(name: str, fraction: float) -> str:
    """What the garment column shows for a part: ``"outer · 31% of the photo"`` (``fraction`` in
    [0, 1]; a part found at all never reads 0%)."""
    return f"{name} · {max(1, round(100 * fraction))}% of the photo"


def ordered_parts(part_names: Sequence[str], parts: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The chosen ``parts`` (names, or one comma-separated string) in the order of ``part_names``,
    duplicates dropped: one cache key per choice however it was ticked. None stays None (the whole
    garment); ``()`` is a valid choice (no garment). Raises ValueError for a name not in
    ``part_names`` (listing them) or when there are no parts to choose from."""
    if parts is None:
        return None
    if not part_names:
        raise ValueError("this segmenter tells no garment parts apart (it knows one garment class)")
    if not (parts.strip(", ") if isinstance(parts, str) else parts):
        return ()
    from aifashion.segment.predict import check_parts  # torch only once a choice is checked

    chosen = check_parts(parts, part_names)
    return tuple(n for n in part_names if n in chosen)


def part_mask(masks, parts: Sequence[str]) -> np.ndarray:
    """float32 (H, W) in [0, 1]: ``masks.select(parts)`` (P(garment) where the most likely part is
    one of ``parts``, 0 elsewhere), and all 0 when no part is chosen."""
    if not parts:
        return np.zeros_like(masks.garment, dtype=np.float32)
    return masks.select(parts)
