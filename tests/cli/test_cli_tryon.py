"""``aifashion tryon``: drawn flats and photos in, a PNG out; bad input exits 2 with one line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from aifashion.cli import main

TSHIRT = "validation/t-shirt/06de9ebd-be39-4cc6-aea7-1d047ccf1a52.jpg"


@pytest.fixture()
def pattern_png(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "pattern.png"
    Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(path)
    return path


def test_tryon_on_a_drawn_flat_writes_a_png(tmp_path, pattern_png, capsys):
    out = tmp_path / "out" / "tee.png"
    rc = main(
        [
            "tryon",
            "--garment",
            "t-shirt",
            "--pattern",
            str(pattern_png),
            "--out",
            str(out),
            "--size",
            "160",
            "--scale",
            "1.5",
            "--rotation",
            "20",
        ]
    )
    assert rc == 0
    img = Image.open(out)
    assert img.format == "PNG" and img.size == (160, 160) and img.mode == "RGB"
    arr = np.asarray(img)
    assert (arr[0] == 255).all()  # the white margin is kept
    assert np.asarray(img).std(axis=(0, 1)).min() > 10  # the pattern is there
    cut = tmp_path / "cut.png"
    assert (
        main(
            ["tryon", "--garment", "tote", "--pattern", str(pattern_png), "--out", str(cut), "--size", "96", "--cutout"]
        )
        == 0
    )
    rgba = Image.open(cut)
    assert rgba.mode == "RGBA" and rgba.size == (96, 96)
    alpha = np.asarray(rgba)[..., 3]
    assert alpha[0, 0] == 0 and alpha.max() == 255


def test_tryon_on_a_photo_with_a_mask_of_another_size(clothing_small_dir, tmp_path, pattern_png):
    from aifashion.imageio import open_image

    photo = clothing_small_dir / TSHIRT
    upright = open_image(photo)  # EXIF orientation applied, as the CLI does
    w, h = upright.size
    mh, mw = h // 2, w // 2  # a half-size mask: the CLI resizes it to the photo
    mask = np.zeros((mh, mw), np.uint8)
    mask[mh // 8 : mh // 3, mw // 8 : mw // 3] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "photo.png"
    rc = main(
        [
            "tryon",
            "--garment",
            str(photo),
            "--mask",
            str(tmp_path / "mask.png"),
            "--pattern",
            str(pattern_png),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    res, src = np.asarray(Image.open(out)), np.asarray(upright)
    assert res.shape == src.shape
    np.testing.assert_array_equal(res[h // 2 :], src[h // 2 :])  # far outside the mask: untouched
    assert not np.array_equal(res[h // 6 : h // 4, w // 6 : w // 4], src[h // 6 : h // 4, w // 6 : w // 4])


def test_tryon_keeps_a_large_photo_at_full_size_with_print_free_shading(clothing_small_dir, tmp_path, pattern_png):
    """A 2400x3600 upload comes back 2400x3600, its mask (given at 600x900) refined to the photo; the
    default shading ('intrinsic') differs from the photo's own luminance ('photo'); a number given to
    --shading still works as the strength."""
    from aifashion.imageio import open_image

    big = open_image(clothing_small_dir / TSHIRT).resize((2400, 3600), Image.BILINEAR)
    big.save(tmp_path / "big.jpg", quality=90)
    mask = np.zeros((900, 600), np.uint8)
    mask[200:700, 150:450] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    base = ["tryon", "--garment", str(tmp_path / "big.jpg"), "--mask", str(tmp_path / "mask.png")]
    outs = {}
    for name, extra in (("intrinsic", []), ("photo", ["--shading", "photo"]), ("half", ["--shading", "0.5"])):
        outs[name] = tmp_path / f"{name}.jpg"
        assert main([*base, "--pattern", str(pattern_png), "--out", str(outs[name]), *extra]) == 0
        assert Image.open(outs[name]).size == (2400, 3600)
    a, b = (np.asarray(Image.open(outs[k]), np.float32) for k in ("intrinsic", "photo"))
    assert np.abs(a - b)[1000:2600, 700:1700].mean() > 1.0


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--garment", "cape"], "valid names"),
        (["--garment", "no/such/photo.jpg"], "does not exist"),
        (["--garment", "t-shirt", "--scale", "0"], "scale"),
        (["--garment", "t-shirt", "--blend", "glow"], "blend mode"),
        (["--garment", "t-shirt", "--shading", "glossy"], "shading"),
        (["--garment", "t-shirt", "--shading", "0.5", "--shading-strength", "0.5"], "once"),
        (["--garment", "t-shirt", "--size", "5"], "--size"),
        (["--garment", "t-shirt", "--out-suffix", ".txt"], "--out"),
        (["--garment", "t-shirt", "--no-pattern"], "pattern"),
        (["--garment", "t-shirt", "--parts", "sleeve"], "valid parts: top, outer, bottom, full"),
        (["--garment", "t-shirt", "--parts", "top,"], "name one or more garment parts"),
        (["--garment", "t-shirt", "--parts", "top"], "drawn flat is one garment"),
        (["--garment", "t-shirt", "--warp", "0.5"], "--warp must be between 0 and 0.2"),
        (["--garment", "t-shirt", "--warp", "nan"], "--warp must be between 0 and 0.2"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, pattern_png, capsys, argv, fragment):
    out = tmp_path / "o.png"
    pattern = str(pattern_png)
    if "--out-suffix" in argv:
        argv, out = argv[:2], tmp_path / "o.txt"
    if "--no-pattern" in argv:
        argv, pattern = argv[:2], str(tmp_path / "missing.png")
    rc = main(["tryon", *argv, "--pattern", pattern, "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and fragment in err, err
    assert not out.exists()


def test_photo_without_mask_and_without_segmenter_weights_says_so(clothing_small_dir, tmp_path, pattern_png, capsys):
    rc = main(
        [
            "tryon",
            "--garment",
            str(clothing_small_dir / TSHIRT),
            "--pattern",
            str(pattern_png),
            "--segmenter-weights",
            str(tmp_path / "missing.safetensors"),
            "--out",
            str(tmp_path / "x.png"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "--mask" in err and err.count("\n") == 1, err
    assert not (tmp_path / "x.png").exists()


def test_photo_without_mask_uses_the_shipped_segmenter(clothing_small_dir, tmp_path, pattern_png):
    from aifashion.paths import WEIGHTS_DIR

    if not (WEIGHTS_DIR / "segmenter.safetensors").exists():
        pytest.skip("no shipped segmenter weights yet (aifashion/weights/segmenter.safetensors)")
    out = tmp_path / "seg.png"
    assert (
        main(["tryon", "--garment", str(clothing_small_dir / TSHIRT), "--pattern", str(pattern_png), "--out", str(out)])
        == 0
    )
    from aifashion.imageio import open_image

    src = np.asarray(open_image(clothing_small_dir / TSHIRT))
    res = np.asarray(Image.open(out))
    assert res.shape == src.shape
    changed = (res != src).any(axis=2).mean()
    assert 0.1 < changed < 0.8, f"the segmented garment should cover part of the photo ({changed:.2f})"


def test_console_entry_point_runs_as_a_process(tmp_path, pattern_png):
    out = tmp_path / "p.png"
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "aifashion.cli",
            "tryon",
            "--garment",
            "skirt",
            "--size",
            "64",
            "--pattern",
            str(pattern_png),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert Image.open(out).size == (64, 64)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "aifashion.cli",
            "tryon",
            "--garment",
            "skirt",
            "--pattern",
            str(tmp_path / "nope.png"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
