"""Compositing speed: aifashion.compose.try_on against a naive compositor, side by side.

The naive compositor stretches the pattern to the photo and pastes it with a hard mask in a
per-pixel Python loop. We tile (never stretch), shade with the garment's own light, feather the edge,
and vectorise, confined to the garment's bounding box.

Input: a clothing-dataset-small product photo (white tee on a magenta backdrop) upscaled to
1024 px on its longest side, a colour-threshold garment mask (no segmenter needed), and a
512x512 FingerCamera fabric photo as the pattern. Without a data folder it falls back to a
drawn flat and a synthetic pattern, and says so.

Two ways of using our compositor are timed: one-shot ``try_on`` (everything from the photo and
mask, every call: the like-for-like comparison, its ratio printed last) and the cached path
``prepare_garment`` once + ``apply_pattern`` per pattern (what the dashboard does on every
slider move; its ratio printed just before, labelled "cached").

Usage: python bench/compose.py [--repeats N] [--naive-repeats N]
Prints the machine and its load, each timing (wall-clock median and best, and median CPU time
of this process, which a loaded machine inflates less), and the speed-up ratio last. Calls are
interleaved in rounds so that load changes hit every candidate alike.
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

from aifashion.compose import apply_pattern, prepare_garment, try_on

REPO = Path(__file__).resolve().parents[1]
TSHIRT = "clothing-dataset-small/validation/t-shirt/06de9ebd-be39-4cc6-aea7-1d047ccf1a52.jpg"
FABRIC = "clothing-patterns-fingercamera"


def naive_try_on(photo: np.ndarray, mask: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """The naive compositor: stretch the pattern to the photo, paste it pixel by pixel, hard mask."""
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


def timed(fns: dict, repeats: dict, rounds: int) -> dict:
    """{name: (median, best, cpu median)} in seconds: wall time (perf_counter) and this process's
    CPU time (process_time, which excludes time the scheduler gave to other processes), over
    ``repeats[name]`` calls split into ``rounds`` interleaved rounds, so that a change in machine
    load hits every candidate alike."""
    wall: dict = {k: [] for k in fns}
    cpu: dict = {k: [] for k in fns}
    for r in range(rounds):
        for name, fn in fns.items():
            n = repeats[name] // rounds + (r < repeats[name] % rounds)
            for _ in range(n):
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
    return {k: (statistics.median(wall[k]), min(wall[k]), statistics.median(cpu[k])) for k in fns}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30, help="calls of each of our variants")
    ap.add_argument("--naive-repeats", type=int, default=5, help="calls of the naive loop (~0.6 s each)")
    args = ap.parse_args()
    photo, mask, pattern, what = load_inputs()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}, Python {platform.python_version()}, numpy {np.__version__}"
    )
    print(f"input: {what}; garment covers {mask.mean():.0%} of the frame")
    outside = mask == 0
    assert np.array_equal(try_on(photo, mask, pattern).rgb[outside], photo[outside])
    prepared = prepare_garment(photo, mask)
    other = np.ascontiguousarray(pattern[::-1, ::-1])  # a second pattern: nothing is cached per pattern
    flip = [pattern, other]
    assert np.array_equal(apply_pattern(prepared, other).rgb, try_on(photo, mask, other).rgb)

    def apply_next() -> None:  # what a dashboard slider does: same garment, another pattern
        flip.reverse()
        apply_pattern(prepared, flip[0])

    fns = {
        "naive": lambda: naive_try_on(photo, mask, pattern),
        "rot": lambda: try_on(photo, mask, pattern, scale=1.5, rotation=30.0),
        "rgba": lambda: try_on(photo, mask, pattern).rgba,
        "apply": apply_next,
        "apply_rot": lambda: apply_pattern(prepared, pattern, scale=1.5, rotation=30.0),
        "ours": lambda: try_on(photo, mask, pattern),
    }
    for name, fn in fns.items():  # warm-up (and the cached maps of `prepared`)
        if name != "naive":
            fn()
    n = args.repeats
    t = timed(fns, {k: (args.naive_repeats if k == "naive" else n) for k in fns}, rounds=args.naive_repeats)

    def row(label: str, key: str) -> str:
        m, b, c = t[key]
        count = args.naive_repeats if key == "naive" else n
        line = f"{label:<50} median {m * 1e3:8.2f} ms   best {b * 1e3:8.2f} ms   cpu {c * 1e3:8.2f} ms   (n={count})"
        return line if key == "naive" else line + f"   ratio {t['naive'][0] / m:.0f}x"

    print("times: wall-clock median and best, and median CPU time of this process; ratio = naive median / median")
    print(row("naive (stretch, hard mask, per-pixel loop)", "naive"))
    print(row("try_on, scale 1.5, rotation 30", "rot"))
    print(row("try_on + .rgba cut-out, defaults", "rgba"))
    print(row("cached: apply_pattern, scale 1.5, rotation 30", "apply_rot"))
    print(row("cached: apply_pattern on a prepared garment", "apply"))
    print(
        f"cached apply_pattern (prepare_garment done once, as the dashboard does) over the naive loop: "
        f"{t['naive'][0] / t['apply'][0]:.0f}x on medians, {t['naive'][1] / t['apply'][1]:.0f}x on best times, "
        f"{t['naive'][2] / t['apply'][2]:.0f}x on CPU time"
    )
    print(row("try_on, defaults (scale 1, rotation 0), one shot", "ours"))
    print(
        f"speed-up of one-shot try_on over the naive loop (defaults): {t['naive'][0] / t['ours'][0]:.0f}x on medians, "
        f"{t['naive'][1] / t['ours'][1]:.0f}x on best times, {t['naive'][2] / t['ours'][2]:.0f}x on CPU time"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
