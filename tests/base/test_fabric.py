"""aifashion.fabric.seamless_tile: real fabric photos become tiles whose wrap-around seams are invisible."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from aifashion.fabric import MIN_SIDE, seamless_tile
from aifashion.imageio import ImageError
from aifashion.metrics import seam_score


def _photos(fingercamera_dir, per_class: int = 2) -> list:
    return [p for d in sorted(fingercamera_dir.iterdir()) if d.is_dir() for p in sorted(d.glob("*.jpg"))[:per_class]]


def test_tiles_of_real_fabrics_are_seamless(fingercamera_dir):
    photos = _photos(fingercamera_dir)  # 2 of each of the 6 classes
    assert len(photos) == 12
    crop_scores, tile_scores = [], []
    for p in photos:
        tile = seamless_tile(p, size=128)
        assert tile.mode == "RGB" and tile.size == (128, 128)
        tile_scores.append(seam_score(tile))
        img = Image.open(p).convert("RGB")
        crop_scores.append(seam_score(img.crop((64, 64, 448, 448)).resize((128, 128), Image.LANCZOS)))
    assert np.mean(tile_scores) <= 1.1, tile_scores
    assert np.mean(crop_scores) > 2 * np.mean(tile_scores)


def test_tile_size_seed_and_speed(fingercamera_dir, tmp_path):
    photo = _photos(fingercamera_dir, 1)[0]
    big = tmp_path / "big.jpg"
    Image.open(photo).convert("RGB").resize((1024, 1024)).save(big, quality=92)
    t = time.perf_counter()
    tile = seamless_tile(big, size=384)
    assert time.perf_counter() - t < 3.0  # ~0.2 s on a quiet 2-core CPU
    assert tile.size == (384, 384)
    native = seamless_tile(np.asarray(Image.open(photo).convert("RGB")))  # arrays work; the photo's own scale
    assert 0.7 * 512 <= native.width == native.height <= 512
    assert np.array_equal(np.asarray(seamless_tile(big, 64, seed=3)), np.asarray(seamless_tile(big, 64, seed=3)))


def test_bad_fabrics_raise_one_clear_sentence(tmp_path):
    small = tmp_path / "small.png"
    Image.new("RGB", (MIN_SIDE - 1, 300), "red").save(small)
    with pytest.raises(ValueError, match="at least 64"):
        seamless_tile(small)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    with pytest.raises(ImageError):
        seamless_tile(text)
    with pytest.raises(ValueError, match="tile size"):
        seamless_tile(np.zeros((100, 100, 3), np.uint8), size=8)
