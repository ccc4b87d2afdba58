"""aifashion.metrics.texture: seam score, periodicity, W1 between periodicity distributions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from aifashion import metrics as M


# ------------------------------------------------------------------------------ seam score
def test_seam_score_of_a_periodic_image_is_about_one(periodic_image):
    # one seam is a single row/column of pixels, so one image scatters around 1; the mean of
    # several does not
    scores = [M.seam_score(periodic_image(96, seed)) for seed in range(8)]
    assert all(0.7 < s < 1.35 for s in scores), scores
    assert 0.85 < float(np.mean(scores)) < 1.15
    img = periodic_image()
    s = M.seam_score(img)
    # every accepted input type gives the same number
    t = torch.from_numpy(img).permute(2, 0, 1).float() / 127.5 - 1
    assert M.seam_score(t) == pytest.approx(s, rel=1e-6)
    assert M.seam_score(t[None]) == pytest.approx(s, rel=1e-6)
    assert M.seam_score(Image.fromarray(img)) == pytest.approx(s, rel=1e-6)


def test_seam_score_of_a_real_photo_is_far_above_one(floral_photo):
    photo = np.asarray(floral_photo)
    s = M.seam_score(photo)
    assert s > 3.0
    # rolling the photo by half a period moves its seams inside: the new wrap-around seams
    # join neighbouring pixels, so the score drops to about 1
    rolled = np.roll(photo, (photo.shape[0] // 2, photo.shape[1] // 2), axis=(0, 1))
    assert M.seam_score(rolled) < 1.5
    # a 2x2 tiling of a photo keeps the photo's bad seams
    assert M.seam_score(np.tile(photo[::4, ::4], (2, 2, 1))) > 2.0


def test_seam_score_edge_cases():
    flat = np.full((8, 8, 3), 77, np.uint8)
    assert M.seam_score(flat) == 1.0
    step = flat.copy()
    step[:, -1] = 200  # only the last column differs: interior differences exist, seam is big
    assert M.seam_score(step) > 1.0
    with pytest.raises(ValueError):
        M.seam_score(np.zeros((1, 5, 3), np.uint8))
    with pytest.raises(ValueError):
        M.seam_score(torch.zeros(2, 3, 8, 8))


# ------------------------------------------------------------------------------ periodicity
def _stripes(size: int, period: float, angle: float = 0.0, phase: float = 0.0) -> torch.Tensor:
    yy, xx = torch.meshgrid(
        torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64), indexing="ij"
    )
    u = xx * np.cos(angle) + yy * np.sin(angle)
    return torch.sin(2 * np.pi * u / period + phase).float()[None].expand(3, size, size)


def test_periodicity_orders_stripes_checks_and_noise():
    g = torch.Generator().manual_seed(0)
    stripes = torch.stack([_stripes(64, p, a) for p, a in [(8, 0), (12, 0.6), (16, 1.2), (6.4, 2.0)]])
    checks = torch.stack([torch.sign(_stripes(64, 16)) * torch.sign(_stripes(64, 16, np.pi / 2))] * 2)
    noise = torch.rand(4, 3, 64, 64, generator=g) * 2 - 1
    s, c, n = M.periodicity(stripes), M.periodicity(checks), M.periodicity(noise)
    assert s.shape == (4,) and s.min() > 0.85  # one wave: almost all band power in one peak pair
    assert 0.2 < c.max() < 0.75  # checks: two directions (and harmonics) share the power
    assert n.max() < 0.15  # noise: no dominant period
    # periods outside the band do not count: 3-px stripes are "weave", 40-px ones "illumination"
    assert M.periodicity(torch.stack([_stripes(64, 3.0), _stripes(64, 40.0)])).max() < 0.3
    flat = torch.zeros(1, 3, 64, 64)
    assert M.periodicity(flat).tolist() == [0.0]
    # accepts uint8 arrays too, same answer
    u8 = ((stripes[:1] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    assert M.periodicity(u8)[0] == pytest.approx(s[0], abs=0.02)
    with pytest.raises(ValueError):
        M.periodicity(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError):
        M.periodicity(stripes, periods=(10, 5))


def test_wasserstein_1d():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, 500)
    assert M.wasserstein_1d(a, a) == 0.0
    assert M.wasserstein_1d(a, a + 0.3) == pytest.approx(0.3, abs=1e-9)
    assert M.wasserstein_1d(a, rng.uniform(0, 1, 300)) < 0.05
    with pytest.raises(ValueError):
        M.wasserstein_1d([], a)


def test_real_striped_photos_are_more_periodic_than_solid_and_floral_ones(fingercamera_dir):
    images, labels, classes = M.load_real_patterns(
        fingercamera_dir, size=128, classes=["floral", "solid", "striped"], max_per_class=24
    )
    per = M.real_view_periodicity(images, labels, classes, n_per_class=64, size=64, seed=0)
    med = {c: float(np.median(v)) for c, v in per.items()}
    assert set(med) == {"floral", "solid", "striped"} and all(len(v) == 64 for v in per.values())
    assert med["striped"] > 0.5 > med["floral"] and med["striped"] > med["solid"] + 0.2
