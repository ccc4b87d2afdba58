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


def _symmetry_ids(x: torch.Tensor, src: torch.Tensor) -> list[int]:
    """For each image of ``x`` the index ``2 * r + f`` of the D4 symmetry of ``src`` it equals."""
    syms = []
    for k in range(4):
        r = torch.rot90(src, k, (1, 2))
        syms += [r, r.flip(2)]
    ids = []
    for xi in x:
        hits = [i for i, s in enumerate(syms) if torch.allclose(xi, s, atol=1e-5)]
        assert len(hits) >= 1, "not a symmetry of the source image"
        ids.append(hits[0])
    return ids


def test_flips_and_rotations_are_symmetries_of_the_square(small_set):
    d = small_set
    src = d.images[0].float() / 127.5 - 1
    idx = torch.zeros(96, dtype=torch.long)
    x, _ = d.sample(96, 64, torch.Generator().manual_seed(1), scale=(1, 1), flip=True, rot90=True, indices=idx)
    assert set(_symmetry_ids(x, src)) == set(range(8))  # every element of D4 is reached
    x, _ = d.sample(64, 64, torch.Generator().manual_seed(1), scale=(1, 1), flip=False, rot90=True, indices=idx[:64])
    assert set(_symmetry_ids(x, src)) == {0, 2, 4, 6}  # rotations only, all four
    x, _ = d.sample(32, 64, torch.Generator().manual_seed(1), scale=(1, 1), flip=True, rot90=False, indices=idx[:32])
    assert set(_symmetry_ids(x, src)) == {0, 1}  # identity and the left-right mirror only


@pytest.mark.parametrize("out", [32, 45, 20])
def test_large_crops_match_a_direct_antialiased_resize(small_set, out):
    # whole-image crops shrunk 64 -> out go through the mip pyramid (levels sqrt(2) apart) and
    # a uint8 resize: close to shrinking the photo directly with antialiasing, never blocky
    d = small_set
    x, _ = d.sample(
        18, out, torch.Generator().manual_seed(0), scale=(1, 1), flip=False, rot90=False, indices=torch.arange(18)
    )
    ref = (
        torch.nn.functional.interpolate(
            d.images.float(), size=(out, out), mode="bilinear", antialias=True, align_corners=False
        )
        / 127.5
        - 1
    )
    err = (x - ref).abs()
    assert float(err.mean()) < 0.015, float(err.mean())  # under 2 grey levels of 255 (measured 0.002-0.009)
    naive = d.images.float()[:, :, ::2, ::2] / 127.5 - 1  # what skipping pixels would give
    if out == 32:
        assert float((naive - ref).abs().mean()) > 2 * float(err.mean())


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
