"""The PyTorch DCGAN tutorial's nets, exactly, as the baseline every claim is measured against.

Source: https://pytorch.org/tutorials/beginner/dcgan_faces_tutorial.html (nz 100, ngf = ndf =
64, 64x64 RGB, BatchNorm, ReLU / LeakyReLU(0.2), Tanh / Sigmoid, weights from N(0, 0.02) and
BatchNorm gains from N(1, 0.02)). ``image_size`` 128 or 256 adds one stride-2 layer per
doubling (channels capped at ``ngf * 8`` / ``ndf * 8``); 64 is the tutorial itself.

This file holds only modules and their config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class DCGANConfig:
    """Everything needed to rebuild the nets (saved in every checkpoint and export)."""

    image_size: int = 64  # 64 (the tutorial), 128 or 256
    nz: int = 100  # latent vector length
    ngf: int = 64  # generator feature maps
    ndf: int = 64  # discriminator feature maps
    nc: int = 3  # image channels
    n_classes: int = 1  # informational: the baseline is unconditional (one net per class in the seed)

    def __post_init__(self) -> None:
        if self.image_size not in (64, 128, 256):
            raise ValueError(f"DCGAN image_size must be 64, 128 or 256, not {self.image_size}")

    @property
    def n_layers(self) -> int:
        """Stride-2 layers between 4x4 and image_size: 4 for 64, 5 for 128, 6 for 256."""
        return int(math.log2(self.image_size)) - 2


def weights_init(m: nn.Module) -> None:
    """The tutorial's init: conv weights ~ N(0, 0.02); BatchNorm gain ~ N(1, 0.02), bias 0."""
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def _mults(cfg: DCGANConfig) -> list[int]:
    # feature-map multipliers from the 4x4 layer up: 64 -> [8, 4, 2, 1]; 128 -> [8, 8, 4, 2, 1]
    n = cfg.n_layers
    return [min(8, 2 ** (n - 1 - i)) for i in range(n)]


class Generator(nn.Module):
    """z ``(B, nz, 1, 1)`` (or ``(B, nz)``) -> image ``(B, 3, S, S)`` in [-1, 1]."""

    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        m = _mults(cfg)
        ngf = cfg.ngf
        layers: list[nn.Module] = [
            # input is Z: (nz) x 1 x 1, going into a convolution
            nn.ConvTranspose2d(cfg.nz, ngf * m[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * m[0]),
            nn.ReLU(True),
            # state size. (ngf*8) x 4 x 4
        ]
        for i in range(1, len(m)):
            layers += [
                nn.ConvTranspose2d(ngf * m[i - 1], ngf * m[i], 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * m[i]),
                nn.ReLU(True),
                # state size. (ngf*m[i]) x 2^(i+2) x 2^(i+2)
                # 64 px: (ngf*4) x 8 x 8, (ngf*2) x 16 x 16, (ngf) x 32 x 32
            ]
        layers += [
            nn.ConvTranspose2d(ngf * m[-1], cfg.nc, 4, 2, 1, bias=False),
            nn.Tanh(),
            # state size. (nc) x image_size x image_size (64 px: 3 x 64 x 64)
        ]
        self.main = nn.Sequential(*layers)
        self.apply(weights_init)

    def make_noise(
        self,
        batch: int,
        size: int | None = None,
        generator: torch.Generator | None = None,
        device: str | torch.device | None = None,
    ) -> dict[str, torch.Tensor]:
        """``{"z": (B, nz, 1, 1) ~ N(0, 1)}``; ``size`` must be ``None`` or ``image_size``."""
        if size is not None and size != self.cfg.image_size:
            raise ValueError(f"the DCGAN baseline renders only its native size {self.cfg.image_size}, not {size}")
        dev = device if device is not None else self.main[0].weight.device
        return {"z": torch.randn(batch, self.cfg.nz, 1, 1, generator=generator, device=dev)}

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """z ``(B, nz, 1, 1)`` -> ``(B, 3, S, S)`` in [-1, 1]; ``y`` is ignored (unconditional)."""
        if z.ndim == 2:
            z = z[:, :, None, None]
        return self.main(z)


class Discriminator(nn.Module):
    """image ``(B, 3, S, S)`` in [-1, 1] -> probability of "real" ``(B,)`` (Sigmoid).

    :meth:`logits` returns the same score before the Sigmoid; the trainer uses it with
    ``BCEWithLogits`` (identical maths, safe under bf16 autocast).
    """

    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        m = list(reversed(_mults(cfg)))  # 64px: [1, 2, 4, 8]
        ndf = cfg.ndf
        layers: list[nn.Module] = [
            # input is (nc) x S x S (64 px: 3 x 64 x 64)
            nn.Conv2d(cfg.nc, ndf * m[0], 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x S/2 x S/2
        ]
        for i in range(1, len(m)):
            layers += [
                nn.Conv2d(ndf * m[i - 1], ndf * m[i], 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * m[i]),
                nn.LeakyReLU(0.2, inplace=True),
                # state size. (ndf*m[i]) x S/2^(i+1) x S/2^(i+1)
                # 64 px: (ndf*2) x 16 x 16, (ndf*4) x 8 x 8, (ndf*8) x 4 x 4
            ]
        # (ndf*8) x 4 x 4 -> 1 x 1 x 1 (the score; the Sigmoid is in forward)
        layers += [nn.Conv2d(ndf * m[-1], 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)
        self.apply(weights_init)

    def logits(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Score before the Sigmoid, ``(B,)``; ``y`` (labels) is ignored (unconditional)."""
        return self.main(x).flatten(1).mean(1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return torch.sigmoid(self.logits(x, y))
