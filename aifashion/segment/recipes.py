"""Named training recipes of the cloth segmenter: model-config and train-config overrides
(experiments as configs, not code). ``aifashion train-segmenter --recipe NAME`` starts from one and
explicit flags override it; tools and notebooks read the same presets.

The shipped ``aifashion-lite0`` segmenter, every command in the foreground and resumable (run it
again after an interruption: it continues from RUN/last.pt)::

    P="--products labels/product-masks"    # the labelled product shots (committed)
    aifashion train-segmenter --recipe lite0-320 --out-dir runs/seg $P --steps 1200
    aifashion train-segmenter --recipe lite0-320 --out-dir runs/seg $P                # to 3600 steps
    aifashion train-segmenter --recipe lite0-448 --out-dir runs/seg448 $P --init-from runs/seg/last.pt
    python tools/train_shipped_segmenter.py export --run runs/seg448 --predict-size 512

(the shipped run's first stage was trained to 1,200 steps and then resumed with the 3,600-step
schedule, whose cosine restarts at its third). The garment-parts stage starts from the shipped file::

    aifashion train-segmenter --recipe parts-448 --out-dir runs/parts $P
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aifashion.paths import WEIGHTS_DIR
from aifashion.registry import Registry

__all__ = ["SegRecipe", "RECIPES", "recipe_configs"]


@dataclass(frozen=True)
class SegRecipe:
    """One recipe: ``model`` overrides :class:`~aifashion.segment.model.SegmenterConfig`'s fields,
    ``train`` :class:`~aifashion.segment.train.SegTrainConfig`'s."""

    about: str
    model: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    needs_init: bool = False  # starts from a trained segmenter: ``init_from`` must be given


def _lite0() -> dict:
    from aifashion.backbones import LITE_MEAN, LITE_STD

    return {
        "encoder_name": "tu-tf_efficientnet_lite0",
        "encoder_depth": 5,
        "decoder_channels": (64, 48, 32, 16, 16),
        "mean": LITE_MEAN,  # the EfficientNet-Lite weights' input statistics
        "std": LITE_STD,
    }


def _parts() -> dict:
    from aifashion.segment.data import PARTS_CLASS_NAMES

    return {"classes": len(PARTS_CLASS_NAMES), "class_names": PARTS_CLASS_NAMES}


_RUN = {"batch_size": 8, "warmup": 50, "eval_images": 40, "ckpt_every": 50, "threads": 2}
RECIPES: Registry[SegRecipe] = Registry("segmenter recipe")
RECIPES.add(
    "lite0-320",
    lambda: SegRecipe(
        "the shipped segmenter, stage 1: ImageNet Lite0 encoder, 320 px",
        {**_lite0(), "input_size": 320},
        {**_RUN, "pretrained": "lite0", "encoder_lr": 5e-4, "steps": 3600, "eval_every": 300},
    ),
)
RECIPES.add(
    "lite0-448",
    lambda: SegRecipe(
        "stage 2: 448 px from stage 1's EMA weights (--init-from RUN/last.pt)",
        {**_lite0(), "input_size": 448},
        {**_RUN, "steps": 2000, "lr": 1e-3, "encoder_lr": 2.5e-4, "eval_every": 400},
        needs_init=True,
    ),
)
RECIPES.add(
    "parts-448",
    lambda: SegRecipe(
        "garment parts (top, outer, bottom, full) from the shipped 3-class file, its garment logit split",
        {**_lite0(), **_parts(), "input_size": 448},
        {
            **_RUN,
            "steps": 2000,
            "lr": 1e-3,
            "encoder_lr": 2e-4,
            "eval_every": 500,
            "init_from": str(WEIGHTS_DIR / "segmenter_lite0.safetensors"),
        },
    ),  # fmt: skip
)
RECIPES.add(
    "scratch-resnet18",
    lambda: SegRecipe("a resnet18 Unet from random weights", {"encoder_name": "resnet18", "input_size": 320}),
)


def recipe_configs(name: str | None = None, model: dict | None = None, train: dict | None = None):
    """(SegmenterConfig, SegTrainConfig) of recipe ``name`` (None: the defaults) with
    ``model`` / ``train`` overrides on top. Unknown names raise
    :class:`~aifashion.registry.UnknownNameError` listing the valid ones."""
    from aifashion.segment.model import SegmenterConfig
    from aifashion.segment.train import SegTrainConfig

    r = RECIPES.get(name)() if name else SegRecipe("defaults")
    if r.needs_init and not {**r.train, **(train or {})}.get("init_from"):
        raise ValueError(f"recipe {name} starts from a trained segmenter: give init_from (--init-from RUN/last.pt)")
    return SegmenterConfig(**{**r.model, **(model or {})}), SegTrainConfig(**{**r.train, **(train or {})})
