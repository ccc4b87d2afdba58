"""``aifashion train-gan``: train the tutorial DCGAN or our tileable generator (resumes when interrupted).

Multi-GPU runs go through ``torchrun``; rank 0 prints and exports.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from aifashion.gan.export import export_generator
from aifashion.gan.train import TrainConfig, train_gan


def _kv(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    k, v = text.split("=", 1)
    try:
        return k, json.loads(v)
    except json.JSONDecodeError:
        return k, v


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        help="pattern folder (<dir>/<class>/<image>); default $AIFASHION_DATA/clothing-patterns-fingercamera",
    )
    p.add_argument(
        "--out-dir", required=True, help="checkpoints, losses, sample grids (resumes when a checkpoint is there)"
    )
    p.add_argument(
        "--model",
        default="tileable",
        help="dcgan (tutorial baseline), tileable (ours) or tileable-projected (ours against a projected "
        "discriminator on frozen ImageNet EfficientNet-Lite0 features)",
    )
    p.add_argument(
        "--model-config",
        type=_kv,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a model config field, e.g. ngf=32 (repeatable)",
    )
    p.add_argument("--classes", help="comma-separated class names (default: all)")
    p.add_argument("--max-per-class", type=int, default=None, help="use at most this many images per class")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--data-size", type=int, default=256)
    p.add_argument(
        "--scale",
        type=float,
        nargs=2,
        default=(0.35, 0.75),
        metavar=("LO", "HI"),
        help="crop side as a fraction of the photo, drawn per sample",
    )
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--lr-d", type=float, default=None)
    p.add_argument("--betas", type=float, nargs=2, default=(0.5, 0.999), metavar=("B1", "B2"), help="Adam betas")
    p.add_argument("--loss", choices=["bce", "hinge"], default="bce")
    p.add_argument(
        "--augment",
        default="",
        metavar="POLICY",
        help="DiffAugment for what the discriminator sees: comma-separated color, translation, cutout",
    )
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--device", default="auto")
    p.add_argument("--amp", choices=["auto", "bf16", "off"], default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ckpt-every", type=int, default=500)
    p.add_argument("--sample-every", type=int, default=500)
    p.add_argument("--num-threads", type=int, default=None)
    p.add_argument("--time-limit", type=float, default=None, help="stop (with a checkpoint) after this many seconds")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if out-dir holds a checkpoint")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--dry-run", action="store_true", help="tiny run: 2 steps, batch 4, 4 images per class")
    p.add_argument("--export", metavar="FILE.safetensors", help="export the EMA generator there after training")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` of parsed ``train-gan`` arguments (also used by
    ``bench/time_to_quality.py`` to run the recipes of ``tools/recipe.sh``)."""
    return TrainConfig(
        out_dir=args.out_dir,
        data_dir=args.data_dir,
        model=args.model,
        model_config=dict(args.model_config),
        classes=[c for c in args.classes.split(",") if c] if args.classes else None,
        image_size=args.image_size,
        max_per_class=args.max_per_class,
        data_size=args.data_size,
        scale=tuple(args.scale),
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        lr_d=args.lr_d,
        betas=tuple(args.betas),
        loss=args.loss,
        augment=args.augment,
        ema=args.ema,
        device=args.device,
        amp=args.amp,
        seed=args.seed,
        ckpt_every=args.ckpt_every,
        sample_every=args.sample_every,
        num_threads=args.num_threads,
        time_limit_s=args.time_limit,
        resume=not args.no_resume,
        progress=not args.no_progress,
        dry_run=args.dry_run,
    )


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
    return 0
