#!/usr/bin/env python
"""A contact sheet of generators: 16 seeds per class, one block per generator, for judging by eye.

    python tools/generator_contact_sheet.py --weights shipped=aifashion/weights/generator.safetensors \\
        --weights projected=runs/projected/generator.safetensors --out docs/generator_contact_sheet.png

Each block has one row per class (seeds 0..N-1, the same seeds for every generator) at ``--size`` px,
the training scale (64). The PNG is quantised to 256 colours to stay small.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def sheet(named: list[tuple[str, str]], seeds: int = 16, size: int = 64, label_w: int = 80):
    """PIL image: for each ``(title, weights path)``, a title line and a (classes x seeds) grid."""
    from PIL import Image, ImageDraw

    from aifashion.gan.generate import load_generator

    blocks = []
    for title, spec in named:
        path, _, n = spec.partition("@")  # FILE@N: the best of N candidates by the file's critic
        gen = load_generator(path)
        block = Image.new("RGB", (label_w + seeds * size, 18 + len(gen.classes) * size), "white")
        draw = ImageDraw.Draw(block)
        how = f", best of {n} by its critic" if n else ""
        draw.text((4, 3), f"{title}: {Path(path).name}, seeds 0-{seeds - 1}{how}", fill="black")
        for r, c in enumerate(gen.classes):
            draw.text((4, 18 + r * size + size // 2 - 6), c, fill="black")
            imgs = gen.render_batch([c] * seeds, list(range(seeds)), size, candidates=int(n) if n else None)
            for i, img in enumerate(imgs):
                block.paste(img.convert("RGB"), (label_w + i * size, 18 + r * size))
        blocks.append(block)
    out = Image.new("RGB", (max(b.width for b in blocks), sum(b.height + 6 for b in blocks)), "white")
    y = 0
    for b in blocks:
        out.paste(b, (0, y))
        y += b.height + 6
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", action="append", required=True, help="NAME=PATH[@N] (repeatable)")
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", type=int, default=16)
    p.add_argument("--size", type=int, default=64)
    args = p.parse_args(argv)
    named = []
    for w in args.weights:
        name, sep, path = w.partition("=")
        if not sep or not Path(path.partition("@")[0]).is_file():
            p.error(f"--weights takes NAME=PATH[@N] of an exported generator, got {w!r}")
        named.append((name, path))
    img = sheet(named, args.seeds, args.size)
    img = img.quantize(colors=256, method=2, dither=0)
    img.save(args.out, optimize=True)
    print(f"{args.out}: {img.width}x{img.height}, {Path(args.out).stat().st_size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
