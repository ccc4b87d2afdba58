"""``aifashion train-segmenter``: train the cloth segmenter on Clothing Co-Parsing (resumable)."""
from __future__ import annotations

import argparse
import json

from aifashion.segment import SegmenterConfig, SegTrainConfig, export_checkpoint, train_segmenter

def add_arguments(p: argparse.ArgumentParser) -> None:
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
