"""GAN models: the tutorial DCGAN baseline and our tileable class-conditional generator.

``MODELS`` maps a model name to a factory ``factory(**config_fields) -> GANPair``; an unknown
name raises :class:`aifashion.registry.UnknownNameError` listing the valid names. Both
generators share a small calling convention the trainer and :mod:`aifashion.gan.generate` use::

    noise = G.make_noise(batch, size, generator)   # dict of tensors
    images = G(**noise, y=labels)                   # (B, 3, size, size) in [-1, 1]
    score = D.logits(images, labels)                # (B,) realness logits
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch.nn as nn

from aifashion.gan.models.dcgan import DCGANConfig, Discriminator, Generator
from aifashion.gan.models.tileable import ProjectionDiscriminator, TileableConfig, TileableGenerator
from aifashion.registry import Registry


@dataclass
class GANPair:
    """A model name, its config and freshly initialised nets."""

    name: str
    config: Any
    generator: nn.Module
    discriminator: nn.Module


def _check_fields(cls, kwargs: dict) -> None:
    valid = {f.name for f in fields(cls)}
    unknown = sorted(set(kwargs) - valid)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} field(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")


MODELS: Registry[GANPair] = Registry("model")
CONFIGS: dict[str, type] = {"dcgan": DCGANConfig, "tileable": TileableConfig}


@MODELS.register("dcgan")
def build_dcgan(**config: Any) -> GANPair:
    """The PyTorch tutorial DCGAN (``DCGANConfig`` fields as keyword arguments)."""
    _check_fields(DCGANConfig, config)
    cfg = DCGANConfig(**config)
    return GANPair("dcgan", cfg, Generator(cfg), Discriminator(cfg))


@MODELS.register("tileable")
def build_tileable(**config: Any) -> GANPair:
    """Our tileable class-conditional generator + projection discriminator (``TileableConfig`` fields)."""
    _check_fields(TileableConfig, config)
    cfg = TileableConfig(**config)
    return GANPair("tileable", cfg, TileableGenerator(cfg), ProjectionDiscriminator(cfg))


def build_model(name: str, **config: Any) -> GANPair:
    """``MODELS.get(name)(**config)``."""
    return MODELS.get(name)(**config)


def build_generator(name: str, config: dict) -> nn.Module:
    """Rebuild only the generator from a saved ``asdict(config)`` (exports carry no discriminator)."""
    MODELS.get(name)  # clear error for an unknown name
    cls = CONFIGS[name]
    _check_fields(cls, config)
    cfg = cls(**config)
    return Generator(cfg) if name == "dcgan" else TileableGenerator(cfg)


__all__ = [
    "MODELS", "CONFIGS", "GANPair", "build_model", "build_generator", "asdict",
    "DCGANConfig", "Generator", "Discriminator",
    "TileableConfig", "TileableGenerator", "ProjectionDiscriminator",
]
