"""Train, export and document the shipped cloth segmenter (aifashion/weights/segmenter.*).

Usage (from the repository root, data in $AIFASHION_DATA):

    # 1. train in the background, resumable (run the same line again to resume); 1 CPU thread
    setsid nohup .venv/bin/python tools/train_shipped_segmenter.py train --run runs/seg > runs/seg/log.txt 2>&1 &
    # 2. stop gracefully at any time (the run checkpoints first)
    touch runs/seg/STOP
    # 3. evaluate the EMA weights on all 100 validation photos, export fp16 safetensors + JSON,
    #    and save an overlay figure on product shots (clothing-dataset-small)
    .venv/bin/python tools/train_shipped_segmenter.py export --run runs/seg

On a GPU pass ``--device cuda --threads 0 --input-size 384 --batch-size 32``.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aifashion import paths  # noqa: E402
from aifashion.segment.model import SegmenterConfig  # noqa: E402

#: the shipped model: resnet18 encoder, slim decoder -> 12.1M parameters, 24.2 MB in fp16
MODEL = dict(encoder_name="resnet18", encoder_depth=5, decoder_channels=(96, 48, 32, 16, 16))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("phase", choices=["train", "export"])
    ap.add_argument("--run", type=Path, default=REPO / "runs" / "seg")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--steps", type=int, default=3100)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--input-size", type=int, default=192)
    ap.add_argument("--eval-every", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=paths.WEIGHTS_DIR / "segmenter.safetensors")
    args = ap.parse_args()
    root = paths.data_root(args.data_dir)
    if root is None:
        raise SystemExit("set AIFASHION_DATA or pass --data-dir")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from aifashion.segment import SegTrainConfig, evaluate, export_checkpoint, load_segmenter, overlay, train_segmenter

    ccp = root / paths.CCP
    if args.phase == "train":
        mcfg = SegmenterConfig(**MODEL, input_size=args.input_size)
        tcfg = SegTrainConfig(steps=args.steps, batch_size=args.batch_size, eval_every=args.eval_every,
                              ckpt_every=50, threads=args.threads or None)
        res = train_segmenter(ccp, args.run, mcfg, tcfg, fabric_dir=root / paths.FINGERCAMERA, device=args.device,
                              log=lambda s: print(time.strftime("%H:%M:%S"), s, flush=True),
                              stop_file=args.run / "STOP", progress=False)
        print(json.dumps({"step": res.step, "val_iou": res.metrics["iou"] if res.metrics else None}), flush=True)
        return 0
    ckpt = args.run / "last.pt"
    seg = load_segmenter(weights=ckpt, device=args.device)
    t0 = time.time()
    metrics = evaluate(seg, ccp)
    eval_s = time.time() - t0
    print(json.dumps(metrics), flush=True)
    info = {
        "val_iou": metrics["iou"], "val_images": metrics["images"], "val_ids": metrics["ids"],
        "label_grouping": "see aifashion/segmentation/data.py GARMENT_LABELS / PERSON_LABELS",
        "hardware": f"{platform.processor() or platform.machine()}, torch threads {args.threads}",
        "exported": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    from aifashion.segment.data import GARMENT_LABELS, PERSON_LABELS

    info["garment_label_ids"] = sorted(GARMENT_LABELS)
    info["person_label_ids"] = sorted(PERSON_LABELS)
    out = export_checkpoint(ckpt, args.out, info)
    # evaluate the fp16 file itself, and record that too
    info["val_iou_fp16_file"] = evaluate(load_segmenter(weights=out, device=args.device), ccp)["iou"]
    out = export_checkpoint(ckpt, args.out, info)
    print(f"exported {out} ({out.stat().st_size / 1e6:.2f} MB); evaluation took {eval_s:.0f}s; "
          f"fp16 file: {json.dumps(info['val_iou_fp16_file'])}")
    # qualitative: product shots (no masks exist for them)
    from aifashion.garments import sample_photos

    import numpy as np
    from PIL import Image

    small = root / paths.CLOTHING_SMALL / "validation"
    photos = sorted(sample_photos(small))
    rng = np.random.default_rng(0)
    pick = [photos[i] for i in sorted(rng.choice(len(photos), min(12, len(photos)), replace=False))]
    shipped = load_segmenter(weights=out)
    tiles = []
    for p in pick:
        img = Image.open(p).convert("RGB")
        tiles.append(overlay(img, shipped.predict(img)).resize((200, 267)))
    sheet = Image.new("RGB", (200 * 6, 267 * ((len(tiles) + 5) // 6)), "white")
    for i, t in enumerate(tiles):
        sheet.paste(t, (200 * (i % 6), 267 * (i // 6)))
    sheet.save(args.run / "product_shots_overlay.png")
    (args.run / "product_shots.txt").write_text("\n".join(str(p) for p in pick) + "\n")
    print(f"overlay figure {args.run / 'product_shots_overlay.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
