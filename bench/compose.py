"""Compositing speed: aifashion.compose.try_on against the seed's method, side by side.

The seed stretched the pattern to the photo and pasted it with a hard mask in a per-pixel
Python loop. We tile (never stretch), shade with the garment's own light, feather the edge,
and vectorise, confined to the garment's bounding box.

Input: a clothing-dataset-small product photo (white tee on a magenta backdrop) upscaled to
1024 px on its longest side, a colour-threshold garment mask (no segmenter needed), and a
512x512 FingerCamera fabric photo as the pattern. Without a data folder it falls back to a
drawn flat and a synthetic pattern, and says so.

Usage: python bench/compose.py [--repeats N] [--seed-repeats N]
Prints the machine, each timing (median of the repeats), and the speed-up ratio last.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aifashion.compose import try_on  # noqa: E402

TSHIRT = "clothing-dataset-small/validation/t-shirt/06de9ebd-be39-4cc6-aea7-1d047ccf1a52.jpg"
FABRIC = "clothing-patterns-fingercamera"


def seed_try_on(photo: np.ndarray, mask: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """The seed's method: stretch the pattern to the photo, paste it pixel by pixel, hard mask."""
    h, w = photo.shape[:2]
    stretched = np.asarray(Image.fromarray(pattern).resize((w, h), Image.BILINEAR))
    out = photo.copy()
    for y in range(h):
        for x in range(w):
            if mask[y, x] > 0.5:
                out[y, x] = stretched[y, x]
    return out


def load_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    data = os.environ.get("AIFASHION_DATA") or str(REPO.parent / "shared" / "data")
    root = Path(data)
    if (root / TSHIRT).is_file():
        img = Image.open(root / TSHIRT).convert("RGB")
        k = 1024 / max(img.size)
        img = img.resize((round(img.width * k), round(img.height * k)), Image.BICUBIC)
        photo = np.asarray(img)
        f = photo.astype(np.int16)
        mask = ((f.max(axis=2) - f.min(axis=2)) < 40) & (f.mean(axis=2) > 90)
        fabrics = sorted((root / FABRIC).rglob("*.jpg"))
        pattern = np.asarray(Image.open(fabrics[0]).convert("RGB")) if fabrics else None
        what = f"photo {TSHIRT} upscaled to {photo.shape[1]}x{photo.shape[0]}, colour-threshold mask"
    else:
        from aifashion.garments import draw_garment

        g = draw_garment("t-shirt", size=1024)
        photo, mask, pattern = g.image, g.mask > 0.5, None
        what = "NO DATA FOLDER: drawn t-shirt 1024x1024 instead of a photo"
    if pattern is None:
        yy, xx = np.mgrid[:512, :512]
        pattern = np.stack([(xx * 3) % 256, (yy * 5) % 256, ((xx + yy) * 2) % 256], -1).astype(np.uint8)
        what += ", synthetic 512x512 pattern"
    else:
        what += f", fabric photo {pattern.shape[1]}x{pattern.shape[0]} as the pattern"
    return photo, mask.astype(np.float32), pattern, what


def timed(fn, repeats: int) -> tuple[float, float]:
    """(median, best) wall time in seconds over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--seed-repeats", type=int, default=3)
    args = ap.parse_args()
    photo, mask, pattern, what = load_inputs()
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}, Python {platform.python_version()}, numpy {np.__version__}")
    print(f"input: {what}; garment covers {mask.mean():.0%} of the frame")
    assert np.array_equal(try_on(photo, mask, pattern).rgb[mask == 0], photo[mask == 0])
    try_on(photo, mask, pattern)  # warm-up
    ours = timed(lambda: try_on(photo, mask, pattern), args.repeats)
    ours_rgba = timed(lambda: try_on(photo, mask, pattern).rgba, args.repeats)
    ours_rot = timed(lambda: try_on(photo, mask, pattern, scale=1.5, rotation=30.0), args.repeats)
    seed = timed(lambda: seed_try_on(photo, mask, pattern), args.seed_repeats)

    def row(name: str, t: tuple[float, float], n: int) -> str:
        return f"{name:<46} median {t[0] * 1e3:8.1f} ms   best {t[1] * 1e3:8.1f} ms   (n={n})"

    print(row("seed (stretch, hard mask, per-pixel loop)", seed, args.seed_repeats))
    print(row("try_on, scale 1.5, rotation 30", ours_rot, args.repeats)
          + f"   ratio {seed[0] / ours_rot[0]:.0f}x")
    print(row("try_on + .rgba cut-out, defaults", ours_rgba, args.repeats)
          + f"   ratio {seed[0] / ours_rgba[0]:.0f}x")
    print(row("try_on, defaults (scale 1, rotation 0)", ours, args.repeats))
    print(f"speed-up over the seed (defaults): {seed[0] / ours[0]:.0f}x on medians, "
          f"{seed[1] / ours[1]:.0f}x on best times")
    return 0


if __name__ == "__main__":
    sys.exit(main())
