"""Real photos and views of them: the crops the GANs and the classifier are trained and measured on.

- :func:`load_real_patterns` — decode a pattern folder into one uint8 array.
- :func:`random_views` — random square crops (optionally flipped, turned, jittered), resized.
- :func:`fixed_views` — deterministic views for evaluation (whole frame and four quadrants).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["fixed_views", "load_real_patterns", "random_views"]


def load_real_patterns(
    folder,
    size: int = 128,
    classes: Sequence[str] | None = None,
    max_per_class: int | None = None,
    seed: int = 0,
    gains: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode a pattern folder (``root/<class>/<image>``) for the metrics; ``gains``: multiply
    every photo by these per-channel gains (to compare with a generator that renders with them).

    Returns:
        ``(images uint8 (N, size, size, 3), labels int64 (N,), classes)``.
    """
    from aifashion.data.folders import load_pattern_images, scan_pattern_folder

    pf = scan_pattern_folder(folder, classes=classes, max_per_class=max_per_class, seed=seed)
    images, labels = load_pattern_images(pf, size)
    if len(images) == 0:
        raise ValueError(f"no readable images in {folder}")
    if gains is not None:
        from aifashion.data.colour import apply_gains

        images = apply_gains(images, np.asarray(gains, np.float32))
    return images, labels, list(pf.classes)


def random_views(
    images: torch.Tensor,
    n: int,
    out_size: int,
    generator: torch.Generator,
    scale: tuple[float, float] = (0.35, 1.0),
    augment: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random square crops of random images, resized, flipped and turned: the training views.

    One batched ``grid_sample`` (bilinear) does crop, resize, flip and 90-degree turn together.

    Args:
        images: uint8 ``(N, 3, R, R)`` (0..255) on any device.
        n: number of views.
        out_size: side of each view.
        generator: a ``torch.Generator`` on the CPU (all randomness comes from it).
        scale: crop side as a fraction of ``R``, uniform in this range.
        augment: random horizontal flips, 90-degree turns and a mild brightness/contrast jitter.

    Returns:
        ``(views, index)``: float ``(n, 3, out_size, out_size)`` in [-1, 1] and the int64 index of
        the source image of each view.
    """
    N = images.shape[0]
    idx = torch.randint(0, N, (n,), generator=generator)
    s = torch.empty(n).uniform_(scale[0], scale[1], generator=generator)
    cx = (torch.rand(n, generator=generator) * 2 - 1) * (1 - s)
    cy = (torch.rand(n, generator=generator) * 2 - 1) * (1 - s)
    turns = torch.randint(0, 4, (n,), generator=generator) if augment else torch.zeros(n, dtype=torch.long)
    flip = (torch.rand(n, generator=generator) < 0.5) if augment else torch.zeros(n, dtype=torch.bool)
    ang = turns.float() * (math.pi / 2)
    cos, sin = torch.cos(ang).round(), torch.sin(ang).round()
    fx = torch.where(flip, -1.0, 1.0)
    theta = torch.stack(
        [torch.stack([s * cos * fx, -s * sin, cx], 1), torch.stack([s * sin * fx, s * cos, cy], 1)], 1
    )  # (n, 2, 3)
    src = images[idx.to(images.device)].float()
    grid = F.affine_grid(theta.to(src.device), [n, 3, out_size, out_size], align_corners=False)
    out = F.grid_sample(src, grid, mode="bilinear", padding_mode="border", align_corners=False) / 127.5 - 1.0
    if augment:
        gain = torch.empty(n, 1, 1, 1).uniform_(0.8, 1.2, generator=generator).to(out.device)
        bias = torch.empty(n, 1, 1, 1).uniform_(-0.1, 0.1, generator=generator).to(out.device)
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = ((out - mean) * gain + mean + bias).clamp(-1, 1)
    return out, idx


def fixed_views(images: torch.Tensor, out_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic views for evaluation: the whole image and its four half-size quadrants.

    Args:
        images: uint8 ``(N, 3, R, R)``.
    Returns:
        ``(views, index)``: float ``(5N, 3, out_size, out_size)`` in [-1, 1] and the source index.
    """
    N, _, R, _ = images.shape
    h = R // 2
    crops = [images] + [images[:, :, t : t + h, u : u + h] for t in (0, R - h) for u in (0, R - h)]
    views = [
        F.interpolate(c.float(), size=(out_size, out_size), mode="bilinear", align_corners=False, antialias=True)
        for c in crops
    ]
    idx = torch.arange(N).repeat(len(views))
    return torch.cat(views) / 127.5 - 1.0, idx
