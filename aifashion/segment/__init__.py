"""Cloth segmentation: which pixels of a photo are garment, which are person, which background.

Modules: ``model`` (config + network), ``data`` (CCP labels, split, resident data, augmentation),
``products`` (labelled product shots), ``predict`` (inference, weight files, the registry),
``evaluate`` (IoU on CCP and product shots), ``export`` (a training checkpoint -> shipped file),
``recipes`` (named training settings), ``train`` (training; never imported by inference).

- ``SEGMENTERS``: registry of ``'aifashion-lite0'`` (the default: smp Unet on an ImageNet
  EfficientNet-Lite0 encoder, fine-tuned on Clothing Co-Parsing and labelled product shots),
  ``'aifashion-ccp'`` (the earlier resnet18 Unet trained from scratch on CCP) -- both 3 classes:
  background, person-but-not-garment, garment -- and ``'ternaus-2020-10-30'`` (reference: binary
  Unet, weights from its GitHub release, sha256 recorded on first download and verified after).
- ``load_segmenter(name=DEFAULT_SEGMENTER, weights=None, device="cpu") -> Segmenter``.
- ``Segmenter.predict(image) -> Masks(garment, person)``: float32 (H, W) in [0, 1] at the input
  size; ``predict_batch(images)``.
- ``RECIPES`` (named training recipes), ``recipe_configs(name, model=, train=)``.
- ``train_segmenter(...)``, ``evaluate(...)``, ``evaluate_products(...)``, ``export_checkpoint(...)``,
  ``overlay(image, masks)``.
- ``GARMENT_LABELS``, ``PERSON_LABELS``: the CCP label ids of each group.
- CLI (:mod:`aifashion.cli`): ``aifashion segment PHOTO... --out-dir DIR`` and ``aifashion train-segmenter``.
"""

from __future__ import annotations

from aifashion.segment.augment import AugmentConfig
from aifashion.segment.data import (
    CLASS_NAMES,
    GARMENT_LABELS,
    PART_GROUPS,
    PART_NAMES,
    PERSON_LABELS,
    ccp_split,
    group_lut,
)
from aifashion.segment.evaluate import evaluate, evaluate_products
from aifashion.segment.export import export_checkpoint
from aifashion.segment.model import IMAGENET_MEAN, IMAGENET_STD, SegmenterConfig, build_segmenter
from aifashion.segment.predict import (
    DEFAULT_SEGMENTER,
    SEGMENTERS,
    SHIPPED_CCP,
    SHIPPED_LITE0,
    TERNAUS_SHA256,
    TERNAUS_URL,
    Masks,
    Segmenter,
    check_parts,
    download_ternaus_weights,
    export_segmenter,
    load_segmenter,
    overlay,
    preprocess,
    read_ternaus_zip,
)
from aifashion.segment.recipes import RECIPES, recipe_configs

__all__ = [
    "RECIPES",
    "recipe_configs",
    "check_parts",
    "DEFAULT_SEGMENTER",
    "SEGMENTERS",
    "load_segmenter",
    "Segmenter",
    "Masks",
    "train_segmenter",
    "evaluate",
    "evaluate_products",
    "export_checkpoint",
    "export_segmenter",
    "SegmenterConfig",
    "SegTrainConfig",
    "SegTrainResult",
    "AugmentConfig",
    "GARMENT_LABELS",
    "PERSON_LABELS",
    "CLASS_NAMES",
    "PART_GROUPS",
    "PART_NAMES",
    "ccp_split",
    "group_lut",
    "download_ternaus_weights",
    "read_ternaus_zip",
    "preprocess",
    "overlay",
    "SHIPPED_CCP",
    "SHIPPED_LITE0",
    "TERNAUS_URL",
    "TERNAUS_SHA256",
    "build_segmenter",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]

_TRAINING = {"SegTrainConfig", "SegTrainResult", "train_segmenter"}


def __getattr__(name: str):
    """Training names load on first use, so that inference never imports the training module."""
    if name in _TRAINING:
        from aifashion.segment import train

        return getattr(train, name)
    raise AttributeError(f"module 'aifashion.segment' has no attribute {name!r}")
