"""Training-data throughput: our device-resident pattern set against the PyTorch DCGAN tutorial's
pipeline, on the same folder, side by side in one run.

- **tutorial**: ``torchvision.datasets.ImageFolder`` + ``Resize(64)`` / ``CenterCrop(64)`` /
  ``ToTensor`` / ``Normalize((0.5,)*3, (0.5,)*3)``, ``DataLoader(batch_size=128, shuffle=True,
  num_workers=2)``, iterated epoch after epoch (each epoch starts its workers again, as in the
  tutorial) until ``--tutorial-images`` images have been delivered.
- **ours**: :class:`aifashion.data.resident.ResidentPatternData` decodes the folder once into a
  uint8 tensor on the device (timed separately: a one-off cost), then ``.sample(128, 64)`` cuts
  random crops (scale range as in training), flips, 90-degree turns, all per batch on the device.

Both deliver float ``(128, 3, 64, 64)`` batches in [-1, 1] on the device. Usage::

    python bench/data_throughput.py [--data DIR] [--device cpu|cuda] [--quick]

Prints the machine, images/s of each, and the ratio ours / tutorial last.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from _common import machine, pattern_folder, pick_device, sync, tutorial_dataset  # bench/ is on sys.path

from aifashion.data.resident import ResidentPatternData
from aifashion.paths import FINGERCAMERA


def tutorial_images_per_s(
    folder: Path, n_images: int, device: torch.device, batch: int = 128, workers: int = 2, image_size: int = 64
) -> float:
    """The tutorial's data pipeline, timed from the first epoch's start to ``n_images`` delivered."""
    dataset = tutorial_dataset(folder, image_size)
    g = torch.Generator().manual_seed(0)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers, generator=g)
    done = 0
    t0 = time.perf_counter()
    while done < n_images:
        for x, _ in loader:
            x = x.to(device, non_blocking=True)
            done += len(x)
            if done >= n_images:
                break
    sync(device)
    return done / (time.perf_counter() - t0)


def ours_images_per_s(
    data: ResidentPatternData,
    n_images: int,
    device: torch.device,
    batch: int = 128,
    image_size: int = 64,
    scale=(0.25, 0.5),
) -> float:
    g = torch.Generator(device=device).manual_seed(0)
    data.sample(batch, image_size, generator=g, scale=scale)  # warm-up
    sync(device)
    done = 0
    t0 = time.perf_counter()
    while done < n_images:
        x, _ = data.sample(batch, image_size, generator=g, scale=scale)
        done += len(x)
    sync(device)
    return done / (time.perf_counter() - t0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help=f"pattern folder (default $AIFASHION_DATA/{FINGERCAMERA})")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto")
    p.add_argument("--tutorial-images", type=int, default=2400, help="images the tutorial pipeline delivers (6 epochs)")
    p.add_argument("--ours-images", type=int, default=25600)
    p.add_argument("--data-size", type=int, default=256, help="side at which our set is held (training default)")
    p.add_argument("--scale", type=float, nargs=2, default=(0.25, 0.5), help="our crop scale range (training default)")
    p.add_argument("--threads", type=int, default=None, help="torch threads in this process")
    p.add_argument("--quick", action="store_true", help="a short run: 1 tutorial epoch, 2,560 of ours")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.tutorial_images, args.ours_images = 400, 2560
    folder = pattern_folder(args.data)
    if folder is None:
        print("no pattern folder: give --data or set AIFASHION_DATA", file=sys.stderr)
        return 2
    device = pick_device(args.device)
    print(machine(device, " (other work on the machine slows both sides)"))
    print(f"folder: {folder}; batch 128 at 64x64")

    tut = tutorial_images_per_s(folder, args.tutorial_images, device)
    print(f"tutorial (ImageFolder + DataLoader, 2 workers): {tut:9.1f} images/s  ({args.tutorial_images} images)")

    t0 = time.perf_counter()
    data = ResidentPatternData.from_folder(folder, device=device, size=args.data_size)
    sync(device)
    setup = time.perf_counter() - t0
    print(f"ours: one-off decode of {len(data)} images at {args.data_size}px onto {device}: {setup:.1f} s")
    ours = ours_images_per_s(data, args.ours_images, device, scale=tuple(args.scale))
    print(
        f"ours (ResidentPatternData.sample, scale {tuple(args.scale)}): {ours:9.1f} images/s"
        f"  ({args.ours_images} images)"
    )
    print(f"ratio ours / tutorial: {ours / tut:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
