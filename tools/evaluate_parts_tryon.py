"""Measure ``aifashion tryon --parts PART`` on street photos never used in training (the CCP
validation split): does the pattern land on the chosen garment, and only there?

For each validation photo whose true PART covers at least 2% of it, the command itself runs
(``aifashion tryon --parts PART`` with a striped tile, the segmenter of ``--segmenter-weights``)
and the pixels it changed are compared with the photo's label:

- precision: the share of changed pixels inside the true PART grown by 8 px (a soft edge may
  spill a few pixels; the bar is >= 0.9);
- coverage: the share of the true PART's pixels that changed (the bar is >= 0.8).

    python tools/evaluate_parts_tryon.py --part bottom --out runs/parts_tryon.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from aifashion import paths
from aifashion.cli import main as cli
from aifashion.segment.data import PART_IDS, ccp_split, load_ccp_pair

STRIPES = np.zeros((24, 24, 3), np.uint8)
STRIPES[:] = (235, 225, 200)
STRIPES[:, :8] = (30, 40, 120)


def dilate(m: np.ndarray, r: int) -> np.ndarray:
    from aifashion.compose.refine import box_mean

    return box_mean(m.astype(np.float32), r) > 1e-6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="bottom", choices=list(PART_IDS))
    ap.add_argument("--segmenter-weights", type=Path, default=None, help="default: the shipped segmenter")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--limit", type=int, default=None, help="at most this many photos")
    ap.add_argument("--out", type=Path, default=None, help="write the per-photo figures as JSON")
    args = ap.parse_args()
    ccp = paths.data_root(args.data_dir) / "clothing-co-parsing"
    _, val = ccp_split(ccp)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pattern = Path(tmp) / "stripes.png"
        Image.fromarray(STRIPES).save(pattern)
        for pid in val:
            photo, labels = load_ccp_pair(ccp, pid, parts=True)
            truth = labels == PART_IDS[args.part]
            if truth.mean() < 0.02:
                continue
            out = Path(tmp) / f"{pid}.png"
            argv = ["tryon", "--garment", str(ccp / "photos" / f"{pid}.jpg"), "--pattern", str(pattern)]
            argv += ["--parts", args.part, "--out", str(out)]
            if args.segmenter_weights is not None:
                argv += ["--segmenter-weights", str(args.segmenter_weights)]
            if cli(argv) != 0:
                raise SystemExit(f"tryon failed on {pid}")
            changed = (np.asarray(Image.open(out)) != np.asarray(photo)).any(axis=2)
            n = int(changed.sum())
            precision = float((changed & dilate(truth, 8)).sum() / n) if n else 0.0
            coverage = float((changed & truth).sum() / truth.sum())
            rows.append({"photo": pid, "precision": round(precision, 4), "coverage": round(coverage, 4)})
            print(f"{pid}: precision {precision:.3f} coverage {coverage:.3f}", flush=True)
            if args.limit and len(rows) >= args.limit:
                break
    p = np.array([r["precision"] for r in rows])
    c = np.array([r["coverage"] for r in rows])
    summary = {
        "part": args.part,
        "photos": len(rows),
        "precision_median": round(float(np.median(p)), 4),
        "coverage_median": round(float(np.median(c)), 4),
        "precision_mean": round(float(p.mean()), 4),
        "coverage_mean": round(float(c.mean()), 4),
    }
    print(json.dumps(summary))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"summary": summary, "photos": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
