"""``aifashion tile``: turn a fabric photo into a seamless pattern tile (:func:`aifashion.fabric.seamless_tile`)."""

from __future__ import annotations

import argparse
from pathlib import Path

OUT_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("fabric", type=Path, help="a photo of the fabric (a swatch, any size; JPEG/PNG/WEBP)")
    parser.add_argument("--out", required=True, type=Path, help="the tile to write (.png recommended)")
    parser.add_argument(
        "--size", type=int, default=None, help="the tile's side in pixels, 16..2048 (default: the photo's own scale)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="0 cuts from the photo's centre; others from a random place"
    )


def run(args: argparse.Namespace) -> int:
    """``aifashion tile``: writes ``--out`` (a seamless tile of the fabric photo) and prints its size."""
    from aifashion.atomic import atomic_path
    from aifashion.fabric import seamless_tile
    from aifashion.imageio import ImageError

    out = Path(args.out)
    if out.suffix.lower() not in OUT_SUFFIXES:
        raise ValueError(f"--out must end in {', '.join(OUT_SUFFIXES)}, not {out.name!r}")
    if not Path(args.fabric).exists():
        raise FileNotFoundError(f"fabric photo {args.fabric} does not exist")
    tile = seamless_tile(args.fabric, size=args.size, seed=args.seed)
    fmt = {".png": "PNG", ".webp": "WEBP", ".jpg": "JPEG", ".jpeg": "JPEG"}[out.suffix.lower()]
    try:
        with atomic_path(out) as tmp:
            tile.save(tmp, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    except OSError as exc:
        raise ImageError(f"cannot write {out}: {exc}") from None
    print(f"wrote {out} ({tile.width}x{tile.height}, seamless)")
    return 0
