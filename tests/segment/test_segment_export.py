"""Segmenter training checkpoints: the shared format, and files written before it."""

from __future__ import annotations

import pytest
import torch

from aifashion.segment import SegmenterConfig, build_segmenter, load_segmenter
from aifashion.segment.export import export_checkpoint, read_segmenter_checkpoint

TINY = SegmenterConfig(encoder_name="resnet18", decoder_channels=(16, 8, 8, 8, 8), input_size=64)


def test_a_checkpoint_written_before_the_shared_format_still_reads_and_exports(tmp_path):
    net = build_segmenter(TINY)
    old = {"config": TINY.to_dict(), "model": net.state_dict(), "ema": net.state_dict(), "step": 7,
           "elapsed": 12.5, "history": [], "train_config": {"steps": 7}}  # fmt: skip
    torch.save(old, tmp_path / "last.pt")
    ck = read_segmenter_checkpoint(tmp_path / "last.pt")
    assert ck["model_config"] == TINY.to_dict() and ck["elapsed_s"] == 12.5 and ck["step"] == 7
    out = export_checkpoint(tmp_path / "last.pt", tmp_path / "seg.safetensors")
    seg = load_segmenter("aifashion-lite0", weights=out)
    assert seg.config.encoder_name == "resnet18"
    load_segmenter("aifashion-lite0", weights=tmp_path / "last.pt")  # as --init-from and --weights read it
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an aifashion segmenter checkpoint"):
        read_segmenter_checkpoint(tmp_path / "other.pt")
