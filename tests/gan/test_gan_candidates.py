"""Candidates and colour (aifashion.gan.generate): an export that carries its critic renders the best
of N latents by the critic's logit (seeded; N the export's default or the caller's); an export's
colour gains apply to every render."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aifashion.cli import main as cli_main
from aifashion.gan.export import export_generator
from aifashion.gan.generate import load_generator


@pytest.fixture(scope="module")
def run(fingercamera_dir, tmp_path_factory):
    """A real (3-step) training run of the shipped architecture."""
    from aifashion.gan.train import TrainConfig, train_gan

    out = tmp_path_factory.mktemp("cand")
    n = torch.get_num_threads()
    try:
        cfg = TrainConfig(out_dir=str(out / "run"), data_dir=str(fingercamera_dir), model="tileable", steps=3,
                          batch_size=4, max_per_class=2, data_size=64, image_size=64, threads=1, progress=False,
                          loss="hinge")  # fmt: skip
        return train_gan(cfg).checkpoint
    finally:
        torch.set_num_threads(n)


def test_the_critic_picks_the_best_candidate_and_the_pick_is_seeded(run, tmp_path):
    path = export_generator(run, tmp_path / "g.safetensors", critic=True, candidates=4)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["candidates"] == 4 and "critic" in meta
    gen = load_generator(path, bf16=False)
    assert gen.critic is not None and gen.candidates == 4
    cands = gen.candidate_seeds(7, 4)
    assert cands[0] == 7 and len(set(cands)) == 4 and cands == gen.candidate_seeds(7, 4)
    # the pick is the candidate with the highest critic logit at the training canvas
    x = torch.cat([gen.render_tensor(gen.latent(s, 64), gen.class_weights("dotted")[None]) for s in cands])
    y = torch.full((4,), gen.classes.index("dotted"))
    best = cands[int(gen.critic.logits(x, y).argmax())]
    assert gen.pick_seeds(["dotted"], [7]) == [best]
    assert gen.pick_seeds(["dotted"], [7], candidates=1) == [7]
    # render: the default uses the export's candidates; the picked latent at any size
    a = np.asarray(gen.render("dotted", seed=7, size=96))
    assert np.array_equal(a, np.asarray(gen.render("dotted", seed=best, size=96, candidates=1)))
    assert np.array_equal(a, np.asarray(gen.render("dotted", seed=7, size=96, candidates=4)))
    scores = gen.critic.logits(x, y)
    assert scores.shape == (4,) and torch.isfinite(scores).all() and scores.std() > 0
    with pytest.raises(ValueError, match="candidates"):
        gen.render("dotted", seed=7, candidates=0)


def test_without_a_critic_only_one_candidate(run, tmp_path, capsys):
    path = export_generator(run, tmp_path / "plain.safetensors")
    gen = load_generator(path, bf16=False)
    assert gen.critic is None and gen.candidates == 1
    assert np.array_equal(
        np.asarray(gen.render("striped", 3, 64)), np.asarray(gen.render("striped", 3, 64, candidates=1))
    )
    with pytest.raises(ValueError, match="no critic"):
        gen.render("striped", seed=3, candidates=4)
    with pytest.raises(ValueError, match="critic=True"):
        export_generator(run, tmp_path / "bad.safetensors", candidates=4)
    out = tmp_path / "p.png"
    rc = cli_main(["generate", "--category", "striped", "--out", str(out), "--weights", str(path), "--candidates", "4"])
    err = capsys.readouterr().err
    assert rc == 2 and "no critic" in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_cli_candidates(run, tmp_path, capsys):
    path = export_generator(run, tmp_path / "g.safetensors", critic=True, candidates=2)
    gen = load_generator(path)  # as the CLI loads it
    out = tmp_path / "p.png"
    args = [
        "generate",
        "--category",
        "zigzag",
        "--seed",
        "5",
        "--size",
        "64",
        "--out",
        str(out),
        "--weights",
        str(path),
    ]
    assert cli_main(args + ["--candidates", "3"]) == 0
    best = gen.pick_seeds(["zigzag"], [5], candidates=3)[0]
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(gen.render("zigzag", best, 64, candidates=1)))
    assert cli_main(args + ["--candidates", "65"]) == 2
    assert "1..64" in capsys.readouterr().err


def test_colour_gains_apply_to_every_render_and_not_to_the_critic(run, tmp_path):
    from aifashion.gan.export import set_colour_gains

    path = export_generator(run, tmp_path / "g.safetensors", critic=True, candidates=3)
    plain = load_generator(path, bf16=False)
    gains = [1.25, 0.97, 0.85]
    set_colour_gains(path, gains)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["colour_gains"] == gains and meta["candidates"] == 3  # the rest of the JSON kept
    warm = load_generator(path, bf16=False)
    raw = plain.render_array("floral", [1, 2], size=64).astype(np.float32)
    bal = warm.render_array("floral", [1, 2], size=64).astype(np.float32)
    # the same picks (the critic scores raw output), each channel times its gain (rounding, clipping)
    assert warm.pick_seeds(["floral"], [1]) == plain.pick_seeds(["floral"], [1])
    expect = np.clip(raw * np.array(gains, np.float32), 0, 255)
    assert np.abs(bal - expect).max() <= 2.0
    assert bal[..., 0].mean() > raw[..., 0].mean() and bal[..., 2].mean() < raw[..., 2].mean()
    pil = np.asarray(warm.render("floral", seed=1, size=64)).astype(np.float32)
    assert np.abs(pil - bal[0]).max() <= 1.0
    set_colour_gains(path, None)
    assert load_generator(path).colour_gains is None
    with pytest.raises(ValueError, match="colour_gains"):
        set_colour_gains(path, [1.0, 9.0, 1.0])


def test_folder_gains_make_the_set_grey(fingercamera_dir):
    from aifashion.data.colour import apply_gains, folder_gains
    from aifashion.data.folders import load_pattern_images, scan_pattern_folder

    gains = folder_gains(fingercamera_dir, size=32)
    images, _ = load_pattern_images(scan_pattern_folder(fingercamera_dir), 32)
    means = apply_gains(images, gains).reshape(-1, 3).mean(0)
    assert gains[0] > 1 > gains[2]  # the camera's cast is blue: red up, blue down
    assert np.ptp(means) < 0.02 * means.mean() < np.ptp(images.reshape(-1, 3).mean(0))
