"""``aifashion tryon``: composite a pattern onto a drawn flat or a photo and write an image.

The command-line face of :mod:`aifashion.compose` (which holds the compositing itself):
:func:`add_arguments` and :func:`run`, wired into ``aifashion`` by :mod:`aifashion.cli`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from aifashion.compose import BLEND_MODES, check_tiling_args, resize_mask, try_on
from aifashion.registry import UnknownNameError

OUT_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--garment",
        required=True,
        help="a drawn flat name (t-shirt, dress, skirt, trousers, hoodie, tote) or a photo path",
    )
    parser.add_argument("--pattern", required=True, type=Path, help="the pattern tile (PNG/JPEG/WEBP)")
    parser.add_argument("--out", required=True, type=Path, help="output image (.png recommended)")
    parser.add_argument(
        "--mask", type=Path, default=None, help="garment mask for a photo (white = garment); default: the segmenter"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="pattern magnification (default 1)")
    parser.add_argument("--rotation", type=float, default=0.0, help="pattern rotation in degrees")
    parser.add_argument(
        "--shading",
        type=float,
        default=1.0,
        dest="shading_strength",
        help="how much of the garment's light to keep, 0..1+ (default 1)",
    )
    parser.add_argument("--feather", type=float, default=None, help="edge softening in pixels (default auto)")
    parser.add_argument("--blend", default="shade", help=f"blend mode: {', '.join(BLEND_MODES.names())}")
    parser.add_argument("--size", type=int, default=1024, help="drawn-flat size in pixels (default 1024)")
    parser.add_argument("--cutout", action="store_true", help="write the RGBA cut-out garment instead")
    parser.add_argument("--segmenter", default="aifashion-ccp", help="segmenter for photos without --mask")
    parser.add_argument(
        "--segmenter-weights", type=Path, default=None, help="segmenter weights file (default: the shipped ones)"
    )
    parser.add_argument("--device", default="cpu", help="segmenter device (cpu, cuda)")


def _open(path: Path, option: str) -> Image.Image:
    """open_image with the option name in the error, e.g. ``--pattern x.png: ... is not a file``."""
    from aifashion.imageio import ImageError, open_image

    try:
        return open_image(path)
    except ImageError as exc:
        raise ImageError(f"{option}: {exc}") from None


def _photo_mask(photo: Image.Image, args: argparse.Namespace) -> np.ndarray:
    if args.mask is not None:
        return resize_mask(_open(args.mask, "--mask"), photo.height, photo.width)
    try:  # the segmenter is optional at run time: import lazily, explain what is missing
        from aifashion.segment import load_segmenter
    except ImportError as exc:
        raise ValueError(f"no segmenter is available ({exc}); pass --mask MASK.png") from None
    try:
        seg = load_segmenter(args.segmenter, weights=args.segmenter_weights, device=args.device)
    except (FileNotFoundError, OSError) as exc:
        raise ValueError(
            f"segmenter {args.segmenter!r} weights are not available ({exc}); pass --mask MASK.png"
        ) from None
    return seg.predict(photo).garment


def run(args: argparse.Namespace) -> int:
    """``aifashion tryon``: composite a pattern onto a drawn flat or a photo; writes ``--out``."""
    from aifashion.atomic import atomic_path
    from aifashion.garments import GARMENTS, draw_garment
    from aifashion.imageio import ImageError

    out = Path(args.out)
    if out.suffix.lower() not in OUT_SUFFIXES:
        raise ValueError(f"--out must end in {', '.join(OUT_SUFFIXES)}, not {out.name!r}")
    if args.cutout and out.suffix.lower() not in (".png", ".webp"):
        raise ValueError("--cutout needs a .png or .webp output (it has transparency)")
    check_tiling_args(args.scale, args.rotation)
    BLEND_MODES.get(args.blend)
    pattern = _open(args.pattern, "--pattern")
    shading = None
    if args.garment in GARMENTS:
        if not 16 <= args.size <= 4096:
            raise ValueError(f"--size must be between 16 and 4096, not {args.size}")
        flat = draw_garment(args.garment, size=args.size)
        image, mask, shading = flat.image, flat.mask, flat.shading
    else:
        path = Path(args.garment)
        if not path.exists():
            if path.suffix == "" and "/" not in args.garment:
                raise UnknownNameError(
                    f"unknown garment {args.garment!r}: not a photo path, and the drawn "
                    f"flats are: {', '.join(GARMENTS.names())} (valid names)"
                )
            raise FileNotFoundError(f"garment photo {path} does not exist")
        photo = _open(path, "--garment")
        image, mask = np.asarray(photo), _photo_mask(photo, args)
    result = try_on(
        image,
        mask,
        pattern,
        scale=args.scale,
        rotation=args.rotation,
        shading_strength=args.shading_strength,
        feather=args.feather,
        shading=shading,
        blend=args.blend,
    )
    img = Image.fromarray(result.rgba if args.cutout else result.rgb)
    fmt = {".png": "PNG", ".webp": "WEBP", ".jpg": "JPEG", ".jpeg": "JPEG"}[out.suffix.lower()]
    try:
        with atomic_path(out) as tmp:
            img.save(tmp, format=fmt)
    except OSError as exc:
        raise ImageError(f"cannot write {out}: {exc}") from None
    print(f"wrote {out} ({img.width}x{img.height})")
    return 0
