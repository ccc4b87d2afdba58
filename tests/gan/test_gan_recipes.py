"""Named generator recipes: the presets, their errors, and the shipped command sequence on a tiny budget."""

from __future__ import annotations

import pytest
import torch

from aifashion.cli import main as cli_main
from aifashion.gan.checkpoint import load_checkpoint
from aifashion.gan.generate import load_generator
from aifashion.gan.recipes import RECIPES, recipe_config
from aifashion.registry import UnknownNameError


def test_recipes_are_configs_and_flags_override_them():
    cfg = recipe_config("tileable-2", out_dir="x", batch_size=8, model_config={"ngf": 16})
    assert (cfg.model, cfg.loss, cfg.augment, cfg.batch_size, cfg.time_limit_s) == (
        "tileable", "hinge", "color,translation,cutout", 8, 10800,
    )  # fmt: skip
    assert cfg.model_config == {"ngf": 16}
    three = recipe_config("tileable-3", model_config={"ngf": 16})
    assert three.model_config == {"n_zigzags": 8, "ngf": 16}  # merged, not replaced
    assert RECIPES.get("tileable-3")().config["grow_waves"] and not recipe_config("tileable-1").grow_waves
    with pytest.raises(UnknownNameError, match="tileable-1, tileable-2"):
        recipe_config("tileable-9")


CROPS = {"image_size": 64, "data_size": 256, "scale": (0.35, 0.75)}
LONG = {"steps": 100_000, "ckpt_every": 200, "sample_every": 200, "threads": 1, "seed": 0}
#: the settings each recipe must hold: those of the shell scripts that trained the shipped files
PINNED = {
    "tileable-1": {"model": "tileable", "loss": "hinge", **CROPS, "batch_size": 32, **LONG, "augment": "",
                   "time_limit_s": 5100, "model_config": {}},
    "tileable-2": {"loss": "hinge", "augment": "color,translation,cutout", "time_limit_s": 10800, **LONG},
    "tileable-3": {"augment": "color,translation,cutout", "time_limit_s": 16778, "model_config": {"n_zigzags": 8}},
    "tileable-once": {"model": "tileable", "loss": "hinge", **CROPS, "batch_size": 32, "model_config": {"n_zigzags": 8},
                      "augment": "color,translation,cutout"},
    "dcgan": {"model": "dcgan", "loss": "bce", **CROPS, "batch_size": 64, **LONG, "time_limit_s": 3000},
    "projected": {"model": "tileable-projected", "loss": "hinge", **CROPS, "batch_size": 32, "steps": 1_000_000,
                  "time_limit_s": 3600, "ckpt_every": 100, "sample_every": 100, "threads": 2, "seed": 0,
                  "model_config": {"n_zigzags": 8, "proj_size": 64}, "augment": "color,translation,cutout"},
}  # fmt: skip


@pytest.mark.parametrize("name", list(PINNED))
def test_recipes_hold_the_shipped_settings(name):
    cfg = recipe_config(name)
    assert {k: getattr(cfg, k) for k in PINNED[name]} == PINNED[name]
    assert recipe_config(name, time_limit_s=0).time_limit_s is None  # 0: no limit


def test_cli_unknown_recipe_exits_2_listing_them(tmp_path, capsys):
    assert cli_main(["train-gan", "--recipe", "fancy", "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "tileable-1" in err and "dcgan" in err and len(err.strip().splitlines()) == 1


def test_shipped_sequence_on_a_tiny_budget(fingercamera_dir, tmp_path):
    """The card's three phases in one folder (each resuming the last, phase 3 growing the
    checkpoint by 8 zigzag waves once), repeated commands continuing, then the export."""
    run = tmp_path / "gan"
    tiny = ["--out-dir", str(run), "--data-dir", str(fingercamera_dir), "--max-per-class", "2", "--data-size", "96",
            "--batch-size", "4", "--ckpt-every", "1", "--sample-every", "100", "--no-progress"]  # fmt: skip
    assert cli_main(["train-gan", "--recipe", "tileable-1", "--steps", "2", *tiny]) == 0
    one = load_checkpoint(run / "checkpoint.pt")
    assert one["step"] == 2 and one["train_config"]["augment"] == "" and one["model_config"]["n_zigzags"] == 0
    assert cli_main(["train-gan", "--recipe", "tileable-2", "--steps", "3", *tiny]) == 0
    two = load_checkpoint(run / "checkpoint.pt")
    assert two["step"] == 3 and two["train_config"]["augment"] == "color,translation,cutout"
    out = tmp_path / "generator.safetensors"
    assert cli_main(["train-gan", "--recipe", "tileable-3", "--steps", "4", *tiny]) == 0
    assert cli_main(["train-gan", "--recipe", "tileable-3", "--steps", "5", *tiny, "--export", str(out)]) == 0
    three = load_checkpoint(run / "checkpoint.pt")
    assert three["step"] == 5 and three["model_config"]["n_zigzags"] == 8
    assert [g["n_zigzags"] for g in three["grown"]] == [8]  # grown once, at step 3
    assert three["train_config"]["threads"] == 1 and three["train_config"]["batch_size"] == 4
    gen = load_generator(out, bf16=False)
    assert gen.config.n_zigzags == 8
    img = gen.render_array("striped", [0], 32)
    assert img.shape == (1, 32, 32, 3) and torch.from_numpy(img).float().std() > 0
