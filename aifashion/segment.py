"""Cloth segmentation: which pixels of a photo are garment, which are person, which background.

Public API (implementation in :mod:`aifashion.segmentation`):

- ``SEGMENTERS``: registry of ``'aifashion-ccp'`` (ours: smp Unet, 3 classes -- background,
  person-but-not-garment, garment -- trained from scratch by this package on Clothing
  Co-Parsing) and ``'ternaus-2020-10-30'`` (reference: binary smp Unet with a
  timm-efficientnet-b3 encoder, weights from its GitHub release, sha256-checked: pinned in
  ``TERNAUS_SHA256`` once known, until then recorded on first download and verified after;
  we run it with the longest side at 640 px; its person mask equals its garment mask).
- ``load_segmenter(name="aifashion-ccp", weights=None, device="cpu") -> Segmenter``.
- ``Segmenter.predict(image) -> Masks(garment, person)``: float32 (H, W) in [0, 1] at the input
  size; ``predict_batch(images)``.
- ``train_segmenter(...)``, ``evaluate(...)``, ``export_checkpoint(...)``, ``overlay(image, masks)``.
- ``GARMENT_LABELS``, ``PERSON_LABELS``: the CCP label ids of each group.
- CLI: ``aifashion segment IMAGE --out MASK.png`` and ``aifashion train-segmenter``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from aifashion.models.segmenter import SegmenterConfig, build_segmenter
from aifashion.segmentation.data import (
    CLASS_NAMES, GARMENT_LABELS, PERSON_LABELS, AugmentConfig, ccp_split, group_lut,
)
from aifashion.segmentation.predict import (
    SEGMENTERS, SHIPPED_WEIGHTS, TERNAUS_SHA256, TERNAUS_URL, Masks, Segmenter, download_ternaus_weights,
    export_segmenter, load_segmenter, overlay, preprocess, read_ternaus_zip,
)
from aifashion.segmentation.train import (
    SegTrainConfig, SegTrainResult, evaluate, export_checkpoint, train_segmenter,
)

__all__ = [
    "SEGMENTERS", "load_segmenter", "Segmenter", "Masks", "train_segmenter", "evaluate", "export_checkpoint",
    "export_segmenter", "SegmenterConfig", "SegTrainConfig", "SegTrainResult", "AugmentConfig",
    "GARMENT_LABELS", "PERSON_LABELS", "CLASS_NAMES", "ccp_split", "group_lut", "download_ternaus_weights",
    "read_ternaus_zip", "preprocess", "overlay", "SHIPPED_WEIGHTS", "TERNAUS_URL", "TERNAUS_SHA256", "build_segmenter",
]


# ---------------------------------------------------------------- aifashion segment
def cli_segment_add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image", help="a photo (JPEG/PNG/WebP...)")
    p.add_argument("--out", required=True, help="where to write the garment mask PNG (0/255, input size)")
    p.add_argument("--model", default="aifashion-ccp", help=f"segmenter name ({', '.join(SEGMENTERS.names())})")
    p.add_argument("--weights", default=None, help="weights file (default: shipped / downloaded)")
    p.add_argument("--threshold", type=float, default=0.5, help="garment probability threshold (0..1)")
    p.add_argument("--device", default="cpu")


def cli_segment_run(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from aifashion.atomic import atomic_save
    from aifashion.imageio import open_image

    if not 0.0 <= args.threshold <= 1.0:
        raise ValueError("--threshold must be between 0 and 1")
    img = open_image(args.image)
    seg = load_segmenter(args.model, weights=args.weights, device=args.device)
    m = seg.predict(img)
    mask = np.where(m.garment > args.threshold, 255, 0).astype(np.uint8)
    out = Path(args.out)
    atomic_save(out, lambda p: Image.fromarray(mask, "L").save(p, format="PNG"))
    print(f"{out}: {img.width}x{img.height}, garment {100 * (mask > 0).mean():.1f}% of pixels")
    return 0


# ---------------------------------------------------------------- aifashion train-segmenter
def cli_train_add_arguments(p: argparse.ArgumentParser) -> None:
    d, t = SegmenterConfig(), SegTrainConfig()
    p.add_argument("--data-dir", default=None, help="data root holding clothing-co-parsing (default $AIFASHION_DATA)")
    p.add_argument("--out-dir", required=True, help="run folder (last.pt, history); resumed if present")
    p.add_argument("--steps", type=int, default=t.steps)
    p.add_argument("--batch-size", type=int, default=t.batch_size)
    p.add_argument("--lr", type=float, default=t.lr)
    p.add_argument("--input-size", type=int, default=d.input_size, help="longest side in pixels")
    p.add_argument("--encoder", default=d.encoder_name)
    p.add_argument("--decoder-channels", default=",".join(map(str, d.decoder_channels)))
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


def cli_train_run(args: argparse.Namespace) -> int:
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
    mcfg = SegmenterConfig(encoder_name=args.encoder, encoder_depth=len(dec), decoder_channels=dec,
                           input_size=args.input_size)
    tcfg = SegTrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                          eval_every=args.eval_every, eval_images=args.eval_images, ckpt_every=args.ckpt_every,
                          max_train=args.max_train, threads=args.threads, bf16=False if args.no_bf16 else None)
    res = train_segmenter(ccp, args.out_dir, mcfg, tcfg, fabric_dir=fabric, device=args.device,
                          log=lambda s: print(s, flush=True), stop_file=args.stop_file)
    print(json.dumps({"checkpoint": str(res.checkpoint), "step": res.step,
                      "val_iou": res.metrics["iou"] if res.metrics else None}))
    if args.export:
        export_checkpoint(res.checkpoint, args.export, {"val_iou": res.metrics["iou"] if res.metrics else None})
        print(f"exported {args.export}")
    return 0
