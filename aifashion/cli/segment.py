"""``aifashion segment``: write the garment mask of one or many photos (0/255 PNG at each photo's size),
or with ``--parts`` their garment parts (PNG of ids at each photo's size: 0 background, 1 person
not garment, 2 top, 3 outer, 4 bottom, 5 full-body).

aifashion segment photo.jpg --out mask.png
aifashion segment photos/*.jpg --out-dir masks/      # masks/<photo stem>.png, the model loaded once
aifashion segment photos/*.jpg --parts --out-dir parts/
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aifashion.segment import DEFAULT_SEGMENTER, SEGMENTERS, load_segmenter


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("images", nargs="+", metavar="PHOTO", help="photos (JPEG/PNG/WebP...)")
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", help="the mask PNG of a single photo")
    out.add_argument("--out-dir", help="folder for the masks of many photos: DIR/<photo stem>.png")
    p.add_argument("--model", default=DEFAULT_SEGMENTER, help=f"segmenter name ({', '.join(SEGMENTERS.names())})")
    p.add_argument("--weights", default=None, help="weights file (default: shipped / downloaded)")
    p.add_argument("--threshold", type=float, default=0.5, help="garment probability threshold (0..1)")
    p.add_argument(
        "--parts",
        action="store_true",
        help="write part ids (0 background, 1 person, 2 top, 3 outer, 4 bottom, 5 full) instead of 0/255",
    )
    p.add_argument("--device", default="cpu")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from aifashion.atomic import atomic_save
    from aifashion.imageio import open_image

    if not 0.0 <= args.threshold <= 1.0:
        raise ValueError("--threshold must be between 0 and 1")
    if args.out and len(args.images) > 1:
        raise ValueError(f"--out takes one photo, not {len(args.images)}; use --out-dir DIR for many")
    stems = [Path(p).stem for p in args.images]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if args.out_dir and dupes:
        raise ValueError(f"photos with the same name would write the same mask: {', '.join(dupes)}")
    import sys

    from aifashion.imageio import ImageError

    single = open_image(args.images[0]) if args.out else None  # one bad photo: exit 2 before loading the model
    seg = load_segmenter(args.model, weights=args.weights, device=args.device)
    if args.parts and not seg.part_names:
        raise ValueError(f"segmenter {args.model!r} tells no garment parts apart; --parts needs a parts model")
    failed = 0
    for i, path in enumerate(args.images):
        try:
            img = single or open_image(path)
        except ImageError as exc:  # many photos: report each bad one, go on, exit 2 at the end
            print(f"aifashion segment: error: {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        masks = seg.predict(img)
        if args.parts:
            mask = masks.part_map(args.threshold)
            found = ", ".join(f"{k} {100 * v:.1f}%" for k, v in masks.part_areas(args.threshold).items())
            what = f"parts: {found or 'no garment'}"
        else:
            mask = np.where(masks.garment > args.threshold, 255, 0).astype(np.uint8)
            what = f"garment {100 * (mask > 0).mean():.1f}% of pixels"
        out = Path(args.out) if args.out else Path(args.out_dir) / f"{stems[i]}.png"
        atomic_save(out, lambda p, m=mask: Image.fromarray(m, "L").save(p, format="PNG"))
        print(f"{out}: {img.width}x{img.height}, {what}", flush=True)
    if failed:
        print(f"aifashion segment: {failed} of {len(args.images)} photos could not be read", file=sys.stderr)
    return 2 if failed else 0
