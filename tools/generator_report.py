#!/usr/bin/env python
"""Facts for a generator's model card: previews, seam scores, render times, file size.

    python tools/generator_report.py --weights aifashion/weights/generator.safetensors --out runs/gan/report

Writes ``OUT/preview.png`` (one row per class, ``--seeds`` columns, ``--size`` px each),
``OUT/tiled_<class>.png`` (a 2x2 tiling of one pattern, to look for seams by eye) and
``OUT/report.json``; prints the JSON. Timings are medians on this machine, whatever else runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from aifashion.gan.generate import load_generator
from aifashion.metrics import seam_score

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", default=None, help="export (default: the shipped one)")
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--big", type=int, default=2048)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gen = load_generator(args.weights)
    size = args.size if gen.native_size is None else gen.native_size
    rows, seams = [], {}
    for c in gen.classes:
        imgs = gen.render_batch([c] * args.seeds, list(range(args.seeds)), size)
        seams[c] = round(float(np.mean([seam_score(i) for i in imgs])), 3)
        rows.append(np.concatenate([np.asarray(i) for i in imgs], 1))
        tile = np.asarray(imgs[0])
        Image.fromarray(np.tile(tile, (2, 2, 1))).save(out / f"tiled_{c}.png")
    Image.fromarray(np.concatenate(rows, 0)).save(out / "preview.png")
    report = {
        "weights": str(args.weights or "shipped"),
        "model": gen.model_name,
        "bf16": gen.bf16,
        "threads": torch.get_num_threads(),
        "seam_score_mean_per_class": seams,
        "file_bytes": Path(args.weights or REPO / "aifashion/weights/generator.safetensors").stat().st_size,
    }
    if gen.native_size is None:
        c = gen.classes[0]
        gen.render(c, 0, 256)
        times = []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            gen.render(c, r, 256)
            times.append(time.perf_counter() - t0)
        report["render_256_ms_median"] = round(statistics.median(times) * 1000, 1)
        report["render_256_ms_min"] = round(min(times) * 1000, 1)
        t0 = time.perf_counter()
        big = gen.render(c, 1, args.big)
        report[f"render_{args.big}_s"] = round(time.perf_counter() - t0, 2)
        report[f"seam_score_{args.big}"] = round(seam_score(big), 3)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
