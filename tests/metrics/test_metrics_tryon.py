"""metrics.tryon: the fold/edge band agreement and the changed-pixel measures of a try-on."""

from __future__ import annotations

import numpy as np

from aifashion.metrics.tryon import band_agreement, change_in_region, fold_band


def _photo(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    lum = 0.5 + 0.25 * np.sin(x / 5) * np.cos(y / 7) + 0.02 * rng.standard_normal((96, 128))
    return (np.clip(lum, 0, 1)[..., None] * [255, 200, 180]).astype(np.uint8)


def test_band_agreement_of_a_photo_with_itself_a_flat_and_a_faded_copy():
    photo = _photo()
    region = np.zeros(photo.shape[:2], bool)
    region[20:80, 20:110] = True
    same = band_agreement(photo, photo, region)
    assert same["corr"] > 0.999 and abs(same["contrast"] - 1) < 1e-3 and same["pixels"] == region.sum()
    flat = band_agreement(np.full_like(photo, 128), photo, region)
    assert flat["contrast"] < 0.01
    faded = (128 + (photo.astype(np.float32) - 128) * 0.5).astype(np.uint8)
    half = band_agreement(faded, photo, region)
    assert half["corr"] > 0.95 and 0.3 < half["contrast"] < 0.8
    assert fold_band(photo).shape == photo.shape[:2]


def test_change_in_region_counts_where_a_result_differs():
    photo = _photo(1)
    out = photo.copy()
    out[10:30, 10:30] = 0
    region = np.zeros(photo.shape[:2], bool)
    region[10:30, 10:50] = True
    res = change_in_region(out, photo, region)
    assert res["inside"] > 0.99  # every changed pixel lies in the region
    assert abs(res["covered"] - 0.5) < 0.02  # half of the region changed
