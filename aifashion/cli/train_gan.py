"""``aifashion train-gan``: train the tutorial DCGAN or our tileable generator (resumes when interrupted).

``--recipe NAME`` starts from a named recipe (:mod:`aifashion.gan.recipes`); every flag given
overrides it. Multi-GPU runs go through ``torchrun``; rank 0 prints and exports.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from typing import Any

from aifashion.gan.export import export_generator
from aifashion.gan.recipes import RECIPES, recipe_config
from aifashion.gan.train import TrainConfig, train_gan

S = argparse.SUPPRESS  # a flag not given leaves the recipe's (or the default) value


def _kv(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    k, v = text.split("=", 1)
    try:
        return k, json.loads(v)
    except json.JSONDecodeError:
        return k, v


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    p.add_argument("--recipe", default=None, help=f"start from a named recipe: {', '.join(RECIPES.names())}")
    p.add_argument(
        "--data-dir",
        default=S,
        help="pattern folder (<dir>/<class>/<image>); default $AIFASHION_DATA/clothing-patterns-fingercamera",
    )
    p.add_argument(
        "--out-dir", required=True, help="checkpoints, losses, sample grids (resumes when a checkpoint is there)"
    )
    p.add_argument(
        "--model",
        default=S,
        help=f"dcgan (tutorial baseline), tileable (ours) or tileable-projected (ours against a projected "
        f"discriminator on frozen ImageNet EfficientNet-Lite0 features); default {d.model}",
    )
    p.add_argument(
        "--model-config",
        type=_kv,
        action="append",
        default=S,
        metavar="KEY=VALUE",
        help="override a model config field, e.g. ngf=32 (repeatable)",
    )
    p.add_argument("--classes", default=S, help="comma-separated class names (default: all)")
    p.add_argument("--max-per-class", type=int, default=S, help="use at most this many images per class")
    p.add_argument("--image-size", type=int, default=S, help=f"training crop side (default {d.image_size})")
    p.add_argument("--data-size", type=int, default=S, help=f"photos are held at this side (default {d.data_size})")
    p.add_argument(
        "--scale", type=float, nargs=2, default=S, metavar=("LO", "HI"),
        help=f"crop side as a fraction of the photo, drawn per sample (default {d.scale[0]} {d.scale[1]})",
    )  # fmt: skip
    p.add_argument("--steps", type=int, default=S, help=f"default {d.steps}")
    p.add_argument("--batch-size", type=int, default=S, help=f"per process (default {d.batch_size})")
    p.add_argument("--lr", type=float, default=S, help=f"default {d.lr}")
    p.add_argument("--lr-d", type=float, default=S, help="the discriminator's (default: --lr)")
    p.add_argument("--betas", type=float, nargs=2, default=S, metavar=("B1", "B2"), help="Adam betas")
    p.add_argument("--loss", choices=["bce", "hinge"], default=S, help=f"default {d.loss}")
    p.add_argument(
        "--augment",
        default=S,
        metavar="POLICY",
        help="DiffAugment for what the discriminator sees: comma-separated color, translation, cutout",
    )
    p.add_argument("--ema-decay", type=float, default=S, help=f"default {d.ema_decay}")
    p.add_argument(
        "--cond-ramp", type=int, nargs=2, default=S, metavar=("START", "END"),
        help="train unconditionally up to step START, then ramp the class conditioning in to full at END "
        "(tileable model)",
    )  # fmt: skip
    p.add_argument(
        "--white-balance", action=argparse.BooleanOptionalAction, default=S,
        help="balance the photo set's colour as a whole (one gain per channel: the camera's cast out)",
    )  # fmt: skip
    p.add_argument("--device", default=S, help="auto (cuda if available), cpu, cuda")
    p.add_argument("--amp", choices=["auto", "bf16", "off"], default=S)
    p.add_argument("--seed", type=int, default=S)
    p.add_argument("--ckpt-every", type=int, default=S, help=f"default {d.ckpt_every}")
    p.add_argument("--sample-every", type=int, default=S, help=f"default {d.sample_every}")
    p.add_argument("--threads", type=int, default=S, help="torch CPU threads (default: leave)")
    p.add_argument(
        "--time-limit", type=float, default=S, dest="time_limit_s",
        help="stop (with a checkpoint) once the run's training time, across resumes, reaches this many seconds "
        "(0: no limit)",
    )  # fmt: skip
    p.add_argument(
        "--init-from", default=S, metavar="STATE_DIR",
        help="start from a compact state (written by --pack) when out-dir holds no checkpoint yet",
    )  # fmt: skip
    p.add_argument("--pack", metavar="STATE_DIR", help="after training, write the compact state there (G, EMA, D)")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if out-dir holds a checkpoint")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--dry-run", action="store_true", help="tiny run: 2 steps, batch 4, 4 images per class")
    p.add_argument("--export", metavar="FILE.safetensors", help="export the EMA generator there after training")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` of parsed ``train-gan`` arguments: the recipe's, then the flags given."""
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {k: v for k, v in vars(args).items() if k in fields}  # only the flags given (SUPPRESS)
    if hasattr(args, "model_config"):
        given["model_config"] = dict(args.model_config)
    if hasattr(args, "classes"):
        given["classes"] = [c for c in args.classes.split(",") if c] or None
    for k in ("scale", "betas", "cond_ramp"):
        if hasattr(args, k):
            given[k] = tuple(getattr(args, k))
    given["resume"] = not args.no_resume
    if args.no_progress:
        given["progress"] = False
    return recipe_config(args.recipe, **given)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    from aifashion.gan.models import MODELS

    MODELS.get(cfg.model)  # unknown model: exit 2 with the valid names
    res = train_gan(cfg)
    if int(os.environ.get("RANK", "0")) == 0:
        print(
            f"trained {cfg.model} to step {res.step} ({res.images_seen} images, {res.images_per_s:.1f} images/s); "
            f"checkpoint {res.checkpoint}"
        )
        if args.export:
            out = export_generator(res.checkpoint, args.export)
            print(f"exported {out}")
        if args.pack:
            from aifashion.gan.checkpoint import pack_checkpoint

            print(f"compact state {pack_checkpoint(res.checkpoint, args.pack)} (continue with --init-from)")
    return 0
