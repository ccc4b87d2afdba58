"""The Inception-feature judge's core: logistic regression on standardised features, its report,
saving, and the within-class spread."""

from __future__ import annotations

import numpy as np
import pytest

from aifashion.metrics.judge import InceptionJudge, class_spread, fit_judge


def _clusters(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.zeros((3, 64))
    centres[0, :4], centres[1, 4:8], centres[2, 8:12] = 3.0, 3.0, 3.0
    y = rng.integers(0, 3, n)
    return centres[y] + rng.normal(0, 1, (n, 64)) + 100.0, y  # an offset: standardisation matters


def test_the_judge_learns_classes_and_reports_in_class_shares(tmp_path):
    x, y = _clusters(600, 0)
    classes = ["checkered", "dotted", "floral"]
    judge = fit_judge(x, y, classes)
    xt, yt = _clusters(300, 1)
    names = [classes[i] for i in yt]
    r = judge.in_class(xt, names)
    assert r["overall"] > 0.97 and set(r["per_class"]) == set(classes) and r["n"] == 300
    wrong = judge.in_class(xt, [classes[(i + 1) % 3] for i in yt])  # asked for another class: rejected
    assert wrong["overall"] < 0.05
    p = judge.proba(xt)
    assert p.shape == (300, 3) and np.allclose(p.sum(1), 1)
    again = InceptionJudge.load(judge.save(tmp_path / "judge"))
    assert again.classes == classes and np.array_equal(again.proba(xt), p)
    with pytest.raises(ValueError, match="intended"):
        judge.in_class(xt, names[:10])
    with pytest.raises(ValueError, match="index the 3 classes"):
        fit_judge(x, y + 1, classes)


def test_class_spread_is_the_mean_pairwise_distance():
    f = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0], [10.0, 1.0]])
    s = class_spread(f, ["a", "a", "b", "b"])
    assert s == pytest.approx({"a": 5.0, "b": 1.0})
    assert class_spread(f[:1], ["a"]) == {}  # one sample: no spread
