"""aifashion.data.prepare on real FingerCamera photos."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest
from PIL import Image

from aifashion.data.folders import scan_pattern_folder
from aifashion.data.prepare import load_manifest, prepare_pattern_set, verify_prepared


def test_prepare_small_set(fingercamera_dir, tmp_path):
    out = tmp_path / "prepared"
    m = prepare_pattern_set(fingercamera_dir, out, classes=["solid", "dotted"], max_images=3, seed=0, progress=False)
    assert m["classes"] == ["dotted", "solid"] and m["counts"] == {"dotted": 3, "solid": 3} and m["total"] == 6
    assert m["size"] == 224 and m["skipped"] == [] and m["source"] == str(fingercamera_dir.resolve())
    assert load_manifest(out) == m
    assert scan_pattern_folder(out).counts() == m["counts"]
    for rel, meta in m["files"].items():
        data = (out / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["bytes"]
        with Image.open(out / rel) as im:
            assert im.format == "PNG" and im.mode == "RGB" and im.size == (224, 224)
        assert (fingercamera_dir / meta["from"]).is_file()
        assert rel.split("/")[0] == meta["from"].split("/")[0]
    # the pixels are the source resized (512 -> 224, square: no crop needed)
    rel, meta = next(iter(m["files"].items()))
    src = Image.open(fingercamera_dir / meta["from"]).convert("RGB")
    want = np.asarray(src.resize((224, 224), Image.Resampling.BICUBIC, reducing_gap=3.0))
    assert np.array_equal(np.asarray(Image.open(out / rel)), want)
    assert verify_prepared(out) == []


def test_prepare_is_deterministic_and_rerun_replaces(fingercamera_dir, tmp_path):
    kw = dict(classes=["zigzag"], max_images=4, size=32, progress=False)
    a = prepare_pattern_set(fingercamera_dir, tmp_path / "a", seed=5, **kw)
    b = prepare_pattern_set(fingercamera_dir, tmp_path / "b", seed=5, **kw)
    c = prepare_pattern_set(fingercamera_dir, tmp_path / "c", seed=6, **kw)
    assert a["files"] == b["files"]
    assert a["files"] != c["files"]
    # rerun into the same folder with fewer images: files of the old manifest are removed
    d = prepare_pattern_set(
        fingercamera_dir, tmp_path / "a", seed=5, classes=["zigzag"], max_images=2, size=32, progress=False
    )
    assert sorted(p.name for p in (tmp_path / "a" / "zigzag").iterdir()) == sorted(r.split("/")[1] for r in d["files"])
    assert verify_prepared(tmp_path / "a") == []


def test_unreadable_files_and_tampering_are_reported(fingercamera_dir, tmp_path):
    src = tmp_path / "src"
    (src / "floral").mkdir(parents=True)
    good = sorted((fingercamera_dir / "floral").glob("*.jpg"))[:2]
    for p in good:
        shutil.copy(p, src / "floral" / p.name)
    (src / "floral" / "broken.jpg").write_bytes(good[0].read_bytes()[:500])
    (src / "floral" / "readme.txt").write_text("notes")
    m = prepare_pattern_set(src, tmp_path / "out", size=64, progress=False)
    assert m["counts"] == {"floral": 2}
    assert sorted(s["path"].rsplit("/", 1)[1] for s in m["skipped"]) == ["broken.jpg", "readme.txt"]
    victim = tmp_path / "out" / "floral" / f"{good[0].stem}.png"
    Image.new("RGB", (64, 64)).save(victim)
    (tmp_path / "out" / "floral" / f"{good[1].stem}.png").unlink()
    problems = verify_prepared(tmp_path / "out")
    assert len(problems) == 2 and "sha256" in problems[0] + problems[1] and "missing" in problems[0] + problems[1]


def test_bad_input(fingercamera_dir, tmp_path):
    (tmp_path / "solid").mkdir()
    shutil.copy(sorted((fingercamera_dir / "solid").glob("*.jpg"))[0], tmp_path / "solid")
    with pytest.raises(ValueError, match="inside the source"):
        prepare_pattern_set(tmp_path, tmp_path / "out")
    with pytest.raises(ValueError, match="size"):
        prepare_pattern_set(fingercamera_dir, tmp_path / "o", size=4)
    with pytest.raises(FileNotFoundError, match="prepared set"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a prepared-set manifest"):
        load_manifest(tmp_path)
