"""Evaluation of a segmenter: IoU per class on the CCP validation split (pooled over pixels at full
photo size; a parts model also per part), and garment IoU on labelled product shots.

Used by training (each ``eval_every`` steps, on the EMA weights) and by the CLI and tools on any
:class:`~aifashion.segment.predict.Segmenter`; it imports no training code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .data import CLASS_NAMES, IGNORE, ccp_split, load_ccp_pair
from .predict import Segmenter

__all__ = ["confusion", "iou_from_confusion", "merge_parts", "evaluate", "evaluate_products"]


def confusion(pred: np.ndarray, target: np.ndarray, n: int = 3) -> np.ndarray:
    """(n, n) int64 confusion matrix [target, pred] over pixels whose target != IGNORE."""
    keep = target != IGNORE
    return np.bincount(target[keep].astype(np.int64) * n + pred[keep].astype(np.int64), minlength=n * n).reshape(n, n)


def iou_from_confusion(cm: np.ndarray, names: Sequence[str] = CLASS_NAMES) -> dict[str, float]:
    """IoU per class (pooled over all pixels): TP / (TP + FP + FN)."""
    tp = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - tp
    return {name: float(tp[i] / union[i]) if union[i] > 0 else float("nan") for i, name in enumerate(names)}


def merge_parts(cm: np.ndarray) -> np.ndarray:
    """A (n, n) confusion matrix of the parts scheme -> the 3-class one (garment = every class from 2)."""
    idx = np.minimum(np.arange(cm.shape[0]), 2)
    out = np.zeros((3, 3), cm.dtype)
    np.add.at(out, (idx[:, None], idx[None, :]), cm)
    return out


def evaluate_products(
    segmenter: Segmenter,
    photos_dir: str | os.PathLike,
    masks_dir: str | os.PathLike,
    ids: Sequence[str],
    progress: bool = True,
) -> dict:
    """Garment IoU on labelled product shots (:mod:`aifashion.segment.products`), pooled over pixels
    at full photo size; a pixel is garment where P(garment) > 0.5. Returns ``{"garment_iou": float in
    [0, 1], "images": n, "per_image": {id: IoU}}``."""
    from tqdm.auto import tqdm

    from .products import load_product_pair

    inter = union = 0
    per_image = {}
    for pid in tqdm(ids, desc="evaluate products", disable=not progress, leave=False):
        img, lab = load_product_pair(photos_dir, masks_dir, pid)
        pred = segmenter.predict(img).garment > 0.5
        truth = lab == 2
        i, u = int((pred & truth).sum()), int((pred | truth).sum())
        inter, union = inter + i, union + u
        per_image[pid] = i / u if u else 1.0
    return {"garment_iou": inter / union if union else float("nan"), "images": len(ids), "per_image": per_image}


def evaluate(
    segmenter: Segmenter,
    ccp_dir: str | os.PathLike,
    ids: Sequence[str] | None = None,
    val_count: int = 100,
    limit: int | None = None,
    batch_size: int = 4,
    progress: bool = True,
) -> dict:
    """IoU per class, pooled over the CCP validation split (or ``ids``), at full photo size.

    The predicted class of a pixel is the argmax of (background, person-not-garment, garment)
    probabilities derived from :class:`Masks` (a parts model: of background, person, each part).
    Returns ``{"iou": {class: float}, "images": n, "ids": [first, last]}``, and for a parts model
    ``"parts_iou": {part: float}`` and ``"parts_miou"`` (their mean); IoU values in [0, 1].
    """
    from tqdm.auto import tqdm

    ccp_dir = Path(ccp_dir)
    if ids is None:
        ids = ccp_split(ccp_dir, val_count)[1]
    ids = list(ids)[:limit] if limit else list(ids)
    parts = bool(segmenter.part_names)
    n = 2 + len(segmenter.part_names) if parts else 3
    cm = np.zeros((n, n), np.int64)
    for i in tqdm(range(0, len(ids), batch_size), desc="evaluate", disable=not progress, leave=False):
        pairs = [load_ccp_pair(ccp_dir, pid, parts) for pid in ids[i : i + batch_size]]
        masks = segmenter.predict_batch([p[0] for p in pairs], batch_size=batch_size)
        for (_, lab), m in zip(pairs, masks):
            garment = m.parts if parts else m.garment[None]
            probs = np.concatenate([1 - m.person[None], (m.person - m.garment)[None], garment])
            cm += confusion(probs.argmax(0).astype(np.uint8), lab, n)
    out = {"iou": iou_from_confusion(merge_parts(cm)), "images": len(ids), "ids": [ids[0], ids[-1]] if ids else []}
    if parts:
        iou = iou_from_confusion(cm, ("background", "person", *segmenter.part_names))
        out["parts_iou"] = {k: iou[k] for k in segmenter.part_names}
        out["parts_miou"] = float(np.nanmean(list(out["parts_iou"].values())))
    return out
