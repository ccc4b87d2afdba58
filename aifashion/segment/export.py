"""Export of a training checkpoint (``last.pt``) to the shipped file format: the EMA weights in fp16
safetensors + a JSON of facts (:func:`aifashion.segment.predict.export_segmenter`)."""

from __future__ import annotations

import os
from pathlib import Path

from .model import SegmenterConfig, build_segmenter
from .predict import export_segmenter

__all__ = ["export_checkpoint", "read_segmenter_checkpoint", "CKPT_FORMAT"]

CKPT_FORMAT = "aifashion-segmenter-checkpoint/1"


def read_segmenter_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """The dict of a segmenter training checkpoint (:func:`aifashion.training.save_checkpoint`
    with ``CKPT_FORMAT``): ``model_config``, ``train_config``, ``model``, ``ema``, ``opt``, ``rng``,
    ``step``, ``elapsed_s``, ``history``, ``train_ids``, ``val_ids``. A checkpoint written before
    this format (keys ``config`` and ``elapsed``) is read into the same keys.

    Raises:
        ValueError: not a segmenter checkpoint.
    """
    import torch

    from aifashion.training import check_checkpoint

    ck = torch.load(path, map_location=map_location, weights_only=False)
    if isinstance(ck, dict) and "format" not in ck and "config" in ck and "ema" in ck:
        # written before the shared checkpoint format: same contents under older key names
        return {**ck, "format": CKPT_FORMAT, "model_config": ck["config"], "elapsed_s": ck.get("elapsed", 0.0)}
    return check_checkpoint(ck, CKPT_FORMAT, path, what="segmenter")


def export_checkpoint(
    ckpt: str | os.PathLike, out: str | os.PathLike, info: dict | None = None, predict_size: int | None = None
) -> Path:
    """Export the EMA weights of a training checkpoint to fp16 safetensors + JSON.

    ``predict_size``: the longest side the exported file predicts at (its config's ``input_size``);
    None keeps the training size. The JSON records the training size as ``train_input_size``.
    """
    import dataclasses

    ck = read_segmenter_checkpoint(ckpt)
    cfg = SegmenterConfig.from_dict(ck["model_config"])
    model = build_segmenter(cfg)
    model.load_state_dict(ck["ema"])
    train_size = cfg.input_size
    if predict_size is not None:
        if predict_size < 32:
            raise ValueError(f"predict_size must be >= 32, not {predict_size}")
        cfg = dataclasses.replace(cfg, input_size=int(predict_size))
    base = {
        "train_input_size": train_size,
        "step": ck["step"],
        "train_seconds": round(ck["elapsed_s"], 1),
        "train_config": ck.get("train_config"),
        "train_ids": ck.get("train_ids"),
        "val_ids": ck.get("val_ids"),
    }
    return export_segmenter(model, cfg, out, {**base, **(info or {})})
