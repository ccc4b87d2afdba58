"""Named training recipes of the generators: each a small set of :class:`~aifashion.gan.train.TrainConfig`
overrides (experiments as configs, not code). ``aifashion train-gan --recipe NAME`` starts from one
and explicit flags override it; tools, benches and notebooks read the same presets.

The shipped tileable generator is three phases in one run folder, each resuming the last
(the time limits count the run's whole training time)::

    aifashion train-gan --recipe tileable-1 --out-dir runs/gan
    aifashion train-gan --recipe tileable-2 --out-dir runs/gan   # + DiffAugment
    aifashion train-gan --recipe tileable-3 --out-dir runs/gan --export aifashion/weights/generator.safetensors
                                                                 # grown by 8 zigzag waves first

Every command runs in the foreground and may be repeated after an interruption: it continues
from the folder's checkpoint (``tileable-3`` grows the checkpoint only while it has no waves).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aifashion.registry import Registry

__all__ = ["GanRecipe", "RECIPES", "recipe_config", "CROPS", "DIFFAUGMENT"]

#: the training crops of every recipe: 0.35-0.75 of a photo held at 256 px, resized to 64x64
CROPS = {"image_size": 64, "data_size": 256, "scale": (0.35, 0.75)}
#: DiffAugment for everything the discriminator sees
DIFFAUGMENT = "color,translation,cutout"
_LONG = {"steps": 100_000, "ckpt_every": 200, "sample_every": 200, "threads": 1, "seed": 0}


@dataclass(frozen=True)
class GanRecipe:
    """One recipe: ``config`` overrides :class:`~aifashion.gan.train.TrainConfig`'s defaults."""

    about: str
    config: dict = field(default_factory=dict)


RECIPES: Registry[GanRecipe] = Registry("generator recipe")
_ONE = {"model": "tileable", "loss": "hinge", **CROPS, "batch_size": 32, **_LONG}
RECIPES.add(
    "tileable-1", lambda: GanRecipe("shipped generator, phase 1: tileable, hinge", {**_ONE, "time_limit_s": 5100})
)
RECIPES.add(
    "tileable-2",
    lambda: GanRecipe("phase 2: + DiffAugment", {**_ONE, "augment": DIFFAUGMENT, "time_limit_s": 10800}),
)
RECIPES.add(
    "tileable-3",
    lambda: GanRecipe(
        "phase 3: grown by 8 zigzag waves",
        {**_ONE, "augment": DIFFAUGMENT, "model_config": {"n_zigzags": 8}, "time_limit_s": 16778, "grow_waves": True},
    ),
)
RECIPES.add(
    "tileable-once",
    lambda: GanRecipe(
        "the shipped config in one phase from scratch (8 zigzag waves, DiffAugment)",
        {
            "model": "tileable",
            "loss": "hinge",
            **CROPS,
            "augment": DIFFAUGMENT,
            "model_config": {"n_zigzags": 8},
            "batch_size": 32,
        },
    ),  # fmt: skip
)
RECIPES.add(
    "tileable-ramp",
    lambda: GanRecipe(
        "tileable-once with the class conditioning ramped in (unconditional for 1,000 steps, full at 4,000)",
        {
            "model": "tileable",
            "loss": "hinge",
            **CROPS,
            "augment": DIFFAUGMENT,
            "model_config": {"n_zigzags": 8},
            "batch_size": 32,
            "cond_ramp": (1000, 4000),
            **_LONG,
            "threads": 2,
        },
    ),  # fmt: skip
)
RECIPES.add(
    "dcgan",
    lambda: GanRecipe(
        "the tutorial DCGAN baseline (unconditional, non-saturating BCE) on the same crops",
        {"model": "dcgan", "loss": "bce", **CROPS, "batch_size": 64, **_LONG, "time_limit_s": 3000},
    ),
)
RECIPES.add(
    "projected",
    lambda: GanRecipe(
        "the tileable generator against a projected discriminator on frozen ImageNet Lite0 features",
        {
            "model": "tileable-projected",
            "loss": "hinge",
            **CROPS,
            "augment": DIFFAUGMENT,
            "model_config": {"n_zigzags": 8, "proj_size": 64},
            "batch_size": 32,
            **_LONG,
            "steps": 1_000_000,
            "ckpt_every": 100,
            "sample_every": 100,
            "threads": 2,
            "time_limit_s": 3600,
        },
    ),  # fmt: skip
)


def recipe_config(name: str | None = None, **overrides):
    """The :class:`~aifashion.gan.train.TrainConfig` of recipe ``name`` (None: the defaults) with
    ``overrides`` on top (``model_config`` entries are merged). Unknown names raise
    :class:`~aifashion.registry.UnknownNameError` listing the valid ones."""
    from aifashion.gan.train import TrainConfig

    base = dict(RECIPES.get(name)().config) if name else {}
    mc = {**base.pop("model_config", {}), **overrides.pop("model_config", {})}
    return TrainConfig(**{**base, **overrides, "model_config": mc})
