"""Cloth segmentation: which pixels of a photo are garment, which are person, which background.

Public API (modules: ``model`` config + network, ``data`` labels/split/augmentation, ``predict``, ``train``):

- ``SEGMENTERS``: registry of ``'aifashion-ccp'`` (ours: smp Unet, 3 classes -- background,
  person-but-not-garment, garment -- trained from scratch by this package on Clothing
  Co-Parsing) and ``'ternaus-2020-10-30'`` (reference: binary smp Unet with a
  timm-efficientnet-b3 encoder, weights from its GitHub release, sha256-checked: pinned in
  ``TERNAUS_SHA256`` once known, until then recorded on first download and verified after;
  we run it with the longest side at 640 px; its person mask equals its garment mask).
- ``load_segmenter(name="aifashion-ccp", weights=None, device="cpu") -> Segmenter``.
- ``Segmenter.predict(image) -> Masks(garment, person)``: float32 (H, W) in [0, 1] at the input
  size; ``predict_batch(images)``.
- ``train_segmenter(...)``, ``evaluate(...)``, ``export_checkpoint(...)``, ``overlay(image, masks)``.
- ``GARMENT_LABELS``, ``PERSON_LABELS``: the CCP label ids of each group.
- CLI (:mod:`aifashion.cli`): ``aifashion segment IMAGE --out MASK.png`` and ``aifashion train-segmenter``.
"""
from __future__ import annotations


from aifashion.segment.model import SegmenterConfig, build_segmenter
from aifashion.segment.data import (
    CLASS_NAMES, GARMENT_LABELS, PERSON_LABELS, AugmentConfig, ccp_split, group_lut,
)
from aifashion.segment.predict import (
    SEGMENTERS, SHIPPED_WEIGHTS, TERNAUS_SHA256, TERNAUS_URL, Masks, Segmenter, download_ternaus_weights,
    export_segmenter, load_segmenter, overlay, preprocess, read_ternaus_zip,
)
from aifashion.segment.train import (
    SegTrainConfig, SegTrainResult, evaluate, export_checkpoint, train_segmenter,
)

__all__ = [
    "SEGMENTERS", "load_segmenter", "Segmenter", "Masks", "train_segmenter", "evaluate", "export_checkpoint",
    "export_segmenter", "SegmenterConfig", "SegTrainConfig", "SegTrainResult", "AugmentConfig",
    "GARMENT_LABELS", "PERSON_LABELS", "CLASS_NAMES", "ccp_split", "group_lut", "download_ternaus_weights",
    "read_ternaus_zip", "preprocess", "overlay", "SHIPPED_WEIGHTS", "TERNAUS_URL", "TERNAUS_SHA256", "build_segmenter",
]
