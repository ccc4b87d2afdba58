"""Batch augmentation of segmentation training data (CPU, one seeded ``torch.Generator``).

Labels follow :mod:`aifashion.segment.data`: 0 background, 1 person-but-not-garment, and every
value from 2 up (below ``IGNORE``) a garment -- one garment class (3-class scheme) or the garment
parts top / outer / bottom / full-body (6-class scheme); augmentation treats them alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .data import IGNORE, MEAN, STD


def is_garment(y: torch.Tensor) -> torch.Tensor:
    """bool mask of garment pixels (label 2 .. IGNORE - 1) of an integer label tensor."""
    return (y >= 2) & (y != IGNORE)


def _rand(g: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return torch.rand(n, generator=g) * (hi - lo) + lo


def _backgrounds(n: int, H: int, W: int, g: torch.Generator, textures: torch.Tensor | None) -> torch.Tensor:
    """Random backgrounds in [0, 1], (n, 3, H, W): plain colours with a gentle gradient,
    synthetic textures (stripes / low-frequency noise), or crops of fabric photos."""
    plain = torch.rand(n, 3, 1, 1, generator=g)
    light = torch.rand(n, 1, 1, 1, generator=g) < 0.5  # studio whites and greys are common
    plain = torch.where(light, 0.75 + 0.25 * torch.rand(n, 1, 1, 1, generator=g).expand(n, 3, 1, 1), plain)
    yy = torch.linspace(-1, 1, H).view(1, 1, H, 1)
    xx = torch.linspace(-1, 1, W).view(1, 1, 1, W)
    gx, gy = _rand(g, n, -0.15, 0.15).view(n, 1, 1, 1), _rand(g, n, -0.15, 0.15).view(n, 1, 1, 1)
    bg = (plain + gx * xx + gy * yy).expand(n, 3, H, W).clone()
    kind = torch.randint(0, 4, (n,), generator=g)  # 0,1 plain  2 synthetic  3 fabric
    syn = kind == 2
    if syn.any():
        k = int(syn.sum())
        noise = F.interpolate(torch.rand(k, 3, 6, 4, generator=g), size=(H, W), mode="bicubic", align_corners=False)
        freq = _rand(g, k, 5, 40).view(k, 1, 1, 1)
        ang = _rand(g, k, 0, math.pi).view(k, 1, 1, 1)
        stripes = 0.5 + 0.5 * torch.sin(freq * (xx * torch.cos(ang) + yy * torch.sin(ang)))
        c2 = torch.rand(k, 3, 1, 1, generator=g)
        mix = torch.where(torch.rand(k, 1, 1, 1, generator=g) < 0.5, stripes, noise.mean(1, keepdim=True))
        bg[syn] = (bg[syn] * mix + c2 * (1 - mix)).clamp(0, 1)
    fab = kind == 3
    if fab.any() and textures is not None:
        k = int(fab.sum())
        idx = torch.randint(0, textures.shape[0], (k,), generator=g)
        t = textures[idx].float() / 255.0
        bg[fab] = F.interpolate(t, size=(H, W), mode="bilinear", align_corners=False)
    return bg


@dataclass
class AugmentConfig:
    """Probabilities and ranges of the batch augmentation (see :func:`augment_batch`)."""

    copy_paste: float = 0.5  # paste the figure / only its garments onto a new background
    garment_only: float = 0.6  # share of copy-pastes that keep only garment pixels, framed like
    #                              a product shot (the garment fills 55..95% of the frame)
    zoom_in: float = 0.35  # share of samples with a close-up crop (zoom 1.3..3)
    scale: tuple[float, float] = (0.7, 1.2)
    shift: float = 0.2
    rotate_deg: float = 10.0
    jitter: float = 0.3  # brightness/contrast/saturation amplitude
    grayscale: float = 0.1


def augment_batch(
    images: torch.Tensor,
    labels: torch.Tensor,
    g: torch.Generator,
    textures: torch.Tensor | None = None,
    cfg: AugmentConfig | None = None,
    mean: tuple[float, ...] = MEAN,
    std: tuple[float, ...] = STD,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment a batch on the CPU.

    Args:
        images: uint8 (B, 3, H, W); labels: uint8 (B, H, W): 0, 1, garment ids 2.., IGNORE.
        g: the random generator (the only source of randomness).
    Returns:
        x: float32 (B, 3, H, W), normalised ``(x - mean) / std`` (the model config's statistics);
        y: int64 (B, H, W), the same label values.
    Steps: copy-paste onto plain / synthetic / fabric backgrounds, random affine (flip, scale,
    shift, rotation, zoom-in crops; uncovered area becomes a plain background), colour jitter.
    """
    cfg = cfg or AugmentConfig()
    B, _, H, W = images.shape
    x = images.float() / 255.0
    y = labels.long()
    # 1. copy-paste: keep the figure (or only its garments), replace the rest
    cp = torch.rand(B, generator=g) < cfg.copy_paste
    product = torch.zeros(B, dtype=torch.bool)  # garment-only pastes: framed like a product shot
    if cp.any():
        k = int(cp.sum())
        bg = _backgrounds(k, H, W, g, textures)
        yk = y[cp]
        only_g = torch.rand(k, generator=g) < cfg.garment_only
        keep = torch.where(only_g.view(k, 1, 1), is_garment(yk), (yk == 1) | is_garment(yk))
        keepf = keep.unsqueeze(1).float()
        x[cp] = x[cp] * keepf + bg * (1 - keepf)
        y[cp] = torch.where(keep, yk, torch.zeros_like(yk))
        product[cp] = only_g & is_garment(yk).flatten(1).any(1)
    # 2. affine: output pixel p samples input at A p + t (normalised coordinates)
    zoom = torch.where(torch.rand(B, generator=g) < cfg.zoom_in, _rand(g, B, 1.3, 3.0), _rand(g, B, *cfg.scale))
    ang = _rand(g, B, -cfg.rotate_deg, cfg.rotate_deg) * math.pi / 180
    flip = torch.where(torch.rand(B, generator=g) < 0.5, -1.0, 1.0)
    inv = 1.0 / zoom
    shift_range = cfg.shift + (1 - inv).clamp(min=0)  # zoomed-in crops may go anywhere inside
    tx, ty = (torch.rand(B, generator=g) * 2 - 1) * shift_range, (torch.rand(B, generator=g) * 2 - 1) * shift_range
    if product.any():  # a garment alone fills 55..95% of the frame, roughly centred
        ys = torch.linspace(-1, 1, H).view(1, H, 1).expand(B, H, W)
        xs = torch.linspace(-1, 1, W).view(1, 1, W).expand(B, H, W)
        gm = is_garment(y)
        big = torch.tensor(1e9)
        x0 = torch.where(gm, xs, big).flatten(1).min(1).values
        x1 = torch.where(gm, xs, -big).flatten(1).max(1).values
        y0 = torch.where(gm, ys, big).flatten(1).min(1).values
        y1 = torch.where(gm, ys, -big).flatten(1).max(1).values
        fill = _rand(g, B, 0.55, 0.95)
        fit = torch.minimum(2 / (x1 - x0).clamp(min=0.05), 2 / (y1 - y0).clamp(min=0.05)) * fill
        jx, jy = _rand(g, B, -0.1, 0.1), _rand(g, B, -0.1, 0.1)
        inv = torch.where(product, 1.0 / fit.clamp(0.8, 5.0), inv)
        tx = torch.where(product, (x0 + x1) / 2 + jx, tx)
        ty = torch.where(product, (y0 + y1) / 2 + jy, ty)
    cos, sin = torch.cos(ang) * inv, torch.sin(ang) * inv
    # rotation in pixel space expressed in normalised coordinates (H != W)
    theta = torch.stack(
        [torch.stack([cos * flip, -sin * H / W, tx], 1), torch.stack([sin * W / H * flip, cos, ty], 1)], 1
    )
    grid = F.affine_grid(theta, (B, 3, H, W), align_corners=False)
    valid = F.grid_sample(torch.ones(B, 1, H, W), grid, mode="nearest", padding_mode="zeros", align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    y = F.grid_sample(y.unsqueeze(1).float(), grid, mode="nearest", padding_mode="zeros", align_corners=False)
    y = y.squeeze(1).long()
    fill = _backgrounds(B, H, W, g, None)
    x = torch.where(valid > 0, x, fill)
    y = torch.where(valid[:, 0] > 0, y, torch.zeros_like(y))
    # 3. colour jitter
    j = cfg.jitter
    bright = _rand(g, B, 1 - j, 1 + j).view(B, 1, 1, 1)
    contrast = _rand(g, B, 1 - j, 1 + j).view(B, 1, 1, 1)
    sat = _rand(g, B, 1 - j, 1 + j).view(B, 1, 1, 1)
    gain = _rand(g, 3 * B, 0.92, 1.08).view(B, 3, 1, 1)
    gray = x.mean(1, keepdim=True)
    x = gray + (x - gray) * sat
    sat0 = torch.rand(B, generator=g) < cfg.grayscale
    x = torch.where(sat0.view(B, 1, 1, 1), x.mean(1, keepdim=True).expand_as(x), x)
    m = x.mean((1, 2, 3), keepdim=True)
    x = ((x - m) * contrast + m) * bright * gain
    x = x.clamp(0, 1)
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x - m) / s).contiguous(), y
