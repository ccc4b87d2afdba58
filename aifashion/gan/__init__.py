"""The pattern GANs: the PyTorch tutorial DCGAN (the baseline) and our seamlessly tileable,
class-conditional generator, from training to rendering.

One module per stage::

    models/       nn.Modules + their config dataclasses (dcgan, tileable, projected) and the MODELS
                  registry: "dcgan", "tileable", "tileable-projected" (our generator against a
                  projected discriminator on frozen ImageNet Lite0 features)
    augment.py    DiffAugment (colour, translation, cut-out) for what the discriminator sees
    train.py      TrainConfig + train_gan: one flat training loop, d_step / g_step (resumable, bf16, DDP;
                  the shared pieces in aifashion.training)
    recipes.py    RECIPES: named TrainConfig presets (the shipped phases, the baseline, ...); recipe_config
    checkpoint.py the checkpoint format, save / resume, random-stream states, config compatibility
    grow.py       add_zigzag_waves: grow a trained checkpoint (the shipped recipe's phase 3)
    runfiles.py   what a run writes beside its checkpoint (sample grids, loss log)
    export.py     the generator file format (safetensors + JSON): export_generator, save_generator
    generate.py   load_generator -> PatternGenerator.render (inference; never imports train)
    palette.py    recolor / parse_palette: a pattern in 2-4 chosen colours (post-processing)

Typical use::

    from aifashion.gan import load_generator
    load_generator().render("striped", seed=3, size=512)            # the shipped weights
    load_generator().render("dotted", seed=1, palette="#1b2a49,#f4e9d8")   # recoloured

    from aifashion.gan import TrainConfig, export_generator, recipe_config, train_gan
    res = train_gan(TrainConfig(out_dir="runs/gan", model="tileable", steps=2000))
    res = train_gan(recipe_config("tileable-1", out_dir="runs/gan"))   # a named recipe
    export_generator(res.checkpoint, "runs/gan/generator.safetensors")

Names are imported lazily, so ``from aifashion.gan import load_generator`` loads neither the
trainer nor the data pipeline. Experiments that were tried and not adopted (with the commits
that have their code) are listed in ``docs/experiments.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "MODELS",
    "build_model",
    "build_generator",
    "TrainConfig",
    "TrainResult",
    "train_gan",
    "RECIPES",
    "recipe_config",
    "add_zigzag_waves",
    "export_generator",
    "save_generator",
    "load_generator",
    "PatternGenerator",
    "diff_augment",
    "recolor",
    "parse_palette",
]

_WHERE = {
    "MODELS": "models",
    "build_model": "models",
    "build_generator": "models",
    "TrainConfig": "train",
    "TrainResult": "train",
    "train_gan": "train",
    "RECIPES": "recipes",
    "recipe_config": "recipes",
    "add_zigzag_waves": "grow",
    "export_generator": "export",
    "save_generator": "export",
    "load_generator": "generate",
    "PatternGenerator": "generate",
    "diff_augment": "augment",
    "recolor": "palette",
    "parse_palette": "palette",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
