#!/usr/bin/env python
"""Model-card metrics for an exported generator, written as JSON.

Two subcommands::

    # train (or retrain) the pattern classifier the metrics use, on the six FingerCamera classes
    python tools/evaluate_generator.py train-classifier --out aifashion/weights/pattern_classifier.safetensors

    # evaluate one or more exported generators against the real photos
    python tools/evaluate_generator.py evaluate --generator aifashion/weights/generator.safetensors \
        --baseline runs/dcgan/generator.safetensors --out runs/eval/metrics.json

``evaluate`` renders ``--per-class`` samples of every class at ``--size`` (64, the training size)
with seeds 0..n-1 and reports, per generator: class fidelity (overall and per class) under the
classifier, KID (mean ± std) and Fréchet distance between real and generated classifier features,
the seam score of every sample (mean, median, per class), periodicity per class (median, and
its W1 distance to the real views' periodicity: regular geometry), and the real-vs-real reference values
(two disjoint halves of the real views) that say what "as good as real" looks like.
Real features come from random 64x64 views of every real photo (crop sides ``--real-scale`` of the
photo), the views the generator was trained on: one ``aifashion.metrics.RealReference``, the same
reference notebook 02 uses.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from aifashion import metrics as M
from aifashion.atomic import atomic_write_text
from aifashion.data.colour import folder_gains
from aifashion.paths import FINGERCAMERA, data_root


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs visible, torch {torch.__version__}, {torch.get_num_threads()} threads"


def _folder(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    root = data_root()
    if root is None:
        raise SystemExit("give --data or set AIFASHION_DATA")
    return root / FINGERCAMERA


def _named(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE, not {text!r}")
    return name, path


def cmd_train_classifier(args) -> int:
    folder = _folder(args.data)
    photos = M.load_real_patterns(folder, size=args.store_size)
    res = M.train_pattern_classifier(
        photos,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        crop_scale=tuple(args.crop_scale),
        seed=args.seed,
        device=args.device,
    )
    info = res.info()
    # accuracy at the generator's crop scale (data_size 256, scale 0.25..0.5), held-out photos only
    acc, per = M.view_accuracy(
        res.model,
        photos[0][res.heldout_index],
        photos[1][res.heldout_index],
        n_views=1000,
        scale=(0.25, 0.5),
        seed=args.seed,
    )
    info.update({"heldout_accuracy_gan_crops": acc, "per_class_accuracy_gan_crops": per})
    info.update(
        {
            "data": str(folder.name),
            "seed": args.seed,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "store_size": args.store_size,
            "crop_scale": list(args.crop_scale),
            "machine": machine(),
            "heldout_images": [int(i) for i in res.heldout_index],
        }
    )
    M.save_pattern_classifier(res.model, args.out, info)
    print(json.dumps({k: v for k, v in info.items() if k != "heldout_images"}, indent=2))
    return 0


def evaluate_files(paths: list[str], classifier, ref: M.RealReference, args, inception=None) -> dict:
    """Render and evaluate one export, or several single-class baseline exports pooled together.
    A path ``FILE@N`` renders with the best of N candidates by the file's critic."""
    from aifashion.gan.generate import load_generator

    xs, names, files, secs, conditional = [], [], [], 0.0, True
    for spec in paths:
        path, _, n = str(spec).partition("@") if spec else (None, "", "")
        gen = load_generator(path, device=args.device)
        t0 = time.perf_counter()
        cands = int(n) if n else None
        x, intended = M.render_for_evaluation(gen, args.per_class, args.size, seed=args.seed, candidates=cands)
        secs += time.perf_counter() - t0
        xs.append(x)
        conditional = conditional and intended is not None
        names += intended or []
        files.append({"file": str(path), "model": gen.model_name, "classes": list(gen.classes), "candidates": cands})
    out = ref.evaluate(
        classifier,
        torch.cat(xs),
        names if conditional else None,
        seed=args.seed,
        kid_subsets=args.kid_subsets,
        kid_subset_size=args.kid_subset_size,
    )
    if inception is not None:  # standard Inception KID / FID against the same real views
        net, real_inc = inception
        fake_inc = net(torch.cat(xs))
        k = M.kid(real_inc, fake_inc, subsets=args.kid_subsets, subset_size=args.kid_subset_size, seed=args.seed)
        out["inception"] = {"kid": {"mean": k[0], "std": k[1]}, "fid": M.frechet_distance(real_inc, fake_inc)}
    out["files"] = files
    out["seconds_per_sample"] = round(secs / max(1, out["n"]), 5)
    return out


def cmd_evaluate(args) -> int:
    classifier = M.load_pattern_classifier(args.classifier, device=args.device)
    ref = M.RealReference.build(
        classifier,
        _folder(args.data),
        n_views=args.real_views,
        scale=tuple(args.real_scale),
        size=args.size,
        per_class=args.per_class,
        photo_size=256,
        seed=args.seed,
        gains=folder_gains(_folder(args.data), 256) if args.white_balance else None,
    )
    ref_vs_ref = ref.real_vs_real(subsets=args.kid_subsets, subset_size=args.kid_subset_size)
    inception = None
    if args.inception:
        net = M.InceptionFeatures(device=args.device)
        x = torch.from_numpy(np.ascontiguousarray(ref.images)).permute(0, 3, 1, 2).contiguous()
        g = torch.Generator().manual_seed(args.seed)
        views, _ = M.random_views(x, args.real_views, args.size, g, scale=ref.scale, augment=False)
        inception = (net, net(views))
    info = getattr(classifier, "info", {})
    report = {
        "machine": machine(),
        "device": args.device,
        "classifier": str(args.classifier or M.CLASSIFIER_WEIGHTS),
        "classifier_heldout_accuracy": info.get("heldout_accuracy"),
        "classifier_per_class_heldout_accuracy": info.get("per_class_accuracy"),
        "samples_per_class": args.per_class,
        "seed": args.seed,
        "real_photos_balanced": bool(args.white_balance),
        "size": args.size,
        "real": {
            "views": len(ref.features),
            "scale": list(ref.scale),
            "real_vs_real_kid": {"mean": ref_vs_ref["kid"][0], "std": ref_vs_ref["kid"][1]},
            "real_vs_real_frechet_distance": ref_vs_ref["frechet_distance"],
            "periodicity_median_per_class": ref.periodicity_medians(),
        },
        "generators": {},
    }
    if args.generator or not args.baseline:
        ours = [args.generator] if args.generator else [None]
        report["generators"]["ours"] = evaluate_files(ours, classifier, ref, args, inception)
    for name, path in args.compare:
        report["generators"][name] = evaluate_files([path], classifier, ref, args, inception)
    if args.baseline:
        report["generators"]["baseline"] = evaluate_files(args.baseline, classifier, ref, args, inception)
    if inception is not None:
        real_inc = inception[1]
        half = len(real_inc) // 2
        k = M.kid(
            real_inc[:half], real_inc[half:], subsets=args.kid_subsets, subset_size=args.kid_subset_size, seed=args.seed
        )
        report["real"]["inception"] = {
            "real_vs_real_kid": {"mean": k[0], "std": k[1]},
            "real_vs_real_fid": M.frechet_distance(real_inc[:half], real_inc[half:]),
            "weights": str(inception[0].path),
        }
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train-classifier", help="train the pattern classifier on real photos")
    t.add_argument("--data", help="pattern folder (default $AIFASHION_DATA/clothing-patterns-fingercamera)")
    t.add_argument("--out", type=Path, default=M.CLASSIFIER_WEIGHTS)
    t.add_argument("--steps", type=int, default=600)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--store-size", type=int, default=192)
    t.add_argument("--crop-scale", type=float, nargs=2, default=(0.2, 1.0))
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="cpu")
    t.set_defaults(fn=cmd_train_classifier)
    e = sub.add_parser("evaluate", help="metrics of exported generators against the real photos")
    e.add_argument(
        "--generator",
        help="our exported generator (.safetensors); default: the shipped one, evaluated unless --baseline is "
        "given without --generator",
    )
    e.add_argument(
        "--baseline",
        nargs="+",
        help="exported baseline generator(s): one unconditional export, or one "
        "single-class export per class (a per-class DCGAN), pooled",
    )
    e.add_argument(
        "--compare",
        type=_named,
        action="append",
        default=[],
        metavar="NAME=FILE[@N]",
        help="evaluate another export under NAME too (repeatable), e.g. an ablation arm; @N: the best of N "
        "candidates by its critic",
    )
    e.add_argument(
        "--white-balance",
        action="store_true",
        help="balance the real photos with the set's grey-world gains (for exports with colour_gains)",
    )
    e.add_argument(
        "--inception",
        action="store_true",
        help="also standard Inception KID / FID (needs pip install 'aifashion[inception]'; never downloads)",
    )
    e.add_argument("--classifier", help="classifier .safetensors (default: the shipped one)")
    e.add_argument("--data", help="pattern folder (default $AIFASHION_DATA/clothing-patterns-fingercamera)")
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--per-class", type=int, default=100)
    e.add_argument("--size", type=int, default=64)
    e.add_argument("--real-views", type=int, default=1200)
    e.add_argument("--real-scale", type=float, nargs=2, default=(0.25, 0.5))
    e.add_argument("--kid-subsets", type=int, default=100)
    e.add_argument("--kid-subset-size", type=int, default=500)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--device", default="cpu")
    e.set_defaults(fn=cmd_evaluate)
    for sp in (t, e):
        sp.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
