"""aifashion.gan.generate: load an export, render any size seamlessly, mix classes, interpolate, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from aifashion.cli import main as cli_main
from aifashion.gan.generate import DEFAULT_WEIGHTS, load_generator, periodic_resize
from aifashion.metrics import seam_score
from aifashion.registry import UnknownNameError

CLASSES = ["checkered", "dotted", "floral", "solid", "striped", "zigzag"]


@pytest.fixture(scope="module")
def export(fingercamera_dir, tmp_path_factory):
    """A real (2-step) training run of the shipped architecture, exported."""
    from aifashion.gan.export import export_generator
    from aifashion.gan.train import TrainConfig, train_gan

    out = tmp_path_factory.mktemp("gen")
    n = torch.get_num_threads()
    try:
        res = train_gan(
            TrainConfig(
                out_dir=str(out / "run"),
                data_dir=str(fingercamera_dir),
                model="tileable",
                steps=2,
                batch_size=4,
                max_per_class=2,
                data_size=64,
                image_size=64,
                threads=1,
                progress=False,
                loss="hinge",
            )
        )
    finally:
        torch.set_num_threads(n)
    return export_generator(res.checkpoint, out / "generator.safetensors")


@pytest.fixture(scope="module")
def gen(export):
    return load_generator(export, bf16=False)


def test_missing_weights_raise_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="do not exist"):
        load_generator(tmp_path / "none.safetensors")
    if not DEFAULT_WEIGHTS.exists():
        with pytest.raises(FileNotFoundError, match="shipped generator is missing"):
            load_generator()


def test_render_any_size_is_seamless_and_seeded(gen):
    assert gen.classes == CLASSES and gen.native_size is None
    for size in (64, 100, 256):
        img = gen.render("striped", seed=5, size=size)
        assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (size, size)
        assert 0.5 < seam_score(img) < 1.5, size
    a = np.asarray(gen.render("dotted", seed=1, size=64))
    b = np.asarray(gen.render("dotted", seed=1, size=64))
    c = np.asarray(gen.render("dotted", seed=2, size=64))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_periodic_resize_keeps_the_wrap():
    # a periodic signal (5 and 3 cycles across) resampled to sizes that are not multiples of the
    # cell: the result is the same signal sampled at the new pixel centres, edges included
    def wave(n):
        t = (torch.arange(n) + 0.5) / n * 2 * torch.pi
        return (torch.sin(5 * t)[None, :] * torch.cos(3 * t)[:, None])[None, None].expand(1, 3, n, n)

    for size in (50, 70):
        y = periodic_resize(wave(64), size)
        assert y.shape == (1, 3, size, size)
        assert (y - wave(size)).abs().max() < 0.06
        assert 0.5 < seam_score(y[0]) < 1.5


def test_mix_and_class_weights(gen):
    w = gen.class_weights("striped", {"floral": 0.3})
    assert torch.allclose(w, torch.tensor([0, 0, 0.3, 0, 0.7, 0]))
    assert torch.allclose(gen.class_weights("striped", ("floral", 0.3)), w)
    plain = np.asarray(gen.render("striped", 3, 64))
    assert np.array_equal(np.asarray(gen.render("striped", 3, 64, mix={"floral": 0.0})), plain)
    mixed = np.asarray(gen.render("striped", 3, 64, mix={"floral": 0.3}))
    assert not np.array_equal(mixed, plain)
    with pytest.raises(UnknownNameError, match="checkered, dotted"):
        gen.render("striped", 3, 64, mix={"paisley": 0.3})
    with pytest.raises(ValueError, match="at most 1"):
        gen.class_weights("striped", {"floral": 0.7, "dotted": 0.6})


def test_interpolation_ends_at_both_seeds_and_classes(gen):
    frames = gen.interpolate("striped", 1, 2, steps=3, size=64, category_b="floral")
    assert len(frames) == 3
    assert np.abs(np.asarray(frames[0], int) - np.asarray(gen.render("striped", 1, 64), int)).max() <= 1
    assert np.abs(np.asarray(frames[-1], int) - np.asarray(gen.render("floral", 2, 64), int)).max() <= 1


def test_render_batch_and_array(gen):
    imgs = gen.render_batch(["dotted", "solid"], [1, 2], 32)
    assert [i.size for i in imgs] == [(32, 32)] * 2
    arr = gen.render_array("zigzag", [1, 2, 3], 32, batch=2)
    assert arr.shape == (3, 32, 32, 3) and arr.dtype == np.uint8
    assert np.array_equal(arr[1], np.asarray(gen.render("zigzag", 2, 32)))


def test_unknown_category_and_bad_size(gen):
    with pytest.raises(UnknownNameError, match="valid names: checkered, dotted, floral, solid, striped, zigzag"):
        gen.render("paisley", 0, 64)
    with pytest.raises(ValueError, match="size"):
        gen.render("dotted", 0, 0)


def test_cli_generate_and_bad_category(export, tmp_path, capsys):
    out = tmp_path / "p.png"
    rc = cli_main(
        [
            "generate",
            "--category",
            "striped",
            "--seed",
            "4",
            "--size",
            "80",
            "--out",
            str(out),
            "--mix",
            "floral:0.3",
            "--weights",
            str(export),
        ]
    )
    assert rc == 0 and Image.open(out).size == (80, 80)
    rc = cli_main(
        [
            "generate",
            "--category",
            "paisley",
            "--seed",
            "1",
            "--size",
            "64",
            "--out",
            str(tmp_path / "q.png"),
            "--weights",
            str(export),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "q.png").exists()
    assert "checkered, dotted, floral, solid, striped, zigzag" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as exc:  # argparse: a malformed --mix
        cli_main(
            [
                "generate",
                "--category",
                "striped",
                "--out",
                str(tmp_path / "r.png"),
                "--mix",
                "floral",
                "--weights",
                str(export),
            ]
        )
    assert exc.value.code == 2 and "NAME:WEIGHT" in capsys.readouterr().err


def test_baseline_export_renders_only_its_native_size(fingercamera_dir, tmp_path):
    from aifashion.gan.export import export_generator
    from aifashion.gan.train import TrainConfig, train_gan

    n = torch.get_num_threads()
    try:
        res = train_gan(
            TrainConfig(
                out_dir=str(tmp_path / "run"),
                data_dir=str(fingercamera_dir),
                model="dcgan",
                model_config={"ngf": 8, "ndf": 8},
                steps=1,
                batch_size=2,
                max_per_class=1,
                data_size=64,
                threads=1,
                progress=False,
            )
        )
    finally:
        torch.set_num_threads(n)
    g = load_generator(export_generator(res.checkpoint, tmp_path / "b.safetensors"))
    assert json.loads((tmp_path / "b.json").read_text())["model"] == "dcgan"
    assert g.render("floral", 1, 64).size == (64, 64)
    with pytest.raises(ValueError, match="only 64x64"):
        g.render("floral", 1, 128)
    with pytest.raises(ValueError, match="unconditional"):
        g.render("floral", 1, 64, mix={"dotted": 0.5})


@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="the shipped generator weights are not built yet")
def test_shipped_weights_render_every_class_seamlessly():
    """Per class, the median seam score over 8 seeds is near 1. (One image's score is noisy when
    its content is sparse: a few dots on a flat ground score 0.36 when the wrap-around falls on
    the ground and 1.96 when it is rolled through a dot, on the same exactly periodic canvas.)"""
    g = load_generator()
    assert g.model_name == "tileable" and g.classes == CLASSES
    assert DEFAULT_WEIGHTS.stat().st_size <= 10 * 1024 * 1024
    for c in g.classes:
        imgs = [g.render(c, seed=s, size=128) for s in range(8)]
        assert all(np.asarray(img, float).std() > 2 for img in imgs), c  # not blank
        assert 0.5 < float(np.median([seam_score(img) for img in imgs])) < 1.5, c


@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="the shipped generator weights are not built yet")
def test_shipped_weights_render_2048_seamlessly():
    g = load_generator()
    img = g.render("striped", seed=1, size=2048)
    assert img.size == (2048, 2048)
    assert 0.5 < seam_score(img) < 1.5
    # the 2048 canvas is a torus: rolled by half its size, the old wrap-around runs through the
    # middle, and the new seams (the old middle) still score like neighbouring pixels
    rolled = np.roll(np.asarray(img), (1024, 1024), axis=(0, 1))
    assert 0.5 < seam_score(rolled) < 1.5


BASELINE_WEIGHTS = DEFAULT_WEIGHTS.parent / "baseline_dcgan.safetensors"


@pytest.mark.skipif(not BASELINE_WEIGHTS.exists(), reason="the shipped baseline DCGAN is not built")
def test_shipped_baseline_has_seams_and_ours_has_none():
    """The tutorial DCGAN (zero padding, fixed 64 px canvas) shows a seam when tiled; ours does not."""
    ours, base = load_generator(), load_generator(BASELINE_WEIGHTS)
    assert base.model_name == "dcgan" and ours.model_name == "tileable"
    ours_scores = [seam_score(ours.render(c, seed=s, size=64)) for c in ours.classes for s in range(2)]
    base_scores = [seam_score(base.render(base.classes[0], seed=s, size=64)) for s in range(12)]
    assert float(np.median(ours_scores)) < 1.3
    assert float(np.median(base_scores)) > 2.0


def test_inference_never_imports_training():
    """Rendering the shipped weights (and the export format) loads neither the trainer nor the
    data pipeline: a fresh interpreter, the public API, then a look at sys.modules."""
    code = (
        "import sys\n"
        "from aifashion.gan import load_generator\n"
        "import aifashion.gan.export\n"
        "load_generator(bf16=False).render('striped', seed=1, size=32)\n"
        "print(sorted(m for m in sys.modules if m.startswith('aifashion')))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    loaded = r.stdout
    assert "aifashion.gan.generate" in loaded
    for module in ("aifashion.gan.train", "aifashion.gan.grow", "aifashion.gan.augment", "aifashion.data"):
        assert f"'{module}" not in loaded, module
