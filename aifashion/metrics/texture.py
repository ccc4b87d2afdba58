"""Texture scores of single images: seam visibility and regular geometry.

- :func:`seam_score` — how visible the wrap-around seams of a tile are (1.0 = seamless).
- :func:`periodicity` — how much of an image's pattern-scale structure is one repeating wave
  (1.0 = perfect stripes, ~0 = blobs or noise); :func:`wasserstein_1d` compares its
  distribution per class against real photos (regular geometry: stripes, checks, dots).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from aifashion.metrics.images import _to_hwc_float, images_to_tensor

__all__ = ["periodicity", "seam_score", "wasserstein_1d"]


def seam_score(img) -> float:
    """How visible the wrap-around seams of a tile are; 1.0 means seamless.

    The score is the mean absolute difference across the two wrap-around seams (last column
    against first column, last row against first row) divided by the mean absolute difference
    between neighbouring interior pixels (every horizontally or vertically adjacent pair that
    does not cross a seam), averaged over channels. A tile whose seams look like any other pair
    of neighbouring pixels scores about 1; a photo tiled as is scores far above 1 (its opposite
    edges are unrelated, while neighbouring pixels are alike).

    Args:
        img: a PIL RGB image, a uint8 array ``HxWx3`` (or ``HxW``) in 0..255, or a float tensor
            ``(3,H,W)`` / ``(1,3,H,W)`` in [-1, 1]. The ratio does not depend on the value scale.
            At least 2x2 pixels.

    Returns:
        The ratio as a float >= 0. A flat image (no interior differences) scores 1.0 if its
        seams are flat too, else ``inf``.
    """
    a = _to_hwc_float(img)
    h, w = a.shape[:2]
    if h < 2 or w < 2:
        raise ValueError(f"seam_score needs at least 2x2 pixels, not {w}x{h}")
    seam_sum = np.abs(a[:, -1] - a[:, 0]).sum() + np.abs(a[-1, :] - a[0, :]).sum()
    seam_n = a[:, 0].size + a[0, :].size
    dx, dy = np.abs(np.diff(a, axis=1)), np.abs(np.diff(a, axis=0))
    inner = (dx.sum() + dy.sum()) / (dx.size + dy.size)
    seam = seam_sum / seam_n
    if inner <= 1e-12:
        return 1.0 if seam <= 1e-12 else math.inf
    return float(seam / inner)


def periodicity(images, periods: tuple[float, float] = (5.0, 26.0)) -> np.ndarray:
    """Spectral peak share of each image: how much of its structure is one repeating wave.

    The grey image (mean removed, Hann-windowed so that non-periodic photos and periodic tiles
    are treated alike) gives a power spectrum; the slowest variations (under 1.5 cycles across
    the image: illumination, gradients) are dropped. The score is the power of the strongest
    spectral *peak* (a local maximum of 3x3 frequency groups, plus its mirror image) whose period
    lies in ``periods`` (pixels), over all remaining power. A single sinusoid (ideal stripes)
    scores ~1; checks and dot lattices (two or more directions, harmonics) less; blobs,
    flowers, noise, and structure outside the band (weave finer than the band, stripes coarser
    than it) near 0. A flat image scores 0.

    Args:
        images: float ``(N, 3, S, S)`` in [-1, 1] (or anything :func:`images_to_tensor` takes);
            S >= 16. Periods are in pixels at S, so compare images of one size (the GANs'
            training size, 64, in the evaluation).
        periods: ``(shortest, longest)`` period in pixels of the peaks that count.

    Returns:
        float64 ``(N,)`` in [0, 1].
    """
    x = images_to_tensor(images)
    n, _, h, w = x.shape
    if min(h, w) < 16:
        raise ValueError(f"periodicity needs images of at least 16x16 pixels, not {w}x{h}")
    lo, hi = periods
    if not 0 < lo < hi:
        raise ValueError(f"periods must be (shortest, longest) with 0 < shortest < longest, not {periods}")
    g = x.double().mean(1)  # (N, H, W)
    g = g - g.mean(dim=(1, 2), keepdim=True)
    win = (
        torch.hann_window(h, periodic=False, dtype=torch.float64)[:, None]
        * torch.hann_window(w, periodic=False, dtype=torch.float64)[None]
    )
    fy = torch.fft.fftfreq(h, dtype=torch.float64)[:, None]  # cycles per pixel, (H, 1)
    fx = torch.fft.fftfreq(w, dtype=torch.float64)[None]  # (1, W)
    cycles = torch.sqrt((fy * h) ** 2 + (fx * w) ** 2)  # cycles across the image, (H, W)
    f = torch.sqrt(fy**2 + fx**2)
    power = torch.fft.fft2(g * win).abs() ** 2  # (N, H, W); the DC bin is ~0 (mean removed)
    total = (power * (cycles >= 1.5)).sum(dim=(1, 2))  # (N,), illumination dropped
    # a windowed peak spreads over about 3 bins: sum 3x3 groups, keep the local maxima in the band
    # (found on the whole spectrum, so a coarse stripe's peak is not mistaken for one in the band)
    group = F.avg_pool2d(F.pad(power[:, None], (1, 1, 1, 1), mode="circular"), 3, 1) * 9  # (N, 1, H, W)
    is_peak = group >= F.max_pool2d(F.pad(group, (1, 1, 1, 1), mode="circular"), 3, 1)
    band = ((f >= 1.0 / hi) & (f <= 1.0 / lo))[None, None]
    peak = 2 * torch.where(is_peak & band, group, torch.zeros_like(group)).flatten(1).max(1).values
    share = torch.where(total > 1e-12, peak / total.clamp_min(1e-12), torch.zeros_like(total))
    return share.clamp(0, 1).numpy()


def wasserstein_1d(a, b, n_quantiles: int = 101) -> float:
    """Earth mover's distance between two 1-D samples (mean absolute quantile difference).

    Args:
        a, b: 1-D arrays of any (non-zero) lengths.

    Returns:
        A float >= 0 in the samples' units (0 = same distribution).
    """
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.size == 0 or b.size == 0:
        raise ValueError("wasserstein_1d needs two non-empty samples")
    q = np.linspace(0, 1, n_quantiles)
    return float(np.mean(np.abs(np.quantile(a, q) - np.quantile(b, q))))
