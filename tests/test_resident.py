"""aifashion.data.resident: decode once, batched crops/flips/rotations/jitter on the device."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aifashion.data.resident import ResidentPatternData


@pytest.fixture(scope="module")
def small_set(fingercamera_dir) -> ResidentPatternData:
    return ResidentPatternData.from_folder(fingercamera_dir, "cpu", size=64, max_per_class=3, seed=0)


def test_from_folder_decodes_once_into_uint8(small_set):
    d = small_set
    assert d.images.dtype == torch.uint8 and d.images.shape == (18, 3, 64, 64)
    assert d.labels.dtype == torch.int64 and d.labels.tolist() == sorted(d.labels.tolist())
    assert d.classes == ["checkered", "dotted", "floral", "solid", "striped", "zigzag"]
    assert d.counts() == {c: 3 for c in d.classes}
    assert int(d.images.max()) > 200 and int(d.images.min()) < 60  # real photos, not blank


def test_full_crop_without_augmentation_is_the_image(small_set):
    d = small_set
    g = torch.Generator().manual_seed(0)
    idx = torch.tensor([0, 5, 17])
    x, y = d.sample(3, 64, g, scale=(1, 1), flip=False, rot90=False, indices=idx)
    assert x.shape == (3, 3, 64, 64) and x.dtype == torch.float32
    assert torch.allclose(x, d.images[idx].float() / 127.5 - 1, atol=1e-5)
    assert y.tolist() == d.labels[idx].tolist()


def test_flips_and_rotations_are_symmetries_of_the_square(small_set):
    d = small_set
    g = torch.Generator().manual_seed(1)
    idx = torch.zeros(64, dtype=torch.long)
    x, _ = d.sample(64, 64, g, scale=(1, 1), flip=True, rot90=True, indices=idx)
    src = d.images[0].float() / 127.5 - 1
    syms = []
    for k in range(4):
        r = torch.rot90(src, k, (1, 2))
        syms += [r, r.flip(2)]
    seen = set()
    for xi in x:
        hits = [i for i, s in enumerate(syms) if torch.allclose(xi, s, atol=1e-5)]
        assert len(hits) >= 1
        seen.add(hits[0])
    assert len(seen) >= 6  # 64 draws cover (nearly) all 8 symmetries


def test_crops_at_native_resolution_are_exact_windows(small_set):
    d = small_set
    g = torch.Generator().manual_seed(2)
    x, y = d.sample(8, 32, g, scale=(0.5, 0.5), flip=False, rot90=False, indices=torch.arange(8))
    for i in range(8):
        img = d.images[i].float() / 127.5 - 1
        windows = img.unfold(1, 32, 1).unfold(2, 32, 1)  # (3, 33, 33, 32, 32)
        diff = (windows - x[i][:, None, None]).abs().amax(dim=(0, 3, 4))
        assert float(diff.min()) < 1e-5  # some window of the image, pixel for pixel


def test_scale_range_jitter_ranges_and_determinism(small_set):
    d = small_set
    a, ya = d.sample(16, 24, torch.Generator().manual_seed(5), scale=(0.3, 0.9), color_jitter=0.3)
    b, yb = d.sample(16, 24, torch.Generator().manual_seed(5), scale=(0.3, 0.9), color_jitter=0.3)
    c, _ = d.sample(16, 24, torch.Generator().manual_seed(6), scale=(0.3, 0.9), color_jitter=0.3)
    assert a.shape == (16, 3, 24, 24) and a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, b) and torch.equal(ya, yb)
    assert not torch.equal(a, c)
    plain, _ = d.sample(16, 24, torch.Generator().manual_seed(5), scale=(0.3, 0.9))
    assert not torch.allclose(plain, a)  # the jitter changed colours


def test_class_balanced_draws_every_class_evenly(fingercamera_dir):
    # unbalanced: all 3 of one class, 1 of the others
    d = ResidentPatternData.from_folder(fingercamera_dir, "cpu", size=32, max_per_class=1, seed=0)
    extra = ResidentPatternData.from_folder(fingercamera_dir, "cpu", size=32, classes=["floral"], max_per_class=30)
    imgs = torch.cat([d.images, extra.images])
    labels = torch.cat([d.labels, torch.full((len(extra),), d.classes.index("floral"))])
    u = ResidentPatternData(imgs, labels, d.classes)
    g = torch.Generator().manual_seed(0)
    _, y = u.sample(3000, 16, g, class_balanced=True)
    share = torch.bincount(y, minlength=6).float() / 3000
    assert (share - 1 / 6).abs().max() < 0.04
    _, y2 = u.sample(3000, 16, g, class_balanced=False)
    assert torch.bincount(y2, minlength=6)[2] / 3000 > 0.7  # uniform over images: mostly floral


def test_bad_arguments_are_clear(small_set):
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="scale"):
        small_set.sample(2, 16, g, scale=(0.0, 0.5))
    with pytest.raises(ValueError, match="color_jitter"):
        small_set.sample(2, 16, g, color_jitter=1.5)
    with pytest.raises(ValueError, match="uint8"):
        ResidentPatternData(torch.zeros(2, 3, 8, 8), torch.zeros(2, dtype=torch.long), ["a"])
    with pytest.raises(FileNotFoundError):
        ResidentPatternData.from_folder("/nonexistent/folder", "cpu")


def test_from_arrays_matches_numpy_layout():
    arr = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    d = ResidentPatternData.from_arrays(arr, np.array([0, 1]), ["a", "b"])
    assert torch.equal(d.images[1, 2], torch.from_numpy(arr[1, :, :, 2]))
