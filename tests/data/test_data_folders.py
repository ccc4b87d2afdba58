"""aifashion.data.folders on the real FingerCamera folder and on small folders built from it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from aifashion.data.folders import load_pattern_images, resize_center_crop, scan_pattern_folder

README_COUNTS = {"checkered": 88, "dotted": 48, "floral": 88, "solid": 48, "striped": 64, "zigzag": 64}


def test_scan_real_folder_matches_readme(fingercamera_dir):
    folder = scan_pattern_folder(fingercamera_dir)
    assert folder.classes == sorted(README_COUNTS)
    assert folder.counts() == README_COUNTS
    # README.md and LICENSE sit beside the class folders, not inside: nothing is skipped
    assert folder.skipped == []
    labels = [label for _, label in folder.items]
    assert labels == sorted(labels)
    assert all(p.parent.name == folder.classes[label] for p, label in folder.items)


def test_scan_filters_and_subsamples_deterministically(fingercamera_dir):
    a = scan_pattern_folder(fingercamera_dir, classes=["zigzag", "dotted"], max_per_class=5, seed=1)
    b = scan_pattern_folder(fingercamera_dir, classes=["dotted", "zigzag"], max_per_class=5, seed=1)
    c = scan_pattern_folder(fingercamera_dir, classes=["dotted", "zigzag"], max_per_class=5, seed=2)
    assert a.classes == ["dotted", "zigzag"]
    assert a.counts() == {"dotted": 5, "zigzag": 5}
    assert a.items == b.items
    assert a.items != c.items


def test_scan_errors(fingercamera_dir, tmp_path):
    with pytest.raises(ValueError, match="classes found: checkered"):
        scan_pattern_folder(fingercamera_dir, classes=["paisley"])
    with pytest.raises(FileNotFoundError):
        scan_pattern_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="no class sub-folders"):
        scan_pattern_folder(tmp_path)


def test_unreadable_files_are_skipped_and_listed(fingercamera_dir, tmp_path):
    src = sorted((fingercamera_dir / "striped").glob("*.jpg"))[:2]
    (tmp_path / "striped").mkdir()
    (tmp_path / "plain").mkdir()
    for p in src:
        shutil.copy(p, tmp_path / "striped" / p.name)
    (tmp_path / "striped" / "notes.txt").write_text("not an image")
    truncated = tmp_path / "striped" / "truncated.jpg"
    truncated.write_bytes(src[0].read_bytes()[:300])
    (tmp_path / "plain" / "fake.png").write_bytes(b"hello, I am text")
    rgba = Image.new("RGBA", (40, 20), (255, 0, 0, 255))
    rgba.save(tmp_path / "plain" / "red.png")

    folder = scan_pattern_folder(tmp_path)
    assert folder.classes == ["plain", "striped"]
    assert [p.name for p, _ in folder.skipped] == ["notes.txt"]
    x, y = load_pattern_images(folder, 32)
    assert x.shape == (3, 32, 32, 3) and x.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 1]
    assert (x[0] == [255, 0, 0]).all()  # the RGBA square became opaque red RGB
    skipped = {p.name: reason for p, reason in folder.skipped}
    assert set(skipped) == {"notes.txt", "fake.png", "truncated.jpg"}
    assert "not an image" in skipped["fake.png"]


def test_load_resizes_and_centre_crops(fingercamera_dir):
    path = sorted((fingercamera_dir / "floral").glob("*.jpg"))[0]
    folder = scan_pattern_folder(fingercamera_dir, classes=["floral"], max_per_class=1, seed=0)
    folder.items = [(path, 0)]
    x, _ = load_pattern_images(folder, 64)
    expected = np.asarray(Image.open(path).convert("RGB").resize((64, 64), Image.Resampling.BICUBIC, reducing_gap=3.0))
    assert np.array_equal(x[0], expected)  # square source: a plain resize


def test_resize_center_crop_of_a_wide_image():
    arr = np.zeros((10, 30, 3), np.uint8)
    arr[:, 10:20] = 200  # the middle third is bright
    out = np.asarray(resize_center_crop(Image.fromarray(arr), 10))
    assert out.shape == (10, 10, 3)
    assert (out == 200).all()
