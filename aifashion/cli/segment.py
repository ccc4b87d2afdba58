"""``aifashion segment``: write the garment mask of a photo (0/255 PNG at the photo's size)."""
from __future__ import annotations

import argparse
from pathlib import Path

from aifashion.segment import SEGMENTERS, load_segmenter

def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image", help="a photo (JPEG/PNG/WebP...)")
    p.add_argument("--out", required=True, help="where to write the garment mask PNG (0/255, input size)")
    p.add_argument("--model", default="aifashion-ccp", help=f"segmenter name ({', '.join(SEGMENTERS.names())})")
    p.add_argument("--weights", default=None, help="weights file (default: shipped / downloaded)")
    p.add_argument("--threshold", type=float, default=0.5, help="garment probability threshold (0..1)")
    p.add_argument("--device", default="cpu")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from aifashion.atomic import atomic_save
    from aifashion.imageio import open_image

    if not 0.0 <= args.threshold <= 1.0:
        raise ValueError("--threshold must be between 0 and 1")
    img = open_image(args.image)
    seg = load_segmenter(args.model, weights=args.weights, device=args.device)
    m = seg.predict(img)
    mask = np.where(m.garment > args.threshold, 255, 0).astype(np.uint8)
    out = Path(args.out)
    atomic_save(out, lambda p: Image.fromarray(mask, "L").save(p, format="PNG"))
    print(f"{out}: {img.width}x{img.height}, garment {100 * (mask > 0).mean():.1f}% of pixels")
    return 0
