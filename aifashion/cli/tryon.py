"""``aifashion tryon``: composite a pattern onto a drawn flat or a photo and write an image.

Photos are composited at their full resolution: the mask (the segmenter's, computed at most
``SEGMENT_SIDE`` pixels long, or ``--mask`` of any size) is brought to the photo's size with
:func:`~aifashion.compose.refine_mask` (edges on the photo's), and their light comes from
:func:`~aifashion.compose.intrinsic_shading` by default (``--shading intrinsic``: the folds, seams
and edges, not the print).

The command-line face of :mod:`aifashion.compose` (which holds the compositing itself):
:func:`add_arguments` and :func:`run`, wired into ``aifashion`` by :mod:`aifashion.cli`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from aifashion.compose import BLEND_MODES, SHADINGS, check_tiling_args, refine_mask, try_on
from aifashion.compose.drape import WARP
from aifashion.registry import UnknownNameError

OUT_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")
#: Photos are segmented at most this long a side; the mask is then refined to the photo's full size.
SEGMENT_SIDE = 1024


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
    parser.add_argument(
        "--parts",
        default=None,
        help="which garments of a photo take the pattern: a comma list of top, outer, bottom, full "
        "(default: every garment); the rest of the photo stays exactly as it is",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="pattern magnification (default 1)")
    parser.add_argument("--rotation", type=float, default=0.0, help="pattern rotation in degrees")
    parser.add_argument(
        "--shading",
        default=None,
        help="where a photo's light comes from: 'intrinsic' (default: the garment's folds, seams and edges, "
        "its print taken out) or "
        "'photo' (its luminance as it is, print included); drawn flats use their own shading map. "
        "A number is the old form of --shading-strength",
    )
    parser.add_argument(
        "--shading-strength",
        type=float,
        default=None,
        help="how much of the garment's light to keep, 0..1+ (default 1)",
    )
    parser.add_argument("--feather", type=float, default=None, help="edge softening in pixels (default auto)")
    parser.add_argument(
        "--warp",
        type=float,
        default=WARP,
        help="how far the pattern bends along the folds, as a fraction of the garment's size, 0..0.2 "
        f"(default {WARP}; 0: straight)",
    )
    parser.add_argument("--blend", default="shade", help=f"blend mode: {', '.join(BLEND_MODES.names())}")
    parser.add_argument("--size", type=int, default=1024, help="drawn-flat size in pixels (default 1024)")
    parser.add_argument("--cutout", action="store_true", help="write the RGBA cut-out garment instead")
    parser.add_argument("--segmenter", default="aifashion-lite0", help="segmenter for photos without --mask")
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


def _shading_args(args: argparse.Namespace) -> tuple[str, float]:
    """(--shading mode, strength): a number given to --shading is the strength (its old meaning)."""
    mode, strength = args.shading, args.shading_strength
    if mode is not None and mode not in SHADINGS.names():
        try:
            number = float(mode)
        except ValueError:
            SHADINGS.get(mode)  # raises, listing the valid names
            raise
        if strength is not None:
            raise ValueError("give the shading strength once: --shading-strength N")
        mode, strength = None, number
    return mode or "intrinsic", 1.0 if strength is None else strength


def _photo_mask(photo: Image.Image, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray | None]:
    """(mask, placement) at the photo's full size. mask: ``--mask`` (refined with the photo as guide
    when its size differs) or the segmenter's, run on a copy at most SEGMENT_SIDE pixels long and
    refined. placement: uint8 part ids (2 + each pixel's most likely part) of a parts segmenter,
    so that each garment takes its own pattern origin; None otherwise."""
    if args.mask is not None:
        mask = _open(args.mask, "--mask").convert("L")
        return (np.asarray(mask) if mask.size == photo.size else refine_mask(mask, photo)), None
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
    small = photo
    if max(photo.size) > SEGMENT_SIDE:
        k = SEGMENT_SIDE / max(photo.size)
        small = photo.resize((max(1, round(photo.width * k)), max(1, round(photo.height * k))), Image.BOX)
    masks = seg.predict(small)
    mask = masks.select(args.parts)
    place = masks.part_ids()
    if small is photo:
        return mask, place
    if place is not None:
        place = np.asarray(Image.fromarray(place).resize(photo.size, Image.NEAREST))
    return refine_mask(mask, photo), place


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
    if not 0 <= args.warp <= 0.2:  # NaN fails too
        raise ValueError(f"--warp must be between 0 and 0.2, not {args.warp}")
    shading_mode, strength = _shading_args(args)
    if args.parts is not None:
        from aifashion.segment import check_parts

        args.parts = check_parts(args.parts)
        if args.mask is not None:
            raise ValueError("--parts chooses among the segmenter's garments; it cannot be used with --mask")
    pattern = _open(args.pattern, "--pattern")
    if args.garment in GARMENTS:
        if not 16 <= args.size <= 4096:
            raise ValueError(f"--size must be between 16 and 4096, not {args.size}")
        if args.parts is not None:
            raise ValueError("--parts is for photos; a drawn flat is one garment")
        flat = draw_garment(args.garment, size=args.size)
        image, mask, shading = flat.image, flat.mask, flat.shading  # a clean map: no print to remove
        placement = None
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
        (mask, placement), image, shading = _photo_mask(photo, args), np.asarray(photo), shading_mode
    result = try_on(
        image,
        mask,
        pattern,
        scale=args.scale,
        rotation=args.rotation,
        shading_strength=strength,
        feather=args.feather,
        shading=shading,
        blend=args.blend,
        warp=args.warp,
        placement=placement,
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
