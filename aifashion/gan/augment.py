"""Differentiable augmentation for GAN training on small data sets (DiffAugment, Zhao et al. 2020).

With 400 photos the discriminator learns the training crops by heart and stops giving the
generator useful gradients. DiffAugment applies the *same kind* of random transform to every
image the discriminator sees, real and generated, in both the discriminator and the generator
step; the transforms are differentiable, so the generator is trained through them and does not
learn to reproduce them (unlike augmenting the real images only).

    x_aug = diff_augment(x, "color,translation,cutout", generator)

Policies (a registry: an unknown name raises an error that lists the valid ones):

- ``color``: per image, brightness ``+ U(-0.5, 0.5)``, saturation ``x (U(0, 2))`` around the
  pixel's channel mean, contrast ``x U(0.5, 1.5)`` around the image mean.
- ``translation``: per image, an integer shift of up to 1/8 of each side, zeros shifted in (the
  same for real and generated images: a wrap-around roll would give real crops a seam that
  seamless generated patterns never have, a cue the discriminator would use).
- ``cutout``: per image, one square of half the side set to zero, anywhere (clipped at the border).
"""

from __future__ import annotations

import torch

from aifashion.registry import Registry

AUGMENTS: Registry[torch.Tensor] = Registry("augmentation")


def _uniform(x: torch.Tensor, lo: float, hi: float, g: torch.Generator | None, *shape: int) -> torch.Tensor:
    """``(B, *shape)`` uniform in ``[lo, hi)``, float32, on ``x``'s device, drawn from ``g``."""
    u = torch.rand(x.shape[0], *shape, generator=g, device=x.device)
    return (lo + (hi - lo) * u).to(x.dtype)


@AUGMENTS.register("color")
def color(x: torch.Tensor, g: torch.Generator | None = None) -> torch.Tensor:
    """Brightness, saturation and contrast; ``(B, C, H, W)`` in about [-1, 1] -> same shape."""
    x = x + _uniform(x, -0.5, 0.5, g, 1, 1, 1)
    m = x.mean(dim=1, keepdim=True)
    x = (x - m) * _uniform(x, 0.0, 2.0, g, 1, 1, 1) + m
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - m) * _uniform(x, 0.5, 1.5, g, 1, 1, 1) + m


def _shift_index(n: int, shift: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image, source index ``i - shift`` for each output position and whether it is inside."""
    src = torch.arange(n, device=shift.device)[None, :] - shift[:, None]  # (B, n)
    inside = (src >= 0) & (src < n)
    return src.clamp(0, n - 1), inside


@AUGMENTS.register("translation")
def translation(x: torch.Tensor, g: torch.Generator | None = None, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its side (integer pixels, zeros shifted in);
    ``(B, C, H, W)`` -> same shape."""
    B, C, H, W = x.shape
    sy, sx = int(H * ratio + 0.5), int(W * ratio + 0.5)
    dy = torch.randint(-sy, sy + 1, (B,), generator=g, device=x.device)
    dx = torch.randint(-sx, sx + 1, (B,), generator=g, device=x.device)
    iy, in_y = _shift_index(H, dy)
    ix, in_x = _shift_index(W, dx)
    out = torch.gather(x, 2, iy[:, None, :, None].expand(B, C, H, W))
    out = torch.gather(out, 3, ix[:, None, None, :].expand(B, C, H, W))
    keep = (in_y[:, :, None] & in_x[:, None, :]).to(x.dtype)[:, None]  # (B, 1, H, W)
    return out * keep


@AUGMENTS.register("cutout")
def cutout(x: torch.Tensor, g: torch.Generator | None = None, ratio: float = 0.5) -> torch.Tensor:
    """Zero one ``ratio``-sized square per image, its centre anywhere; ``(B, C, H, W)`` -> same."""
    B, _, H, W = x.shape
    ch, cw = int(H * ratio + 0.5), int(W * ratio + 0.5)
    cy = torch.randint(0, H + (1 - ch % 2), (B,), generator=g, device=x.device)
    cx = torch.randint(0, W + (1 - cw % 2), (B,), generator=g, device=x.device)
    ys = torch.arange(H, device=x.device)[None, :]
    xs = torch.arange(W, device=x.device)[None, :]
    in_y = (ys >= (cy - ch // 2)[:, None]) & (ys < (cy - ch // 2 + ch)[:, None])  # (B, H)
    in_x = (xs >= (cx - cw // 2)[:, None]) & (xs < (cx - cw // 2 + cw)[:, None])  # (B, W)
    hole = in_y[:, :, None] & in_x[:, None, :]
    return x * (~hole).to(x.dtype)[:, None]


def parse_policy(policy: str | None) -> list[str]:
    """``"color,translation"`` -> ``["color", "translation"]``, checking every name ("" = none)."""
    names = [p.strip() for p in (policy or "").split(",") if p.strip()]
    for n in names:
        AUGMENTS.get(n)  # unknown: UnknownNameError listing the valid names
    return names


def diff_augment(x: torch.Tensor, policy: str | None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply the comma-separated ``policy`` in order (``""`` / None: ``x`` unchanged).

    Args:
        x: ``(B, C, H, W)`` images in about [-1, 1], any dtype / memory format.
        policy: names from :data:`AUGMENTS`, e.g. ``"color,translation,cutout"``.
        generator: draws every random parameter (seeded and checkpointed by the trainer).

    Returns:
        ``(B, C, H, W)``, differentiable with respect to ``x``.
    """
    for name in parse_policy(policy):
        x = AUGMENTS.get(name)(x, generator)
    return x
