"""aifashion.metrics.distances: KID, Fréchet distance, precision and recall."""

from __future__ import annotations

import numpy as np
import pytest

from aifashion import metrics as M


# ------------------------------------------------------------------------------ KID and FD
def test_kid_is_about_zero_for_one_distribution_and_positive_for_a_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 32)), rng.normal(size=(400, 32))
    same_mean, same_std = M.kid(a, b, subsets=30, subset_size=200, seed=1)
    assert abs(same_mean) < 0.02
    assert same_std > 0  # subsets differ
    shift_mean, _ = M.kid(a, b + 0.5, subsets=30, subset_size=200, seed=1)
    assert shift_mean > 0.1
    assert shift_mean > 10 * abs(same_mean)
    bigger, _ = M.kid(a, b + 1.0, subsets=30, subset_size=200, seed=1)
    assert bigger > shift_mean  # grows with the shift
    assert M.kid(a, b, subsets=5, subset_size=100, seed=3) == M.kid(a, b, subsets=5, subset_size=100, seed=3)
    with pytest.raises(ValueError):
        M.kid(a, b[:, :10])


def test_frechet_distance_properties():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8))
    y = rng.normal(size=(300, 8)) * 2 + 1
    assert M.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
    assert M.frechet_distance(x, y) == pytest.approx(M.frechet_distance(y, x), rel=1e-6)
    shift = rng.normal(size=8)
    # a pure mean shift adds exactly |shift|^2
    assert M.frechet_distance(x, x + shift) == pytest.approx(float((shift**2).sum()), rel=1e-6)
    # scaling by 2 around the origin: |mu|^2 + tr(S) + 4 tr(S) - 2 tr(2 S) = |mu|^2 + tr(S)
    expected = float((x.mean(0) ** 2).sum() + np.trace(np.cov(x, rowvar=False)))
    assert M.frechet_distance(x, 2 * x) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        M.frechet_distance(x[:1], y)


def test_precision_recall_separates_realism_from_coverage():
    rng = np.random.default_rng(0)
    modes = np.array([[-6.0, 0, 0, 0], [6.0, 0, 0, 0]])
    real = modes[rng.integers(0, 2, 600)] + rng.normal(size=(600, 4))
    both = modes[rng.integers(0, 2, 600)] + rng.normal(size=(600, 4))
    one = modes[0] + rng.normal(size=(600, 4))  # a generator that dropped the second mode
    p, r = M.precision_recall(real, both)
    assert p > 0.85 and r > 0.85
    p1, r1 = M.precision_recall(real, one)
    assert p1 > 0.85  # what it draws is realistic ...
    assert 0.35 < r1 < 0.6  # ... but it covers only the half of the real data in mode 0
    assert M.precision_recall(real, both + 50.0) == (0.0, 0.0)
    assert M.precision_recall(real, both, k=5) != M.precision_recall(real, both, k=1)
    with pytest.raises(ValueError, match="more than k"):
        M.precision_recall(real[:3], both)
    with pytest.raises(ValueError, match="features"):
        M.precision_recall(real, both[:, :3])
