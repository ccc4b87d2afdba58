"""``aifashion generate``: render one seamless pattern from an exported generator to a PNG."""

from __future__ import annotations

import argparse

from aifashion.gan.generate import load_generator
from aifashion.gan.palette import PALETTES, parse_palette
from aifashion.repeat import REPEATS, check_dpi, repeat_unit, save_repeat


def _mix_arg(text: str) -> tuple[str, float]:
    name, sep, w = text.rpartition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME:WEIGHT, not {text!r}")
    try:
        return name, float(w)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME:WEIGHT with a number, not {text!r}") from None


def _palette_arg(text: str) -> list[tuple[int, int, int]]:
    try:
        return parse_palette(text)
    except ValueError as e:  # argparse: one line, exit 2
        raise argparse.ArgumentTypeError(str(e)) from None


def _dpi_arg(text: str) -> float:
    try:
        return check_dpi(text)
    except ValueError as e:  # argparse: one line, exit 2
        raise argparse.ArgumentTypeError(str(e)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--category", required=True, help="pattern class, e.g. striped")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=256, help="side in pixels (tileable: any; baseline: its native size)")
    p.add_argument("--out", required=True, help="output PNG file")
    p.add_argument(
        "--mix",
        type=_mix_arg,
        action="append",
        default=[],
        metavar="NAME:W",
        help="mix in another class with weight W in [0, 1] (repeatable), e.g. floral:0.3",
    )
    p.add_argument(
        "--palette",
        type=_palette_arg,
        metavar="COLOURS",
        help="recolour to 2-4 colours keeping structure and shading, e.g. '#1b2a49,#f4e9d8', "
        f"or a named palette ({', '.join(PALETTES)})",
    )
    p.add_argument(
        "--repeat",
        choices=REPEATS,
        default="straight",
        help="print-ready repeat unit: straight (a plain grid), half-drop (each column moved down by half "
        "the height), half-brick (each row moved right by half the width); neighbours meet without a seam",
    )
    p.add_argument("--dpi", type=_dpi_arg, default=None, help="print resolution stored in the PNG (10-4800)")
    p.add_argument(
        "--candidates", type=int, default=None, metavar="N",
        help="draw N latents for the seed and render the one the generator's critic scores best "
        "(1-64; default: the generator's own, written on its card)",
    )  # fmt: skip
    p.add_argument("--weights", help="an exported generator .safetensors (default: the shipped one)")
    p.add_argument("--device", default="cpu")


def run(args: argparse.Namespace) -> int:
    gen = load_generator(args.weights, device=args.device)
    mix = list(args.mix) or None
    img = gen.render(args.category, args.seed, args.size, mix, args.palette, candidates=args.candidates)
    unit = repeat_unit(img, args.repeat)
    out = save_repeat(unit, args.out, args.dpi)
    extra = f", {args.repeat} repeat" + (f", {args.dpi:g} dpi" if args.dpi else "")
    print(f"wrote {out} ({unit.width}x{unit.height}, {args.category}, seed {args.seed}{extra})")
    return 0
