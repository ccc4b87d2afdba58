"""Distances between two feature sets: KID, Fréchet distance, improved precision and recall.

All take float arrays ``(N, D)`` (real) and ``(M, D)`` (generated) of any features: the pattern
classifier's (:func:`aifashion.metrics.classifier_features`) or Inception's
(:class:`aifashion.metrics.InceptionFeatures`).

- :func:`kid` — unbiased polynomial-kernel MMD² (no sample-size bias: right for small sets).
- :func:`frechet_distance` — FID's formula on any features (biased upward for small sets).
- :func:`precision_recall` — realism vs coverage of the real modes (Kynkäänniemi et al. 2019).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["frechet_distance", "kid", "precision_recall"]


def _poly_mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int, gamma: float, coef0: float) -> float:
    m, n = len(x), len(y)
    kxx = (x @ x.T * gamma + coef0) ** degree
    kyy = (y @ y.T * gamma + coef0) ** degree
    kxy = (x @ y.T * gamma + coef0) ** degree
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2.0 * kxy.mean())


def kid(
    real_feats,
    fake_feats,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel Inception Distance on any features: unbiased MMD² with a polynomial kernel.

    ``k(a, b) = (gamma * a·b + coef0) ** degree`` with ``gamma = 1 / D`` by default (Bińkowski et
    al. 2018). The unbiased estimate is averaged over ``subsets`` random subsets of
    ``m = min(subset_size, n_real, n_fake)`` rows from each side (drawn with ``seed``); when that
    would be a whole side, ``m`` is 80% of the smaller side, so that subsets differ and the std
    says how much the estimate moves. Unlike FD it
    has no bias from the sample size, so it compares small sets fairly; it can be slightly
    negative when the two sets come from one distribution.

    Args:
        real_feats, fake_feats: float arrays ``(N, D)`` and ``(M, D)``, N, M >= 2.

    Returns:
        ``(mean, std)`` of the estimate over the subsets.
    """
    x = np.asarray(real_feats, dtype=np.float64)
    y = np.asarray(fake_feats, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"features must be (N, D) and (M, D), not {x.shape} and {y.shape}")
    n_min = min(len(x), len(y))
    m = subset_size if subset_size < n_min else max(2, int(0.8 * n_min))
    if n_min < 2:
        raise ValueError("kid needs at least 2 rows on each side")
    g = 1.0 / x.shape[1] if gamma is None else gamma
    rng = np.random.default_rng(seed)
    vals = np.array(
        [
            _poly_mmd2_unbiased(
                x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)], degree, g, coef0
            )
            for _ in range(subsets)
        ]
    )
    return float(vals.mean()), float(vals.std())


def _kth_neighbour_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each row of ``x`` to its k-th nearest other row."""
    d = torch.cdist(x, x)
    return d.kthvalue(k + 1, dim=1).values  # +1: the row itself is its own nearest, at 0


def precision_recall(real_feats, fake_feats, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) on any features.

    Each sample gets a ball reaching its k-th nearest neighbour within its own set; the balls
    of a set approximate its manifold. **Precision** = share of generated samples inside the
    real manifold (are the samples realistic?); **recall** = share of real samples inside the
    generated manifold (does the generator cover all the real modes — e.g. every fabric of a
    class — or has it dropped some?). KID and FD fold both into one number; this splits them.

    Args:
        real_feats, fake_feats: float arrays ``(N, D)`` and ``(M, D)`` with N, M > k.
        k: neighbourhood size (3, as in the paper).

    Returns:
        ``(precision, recall)``, each in [0, 1].
    """
    x = torch.as_tensor(np.asarray(real_feats, dtype=np.float64))
    y = torch.as_tensor(np.asarray(fake_feats, dtype=np.float64))
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"features must be (N, D) and (M, D), not {tuple(x.shape)} and {tuple(y.shape)}")
    if min(len(x), len(y)) <= k:
        raise ValueError(f"precision_recall needs more than k={k} rows on each side, got {len(x)} and {len(y)}")
    r_real, r_fake = _kth_neighbour_radius(x, k), _kth_neighbour_radius(y, k)
    d = torch.cdist(y, x)  # (M, N)
    precision = (d <= r_real[None, :]).any(dim=1).double().mean()
    recall = (d.T <= r_fake[None, :]).any(dim=1).double().mean()
    return float(precision), float(recall)


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(real_feats, fake_feats) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (FID on any features).

    ``|mu_r - mu_f|² + Tr(S_r + S_f - 2 (S_r^½ S_f S_r^½)^½)``, computed with symmetric
    eigen-decompositions (no complex parts). It is 0 for identical sets, symmetric, and grows
    with a shift of the mean (exactly by |shift|²). Its estimate is biased upward for small
    sets; compare values computed with the same numbers of samples, or use :func:`kid`.

    Args:
        real_feats, fake_feats: float arrays ``(N, D)`` and ``(M, D)``, N, M >= 2.
    """
    x = np.asarray(real_feats, dtype=np.float64)
    y = np.asarray(fake_feats, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or len(x) < 2 or len(y) < 2:
        raise ValueError(f"features must be (N>=2, D) and (M>=2, D), not {x.shape} and {y.shape}")
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    r1 = _sqrtm_psd(s1)
    cross = np.linalg.eigvalsh((r1 @ s2 @ r1 + (r1 @ s2 @ r1).T) / 2)
    tr_cross = np.sqrt(np.clip(cross, 0, None)).sum()
    return float(max(0.0, ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2.0 * tr_cross))
