"""Segmenter speed: `Segmenter.predict` on 1024-px photos, 'aifashion-lite0' beside 'aifashion-ccp'.

Both shipped segmenters ('aifashion-lite0': EfficientNet-Lite0 Unet predicting at 512 px; 'aifashion-ccp':
resnet18 Unet at 192 px) predict the same photos in interleaved rounds, so that load changes hit
both alike. The photos are CCP validation photos and product shots resized to 1024 px on their
longest side (a synthetic photo when no data folder is found; it says so).

Then the whole try-on of a photo as the CLI does it: segment (with ``--weights``, e.g. a parts
model) + prepare (intrinsic shading, the fold warp, each part its own placement, clean edges) +
composite a tile, beside the same with a straight pattern (no warp, no placement), interleaved.

Usage: python bench/segment_speed.py [--repeats N] [--threads T] [--weights FILE]
Prints the machine line, each model's median and best wall-clock time per photo, aifashion-lite0's
median per photo (the budget: <= 250 ms with 2 threads), and the segment + composite medians
(the budget: <= 300 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from _common import machine  # bench/ is on sys.path
from PIL import Image


def photos(n: int) -> tuple[list[Image.Image], str]:
    from aifashion.paths import CCP, CLOTHING_SMALL, data_root

    root = data_root()
    files = []
    if root is not None:
        files = sorted((root / CCP / "photos").glob("*.jpg"))[-n // 2 :]
        files += sorted((root / CLOTHING_SMALL).rglob("*.jpg"))[: n - len(files)]
    if not files:
        g = torch.Generator().manual_seed(0)
        return [Image.fromarray((torch.rand(1024, 683, 3, generator=g) * 255).byte().numpy())] * n, "synthetic photo"
    out = []
    for f in files:
        im = Image.open(f).convert("RGB")
        s = 1024 / max(im.size)
        out.append(im.resize((round(im.width * s), round(im.height * s)), Image.BILINEAR))
    return out, f"{len(out)} real photos at 1024 px"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--weights", type=Path, default=None, help="aifashion-lite0 weights (default: the shipped)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from aifashion.segment import load_segmenter

    models = {"aifashion-lite0": load_segmenter("aifashion-lite0", weights=args.weights)}
    models["aifashion-ccp"] = load_segmenter("aifashion-ccp")
    imgs, what = photos(args.photos)
    print(machine(torch.device("cpu")))
    print(f"input: {what}")
    for seg in models.values():  # warm-up
        seg.predict(imgs[0])
    times: dict[str, list[float]] = {n: [] for n in models}
    for _ in range(args.repeats):
        for img in imgs:
            for name, seg in models.items():
                t = time.perf_counter()
                seg.predict(img)
                times[name].append(time.perf_counter() - t)
    for name, ts in times.items():
        cfg = models[name].config
        print(
            f"{name:16s} ({cfg.encoder_name}, {cfg.input_size} px): median {1e3 * statistics.median(ts):.0f} ms, "
            f"best {1e3 * min(ts):.0f} ms per photo over {len(ts)} predictions"
        )
    ratio = statistics.median(times["aifashion-lite0"]) / statistics.median(times["aifashion-ccp"])
    print(f"aifashion-lite0 / aifashion-ccp time per photo: {ratio:.2f}x")
    print(
        f"aifashion-lite0 median per 1024-px photo ({args.threads} threads): "
        f"{1e3 * statistics.median(times['aifashion-lite0']):.0f} ms"
    )
    tryon(models["aifashion-lite0"], imgs, args.repeats, args.threads)
    return 0


def tryon(seg, imgs: list[Image.Image], repeats: int, threads: int) -> None:
    """Median segment + composite per photo, draped (warp, placement) beside straight."""
    import numpy as np

    from aifashion.compose import prepare_garment
    from aifashion.compose.drape import WARP

    tile = np.zeros((32, 32, 3), np.uint8)
    tile[:, :12] = 255
    times: dict[str, list[float]] = {"draped": [], "straight": []}
    for _ in range(repeats):
        for img in imgs:
            for kind in times:
                t = time.perf_counter()
                masks = seg.predict(img)
                place = masks.part_ids() if kind == "draped" else None
                warp = WARP if kind == "draped" else 0.0
                prepared = prepare_garment(np.asarray(img), masks.garment, "intrinsic", warp=warp, placement=place)
                prepared.apply(tile, rotation=10.0)
                times[kind].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"segment + composite, draped (warp, placement, clean edges): median {1e3 * med['draped']:.0f} ms")
    print(f"segment + composite, straight: median {1e3 * med['straight']:.0f} ms")
    print(f"draped / straight: {med['draped'] / med['straight']:.2f}x ({threads} threads)")


if __name__ == "__main__":
    sys.exit(main())
