"""Measure how a try-on keeps the garment's folds and drops its print, on product shots never used
in training (``labels/prints/validation.json``: plain garments, and printed ones with their print
marked as a box).

Each photo is segmented (the shipped segmenter), its mask refined to the photo's size, and a flat
grey tile composited with each shading; the fold/edge band of the result is compared with the
photo's (:func:`aifashion.metrics.tryon.band_agreement`) inside the garment eroded by 10 px (the
outline itself is in both and would flatter every method): on plain garments everywhere, on
printed ones inside the print box and outside it (the box grown by 8 px).

    python tools/evaluate_shading.py                       # prints a table, writes runs/shading.json
    python tools/evaluate_shading.py --shadings photo,intrinsic --out runs/shading.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from aifashion import paths
from aifashion.compose import refine_mask, try_on
from aifashion.compose.masks import feather8
from aifashion.imageio import open_image
from aifashion.metrics.tryon import band_agreement
from aifashion.segment import load_segmenter

REPO = Path(__file__).resolve().parents[1]
GREY = np.full((64, 64, 3), 128, np.uint8)


def erode(mask: np.ndarray, r: int) -> np.ndarray:
    """bool (H, W): pixels whose (2r+1)^2 window lies wholly inside ``mask``."""
    from aifashion.compose.refine import box_mean

    return box_mean(mask.astype(np.float32), r) > 1 - 1e-4


def box_region(shape: tuple[int, int], box: list[float], grow: int = 0) -> np.ndarray:
    H, W = shape
    x0, y0, x1, y1 = box
    out = np.zeros(shape, bool)
    out[max(0, int(y0 * H) - grow) : int(y1 * H) + grow, max(0, int(x0 * W) - grow) : int(x1 * W) + grow] = True
    return out


def measure(photo: np.ndarray, mask: np.ndarray, shading: str, regions: dict[str, np.ndarray]) -> dict:
    res = try_on(photo, mask, GREY, shading=shading).rgb
    return {name: band_agreement(res, photo, region) for name, region in regions.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--set", type=Path, default=REPO / "labels" / "prints" / "validation.json")
    ap.add_argument("--shadings", default="photo,folds,intrinsic")
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "shading.json")
    args = ap.parse_args()
    root = paths.data_root(args.data_dir)
    if root is None:
        raise SystemExit("set AIFASHION_DATA or pass --data-dir")
    spec = json.loads(args.set.read_text())
    seg = load_segmenter()
    shadings = args.shadings.split(",")
    rows = []
    items = [(pid, None) for pid in spec["plain"]] + list(spec["printed"].items())
    for pid, box in items:
        img = open_image(root / paths.CLOTHING_SMALL / f"{pid}.jpg")
        photo = np.asarray(img)
        mask = refine_mask(seg.predict(img).garment, img)
        a8, fbox = feather8((mask * 255 + 0.5).astype(np.uint8), None)
        full = np.zeros(photo.shape[:2], bool)
        if fbox is not None:
            y0, y1, x0, x1 = fbox
            full[y0:y1, x0:x1] = a8 == 255
        core = erode(full, 10)
        if box is None:
            regions = {"garment": core}
        else:
            regions = {"print": core & box_region(core.shape, box), "outside": core & ~box_region(core.shape, box, 8)}
        row = {"id": pid, "kind": "plain" if box is None else "printed"}
        for sh in shadings:
            row[sh] = measure(photo, mask, sh, regions)
        rows.append(row)
        print(pid, {sh: {k: round(v["corr"], 2) for k, v in row[sh].items()} for sh in shadings}, flush=True)
    summary = {}
    for sh in shadings:
        for kind, keys in (("plain", ["garment"]), ("printed", ["print", "outside"])):
            for key in keys:
                vals = [r[sh][key] for r in rows if r["kind"] == kind]
                summary[f"{sh}/{kind}/{key}"] = {
                    "corr": float(np.median([v["corr"] for v in vals])),
                    "contrast": float(np.median([v["contrast"] for v in vals])),
                }
    print(f"{'shading / garments / region':40s} {'corr':>6s} {'contrast':>9s}  (medians)")
    for k, v in summary.items():
        print(f"{k:40s} {v['corr']:6.3f} {v['contrast']:9.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
