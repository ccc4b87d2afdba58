"""Draw the try-on contact sheet: 12 CCP validation street photos (left) and 12 validation product
shots (right, ``labels/prints/validation.json``: 6 plain, 6 printed), none used in training. Each
row: the photo | its garment parts (top red, outer blue, bottom yellow, full-body purple, person
grey) | a striped tile | the generator's floral tile, composited as the CLI does (intrinsic
shading, the fold warp, each part its own placement).

    python tools/tryon_contact_sheet.py --segmenter-weights runs/continue/segmenter_lite0_parts.safetensors
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from aifashion import paths
from aifashion.compose import try_on
from aifashion.compose.drape import WARP
from aifashion.gan.generate import load_generator
from aifashion.segment import load_segmenter
from aifashion.segment.data import ccp_split

REPO = Path(__file__).resolve().parents[1]
#: colours of the part ids 0..5 (background, person, top, outer, bottom, full)
COLOURS = np.array([[40, 40, 40], [150, 150, 150], [230, 80, 60], [60, 120, 230], [240, 200, 40], [170, 70, 200]])
ROW_PX = 200


def _cell(a: np.ndarray) -> np.ndarray:
    im = Image.fromarray(a)
    return np.asarray(im.resize((round(im.width * ROW_PX / im.height), ROW_PX), Image.LANCZOS))


def _row(seg, path: Path, stripes: np.ndarray, floral: np.ndarray) -> np.ndarray:
    """uint8 (ROW_PX, w, 3): photo | parts | striped | floral."""
    im = Image.open(path).convert("RGB")
    im.thumbnail((1024, 1024))
    img = np.asarray(im)
    m = seg.predict(im)
    place = m.part_ids()
    parts = (0.45 * img + 0.55 * COLOURS[m.part_map()]).astype(np.uint8)
    k = max(img.shape[:2]) / 600  # the same share of the photo whatever its size
    kw = dict(shading="intrinsic", warp=WARP, placement=place)
    a = try_on(img, m.garment, stripes, scale=k, **kw).rgb
    b = try_on(img, m.garment, floral, scale=0.6 * k, **kw).rgb
    return np.concatenate([_cell(x) for x in (img, parts, a, b)], 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segmenter-weights", type=Path, default=None, help="default: the shipped segmenter")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "tryon_contact_sheet.png")
    args = ap.parse_args()
    root = paths.data_root(args.data_dir)
    seg = load_segmenter("aifashion-lite0", weights=args.segmenter_weights)
    floral = np.asarray(load_generator().render("floral", 3, 256))
    stripes = np.zeros((40, 40, 3), np.uint8)
    stripes[:] = (235, 225, 200)
    stripes[:, :14] = (30, 40, 120)
    _, val = ccp_split(root / paths.CCP)
    street = [root / paths.CCP / "photos" / f"{v}.jpg" for v in val[::8][:12]]
    labels = json.loads((REPO / "labels" / "prints" / "validation.json").read_text())
    products = [root / paths.CLOTHING_SMALL / f"{p}.jpg" for p in labels["plain"][:6] + list(labels["printed"])[:6]]
    cols = []
    for group in (street, products):
        rows = [_row(seg, p, stripes, floral) for p in group]
        w = max(r.shape[1] for r in rows)
        padded = [np.pad(r, ((0, 4), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
        cols.append(np.concatenate(padded))
    h = max(c.shape[0] for c in cols)
    sheet = np.concatenate([np.pad(c, ((0, h - c.shape[0]), (0, 12), (0, 0)), constant_values=255) for c in cols], 1)
    im = Image.fromarray(sheet)
    im = im.resize((im.width // 2, im.height // 2), Image.LANCZOS)
    im.quantize(160).save(args.out, optimize=True)
    print(f"wrote {args.out} ({im.width}x{im.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
