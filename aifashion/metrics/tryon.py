"""Metrics of a try-on result against the photo it came from: are the folds kept, is the print gone,
did only the chosen garment change?

- :func:`fold_band`: the fold/edge band of an image -- its log luminance blurred at 1.5 px minus
  blurred at 8 px (a difference of Gaussians): folds, seams, collars, print edges.
- :func:`band_agreement`: inside a region, how the result's band correlates with the photo's
  (1.0: every fold and edge in the same place) and how much of its contrast it keeps (std ratio).
  Log luminance makes the band a *relative* contrast, so a flat grey tile and a white shirt compare
  fairly (a fold that darkens the cloth by 20 % darkens the pattern by 20 %).
- :func:`change_in_region`: the share of changed pixels inside a region, and of the region changed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["fold_band", "band_agreement", "change_in_region", "FINE_SIGMA", "COARSE_SIGMA"]

FINE_SIGMA, COARSE_SIGMA = 1.5, 8.0
LOG_FLOOR = 1 / 64  # log(L + floor): the near-black noise floor does not dominate


def _gauss(x: torch.Tensor, sigma: float) -> torch.Tensor:
    r = max(1, math.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = (k / k.sum()).to(x.dtype)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def fold_band(image: np.ndarray, fine: float = FINE_SIGMA, coarse: float = COARSE_SIGMA) -> np.ndarray:
    """float32 (H, W): Gaussian(fine) - Gaussian(coarse) of log(L + 1/64), L the Rec. 601 luminance in
    [0, 1] of a uint8 (H, W, 3) image."""
    rgb = np.asarray(image, np.float32) / 255
    lum = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    x = torch.from_numpy(np.log(lum + LOG_FLOOR).astype(np.float32))[None, None]
    return (_gauss(x, fine) - _gauss(x, coarse))[0, 0].numpy()


def band_agreement(result: np.ndarray, photo: np.ndarray, region: np.ndarray) -> dict:
    """Compare the fold/edge bands of ``result`` and ``photo`` (uint8 (H, W, 3), same size) inside
    ``region`` (bool (H, W)). Returns ``{"corr": Pearson r in [-1, 1], "contrast": std(result band) /
    std(photo band) (>= 0; 1.0 = all the photo's contrast), "pixels": n}`` (NaN where empty)."""
    region = np.asarray(region, bool)
    n = int(region.sum())
    if n < 2:
        return {"corr": float("nan"), "contrast": float("nan"), "pixels": n}
    a, b = fold_band(result)[region].astype(np.float64), fold_band(photo)[region].astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    sa, sb = math.sqrt((a * a).mean()), math.sqrt((b * b).mean())
    corr = float((a * b).mean() / (sa * sb)) if sa > 0 and sb > 0 else float("nan")
    return {"corr": corr, "contrast": sa / sb if sb > 0 else float("nan"), "pixels": n}


def change_in_region(result: np.ndarray, photo: np.ndarray, region: np.ndarray, tol: int = 0) -> dict:
    """Where ``result`` differs from ``photo`` (uint8 (H, W, 3); a pixel changed if any channel moved
    by more than ``tol``) against a region (bool (H, W)). Returns ``{"inside": share of the changed
    pixels that lie in the region, "covered": share of the region that changed, "changed": n}``."""
    changed = (np.abs(result.astype(np.int16) - photo.astype(np.int16)) > tol).any(-1)
    region = np.asarray(region, bool)
    n = int(changed.sum())
    return {
        "inside": float((changed & region).sum() / n) if n else float("nan"),
        "covered": float((changed & region).sum() / region.sum()) if region.any() else float("nan"),
        "changed": n,
    }
