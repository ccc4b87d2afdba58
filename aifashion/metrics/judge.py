"""A pattern-class judge of another family than the project's classifier.

The project's pattern classifier is a small CNN trained on the same photos as the generator; a
sample chosen or tuned by it can fool CNNs like it and no one else. :class:`InceptionJudge` is a
multinomial logistic regression on the standard FID Inception-v3 pool features
(:class:`aifashion.metrics.inception.InceptionFeatures`, ImageNet-trained, never on fabrics),
fitted on views of *real* photos only. It reports; it never selects a sample or a checkpoint, so
its figures stay an independent measure.

Typical use (``tools/judge_generator.py`` does this end to end)::

    judge = fit_judge(features_of_real_views, labels, classes)   # float (N, 2048), int (N,)
    judge.in_class(features_of_samples, intended_class_names)    # {"overall": .., "per_class": {..}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = ["InceptionJudge", "fit_judge", "class_spread"]


@dataclass
class InceptionJudge:
    """Logistic regression on standardised features.

    Attributes:
        classes: the class names, in output order.
        mean, std: float64 (D,) feature standardisation (of the training views).
        weight: float64 (C, D); bias: float64 (C,).
    """

    classes: list[str]
    mean: np.ndarray
    std: np.ndarray
    weight: np.ndarray
    bias: np.ndarray

    def proba(self, features: np.ndarray) -> np.ndarray:
        """float64 (N, C) class probabilities of features (N, D)."""
        z = (np.asarray(features, np.float64) - self.mean) / self.std @ self.weight.T + self.bias
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)

    def predict(self, features: np.ndarray) -> list[str]:
        """The most likely class name of each row of features (N, D)."""
        return [self.classes[i] for i in self.proba(features).argmax(1)]

    def in_class(self, features: np.ndarray, intended: Sequence[str]) -> dict:
        """Share of rows judged to be their ``intended`` class: ``{"overall": float in [0, 1],
        "per_class": {class: float in [0, 1]}, "n": N}``."""
        got = np.array(self.predict(features))
        want = np.asarray(list(intended))
        if len(got) != len(want):
            raise ValueError(f"{len(got)} feature rows but {len(want)} intended classes")
        per = {c: float((got[want == c] == c).mean()) for c in self.classes if (want == c).any()}
        return {"overall": float((got == want).mean()) if len(want) else float("nan"), "per_class": per, "n": len(want)}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the judge as ``.npz`` (weights) + ``.json`` (classes) beside it, atomically."""
        from aifashion.atomic import atomic_save, atomic_write_text

        path = Path(path).with_suffix(".npz")
        arrays = {"mean": self.mean, "std": self.std, "weight": self.weight, "bias": self.bias}

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)

        atomic_save(path, write)
        atomic_write_text(path.with_suffix(".json"), json.dumps({"classes": self.classes}))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> InceptionJudge:
        """Read a judge written by :meth:`save`."""
        path = Path(path).with_suffix(".npz")
        with np.load(path) as z:
            arrays = {k: z[k] for k in ("mean", "std", "weight", "bias")}
        return cls(json.loads(path.with_suffix(".json").read_text())["classes"], **arrays)


def fit_judge(
    features: np.ndarray, labels: np.ndarray, classes: Sequence[str], l2: float = 1e-2, steps: int = 200
) -> InceptionJudge:
    """Fit :class:`InceptionJudge` on features (N, D) of real views with int labels (N,) into
    ``classes``: standardise, then multinomial logistic regression with an L2 penalty ``l2`` on
    the weights (mean cross-entropy + l2 * |W|^2 / 2), L-BFGS in float64 (deterministic)."""
    x = np.asarray(features, np.float64)
    y = np.asarray(labels, np.int64)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"features must be (N, D) with one label each, not {x.shape} and {y.shape}")
    if y.min() < 0 or y.max() >= len(classes):
        raise ValueError(f"labels must index the {len(classes)} classes")
    mean, std = x.mean(0), x.std(0) + 1e-6
    xt = torch.from_numpy((x - mean) / std)
    yt = torch.from_numpy(y)
    w = torch.zeros(len(classes), x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(len(classes), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(xt @ w.T + b, yt) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return InceptionJudge(list(classes), mean, std, w.detach().numpy().copy(), b.detach().numpy().copy())


def class_spread(features: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """Per class: the mean pairwise Euclidean distance between rows of ``features`` (N, D) of that
    class (variety; compare generated samples with real views of the same class)."""
    x = torch.as_tensor(np.asarray(features, np.float64))
    names = np.asarray(list(names))
    out = {}
    for c in dict.fromkeys(names.tolist()):
        f = x[torch.from_numpy(names == c)]
        if len(f) > 1:
            out[str(c)] = float(torch.cdist(f, f).sum() / (len(f) * (len(f) - 1)))
    return out
