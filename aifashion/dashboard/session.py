"""The dashboard's state and pipeline, without any widget: one ``TryOnSession`` per browser
session (Voila gives each session its own kernel, so each gets its own object).

The widgets in :mod:`aifashion.dashboard.app` only read controls and call these methods, so the
whole callback chain can be tested and timed without a browser (``bench/dashboard_latency.py``).

Images: PIL RGB (uint8, 0..255) in and out; masks are float32 ``HxW`` arrays in [0, 1] at the
garment image's size.
"""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aifashion.imageio import MAX_BYTES, MAX_PIXELS, UPLOAD_FORMATS, ImageError, open_image

#: Largest pattern a user may download (pixels per side).
MAX_DOWNLOAD_SIZE = 4096
#: Download formats: name -> (PIL format, MIME type, file suffix).
DOWNLOAD_FORMATS = {"PNG": ("PNG", "image/png", "png"), "JPEG": ("JPEG", "image/jpeg", "jpg")}


@dataclass(frozen=True)
class GarmentView:
    """A garment ready for try-on.

    image: PIL RGB at working size (longest side <= ``work_size``).
    mask: float32 ``HxW`` in [0, 1], 1 where the pattern goes.
    shading: float32 ``HxW`` (or None): the drawn flat's shading, passed to ``try_on``.
    label: what the picker shows.
    prepared: ``compose.PreparedGarment`` (feathered mask, shading coefficients), made once per
        garment so that a new pattern or a slider move pays only ``compose.apply_pattern``.
    """

    key: Hashable
    label: str
    image: Image.Image
    mask: np.ndarray
    shading: np.ndarray | None = None
    prepared: Any = None


def _prepare(image: Image.Image, mask: np.ndarray, shading: np.ndarray | None):
    from aifashion.compose import prepare_garment

    return prepare_garment(np.asarray(image), mask, shading=shading)


class _LRU:
    """A tiny per-session least-recently-used cache (no module-level state)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._d: OrderedDict = OrderedDict()

    def get(self, key, make: Callable[[], Any]):
        if key in self._d:
            self._d.move_to_end(key)
            return self._d[key]
        value = make()
        self._d[key] = value
        while len(self._d) > self.size:
            self._d.popitem(last=False)
        return value

    def __contains__(self, key) -> bool:
        return key in self._d

    def __len__(self) -> int:
        return len(self._d)


def fit_within(img: Image.Image, longest: int) -> Image.Image:
    """Downscale ``img`` (never upscale) so that its longest side is at most ``longest``."""
    w, h = img.size
    if max(w, h) <= longest:
        return img
    s = longest / max(w, h)
    return img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BILINEAR)


def tiled_swatch(tile: Image.Image, reps: int = 3, size: int | None = None) -> Image.Image:
    """Repeat ``tile`` ``reps`` x ``reps`` times (optionally resized so the swatch is ``size``
    pixels square) -- a seamless tile shows no seam at the joins."""
    if size is not None:
        t = max(1, size // reps)
        tile = tile.resize((t, t), Image.BILINEAR) if tile.size != (t, t) else tile
    w, h = tile.size
    out = Image.new("RGB", (w * reps, h * reps))
    for i in range(reps):
        for j in range(reps):
            out.paste(tile, (j * w, i * h))
    return out


def mask_overlay(image: Image.Image, mask: np.ndarray, color=(0, 200, 255), alpha: float = 0.5) -> Image.Image:
    """Tint ``image`` with ``color`` where ``mask`` (float HxW in [0, 1]) is on; PIL RGB out."""
    arr = np.asarray(image, dtype=np.float32)
    m = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)[..., None] * alpha
    out = arr * (1.0 - m) + np.asarray(color, np.float32) * m
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


def encode_image(img: Image.Image | np.ndarray, fmt: str = "PNG", quality: int = 92) -> bytes:
    """Encode an RGB image as PNG or JPEG bytes (``fmt`` is a key of ``DOWNLOAD_FORMATS``)."""
    if isinstance(img, np.ndarray):
        img = Image.fromarray(img, "RGB")
    fmt = fmt.upper()
    if fmt not in DOWNLOAD_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(DOWNLOAD_FORMATS)}")
    buf = io.BytesIO()
    if fmt == "PNG":
        # compress_level 1: ~3x faster than the default 6 for ~10% more bytes.
        img.save(buf, "PNG", compress_level=1)
    else:
        img.save(buf, "JPEG", quality=quality, subsampling=0 if quality >= 90 else 2)
    return buf.getvalue()


def default_sample_folder(explicit: str | Path | None = None) -> Path | None:
    """The folder of sample garment photos: ``explicit``, else ``$AIFASHION_DASHBOARD_SAMPLES``
    (set by ``aifashion dashboard --samples``), else ``$AIFASHION_DATA/clothing-dataset-small``
    when it exists, else None (drawn flats only)."""
    import os

    explicit = explicit if explicit is not None else (os.environ.get("AIFASHION_DASHBOARD_SAMPLES") or None)
    if explicit is not None:
        p = Path(explicit).expanduser()
        if not p.is_dir():
            raise FileNotFoundError(f"sample folder {p} does not exist")
        return p
    from aifashion.paths import CLOTHING_SMALL, data_root

    try:
        root = data_root()
    except FileNotFoundError:
        return None
    if root is None or not (root / CLOTHING_SMALL).is_dir():
        return None
    return root / CLOTHING_SMALL


def sample_labels(photos: list[Path]) -> dict[Path, str]:
    """A readable name per sample photo: its class folder and its number in that class, in the
    order given (``clothing-dataset-small/<split>/t-shirt/<uuid>.jpg`` -> ``"t-shirt 3"``)."""
    counts: dict[str, int] = {}
    out: dict[Path, str] = {}
    for p in photos:
        cls = p.parent.name.replace("_", " ") or "photo"
        counts[cls] = counts.get(cls, 0) + 1
        out[p] = f"{cls} {counts[cls]}"
    return out


class TryOnSession:
    """Per-session state and pipeline of the try-on dashboard.

    Args:
        generator: a ``PatternGenerator`` (``.classes``, ``.render(category, seed, size, mix)``).
        segmenter: a ``Segmenter`` (``.predict(image) -> Masks(garment, person)``), or a
            zero-argument callable that loads one on first use (photos only; drawn flats carry
            their own masks), or None when photos cannot be segmented.
        sample_photos: paths of sample garment photos offered in the picker.
        work_size: photos are downscaled to this longest side before segmenting and compositing.
        tile_px: the pattern tile the generator renders for the swatch and the try-on (pixels;
            one period of the seamless pattern). The generator's motifs have a fixed size in
            pixels, so the user's scale magnifies this tile in the composite instead of
            rendering a bigger canvas (which would only hold more motifs).
        drawn_size: size of the drawn flats (pixels, square; default ``work_size``).
    """

    def __init__(
        self,
        generator,
        segmenter=None,
        *,
        sample_photos: list[Path] | tuple[Path, ...] = (),
        work_size: int = 1024,
        tile_px: int = 256,
        drawn_size: int | None = None,
    ) -> None:
        self.generator = generator
        self._segmenter = segmenter
        self.work_size = int(work_size)
        self.tile_px = int(tile_px)
        self.drawn_size = int(drawn_size or work_size)
        self.sample_photos = [Path(p) for p in sample_photos]
        self.sample_labels = sample_labels(self.sample_photos)
        self._patterns = _LRU(8)
        self._garments = _LRU(12)  # key -> GarmentView (segmentation cached here)
        self._uploads: dict[Hashable, tuple[Image.Image, str]] = {}
        self.n_segmentations = 0  # how many times the segmenter really ran (tests, bench)

    # ------------------------------------------------------------------ pattern
    @property
    def classes(self) -> list[str]:
        return list(self.generator.classes)

    def pattern(self, category: str, seed: int, size: int, mix: tuple[str, float] | None = None) -> Image.Image:
        """The seamless pattern tile for (category, seed, mix) rendered at ``size`` px (cached)."""
        if mix is not None and (mix[0] is None or float(mix[1]) <= 0.0):
            mix = None
        if mix is not None:
            mix = (str(mix[0]), round(float(mix[1]), 4))
        key = (category, int(seed), int(size), mix)
        return self._patterns.get(key, lambda: self.generator.render(category, int(seed), int(size), mix=mix))

    def compose_scale(self, garment: GarmentView, scale: float) -> float:
        """The magnification handed to ``compose.try_on`` for a user ``scale``: proportional to
        the garment image, so a pattern covers the same share of a small or a large photo (the
        ``tile_px`` tile spans ``tile_px * scale`` pixels on a ``work_size`` garment)."""
        return float(scale) * max(garment.image.size) / self.work_size

    # ------------------------------------------------------------------ garments
    def garment_choices(self) -> list[tuple[str, Hashable]]:
        """(label, key) pairs for the picker: drawn flats first, then sample photos."""
        from aifashion.garments import GARMENTS

        out: list[tuple[str, Hashable]] = [(f"Drawn: {n}", ("drawn", n)) for n in GARMENTS.names()]
        for p in self.sample_photos:
            out.append((f"Photo: {self.sample_labels[p]}", ("photo", str(p))))
        return out

    def add_upload(self, data: bytes, name: str = "upload") -> tuple[str, Hashable]:
        """Check and open an uploaded file (JPEG/PNG/WebP, <= 20 MB, <= 40 MP, EXIF honoured,
        any mode); returns the (label, key) to pick it. Raises ``ImageError`` with a message fit
        for the page."""
        img = open_image(bytes(data), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, formats=UPLOAD_FORMATS)
        digest = hashlib.sha1(bytes(data)).hexdigest()[:12]
        key = ("upload", digest)
        label = f"Upload: {name}"
        self._uploads[key] = (fit_within(img, self.work_size), label)
        while len(self._uploads) > 20:  # bound a long session's memory: forget the oldest
            self._uploads.pop(next(iter(self._uploads)))
        return (label, key)

    def segmenter(self):
        if self._segmenter is None:
            raise ImageError("no segmenter is available, so photos cannot be used; pick a drawn garment")
        if callable(self._segmenter) and not hasattr(self._segmenter, "predict"):
            self._segmenter = self._segmenter()
        return self._segmenter

    def garment(self, key: Hashable) -> GarmentView:
        """The garment for ``key`` with its mask; photos are segmented once and cached."""
        return self._garments.get(key, lambda: self._load_garment(key))

    def _load_garment(self, key) -> GarmentView:
        kind, ident = key
        if kind == "drawn":
            from aifashion.garments import draw_garment

            g = draw_garment(ident, self.drawn_size)
            image = g.image if isinstance(g.image, Image.Image) else Image.fromarray(np.asarray(g.image), "RGB")
            shading = None if g.shading is None else np.asarray(g.shading, np.float32)
            mask = np.asarray(g.mask, np.float32)
            return GarmentView(key, f"Drawn: {ident}", image, mask, shading, _prepare(image, mask, shading))
        if kind == "photo":
            image = fit_within(open_image(Path(ident)), self.work_size)
            label = f"Photo: {self.sample_labels.get(Path(ident)) or sample_labels([Path(ident)])[Path(ident)]}"
        elif kind == "upload":
            image, label = self._uploads[key]
        else:
            raise ValueError(f"unknown garment kind {kind!r}")
        masks = self.segmenter().predict(image)
        self.n_segmentations += 1
        mask = np.asarray(masks.garment, np.float32)
        if mask.shape != (image.height, image.width):
            raise ValueError(f"segmenter returned a {mask.shape} mask for a {image.size} image")
        return GarmentView(key, label, image, mask, None, _prepare(image, mask, None))

    # ------------------------------------------------------------------ try-on
    def try_on(self, garment: GarmentView, tile: Image.Image, scale: float = 1.0, rotation: float = 0.0):
        """Composite the pattern ``tile`` onto ``garment`` at the user's ``scale`` (see
        :meth:`compose_scale`) and ``rotation`` (degrees); returns compose's ``TryOn``
        (``.rgb`` uint8 HxWx3 at the garment's size)."""
        from aifashion.compose import apply_pattern

        return apply_pattern(garment.prepared, tile, scale=self.compose_scale(garment, scale), rotation=float(rotation))

    def render_download(self, category: str, seed: int, size: int, mix=None, fmt: str = "PNG") -> tuple[bytes, str]:
        """Render the pattern at ``size`` (<= 4096, by the generator, not upscaled) and encode it;
        returns (bytes, file name). Not cached: big renders are one-offs."""
        size = int(size)
        if not 16 <= size <= MAX_DOWNLOAD_SIZE:
            raise ValueError(f"pattern size must be between 16 and {MAX_DOWNLOAD_SIZE}, not {size}")
        if mix is not None and float(mix[1]) <= 0.0:
            mix = None
        img = self.generator.render(category, int(seed), size, mix=mix)
        suffix = DOWNLOAD_FORMATS[fmt.upper()][2]
        mixname = f"-{mix[0]}{round(float(mix[1]) * 100)}" if mix is not None else ""
        return encode_image(img, fmt), f"pattern-{category}{mixname}-seed{int(seed)}-{size}.{suffix}"
