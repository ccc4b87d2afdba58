"""The dashboard's state and pipeline, without any widget: one ``TryOnSession`` per browser
session (Voila gives each session its own kernel, so each gets its own object).

The widgets in :mod:`aifashion.dashboard.app` only read controls and call these methods, so the
whole callback chain can be tested and timed without a browser (``bench/dashboard_latency.py``).

Images: PIL RGB (uint8, 0..255) in and out; masks are float32 ``HxW`` arrays in [0, 1] at the
garment image's size. Photos are segmented and previewed at working size (longest side
``work_size``); :meth:`TryOnSession.full_try_on` composites the download at the photo's own size,
re-opening the photo (a sample's file, an upload's kept bytes) only for that call.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aifashion.dashboard.images import DOWNLOAD_FORMATS, encode_image, fit_within, mask_overlay, tiled_swatch
from aifashion.imageio import MAX_BYTES, MAX_PIXELS, UPLOAD_FORMATS, ImageError, open_image

__all__ = [
    "TryOnSession", "GarmentView", "DOWNLOAD_FORMATS", "encode_image", "fit_within", "mask_overlay", "tiled_swatch",
]  # fmt: skip

#: Largest pattern a user may download (pixels per side).
MAX_DOWNLOAD_SIZE = 4096
#: The real-world width assumed for a garment (its mask's widest extent) when a fabric tile's size
#: is given in centimetres: an adult's t-shirt or dress seen from the front is about 50 cm wide.
GARMENT_WIDTH_CM = 50.0
#: Uploaded files' bytes kept for full-size downloads, at most (the oldest are dropped first:
#: their downloads fall back to the working size).
KEEP_UPLOAD_BYTES = 60_000_000
#: Shading of photos: 'intrinsic' (folds, seams and edges kept; a printed garment's old print does
#: not show through);
#: drawn flats bring their own clean shading map.
PHOTO_SHADING = "intrinsic"


@dataclass(frozen=True)
class GarmentView:
    """A garment ready for try-on.

    image: PIL RGB at working size (longest side <= ``work_size``).
    mask: float32 ``HxW`` in [0, 1], 1 where the pattern goes.
    shading: float32 ``HxW``: the drawn flat's shading, or a ``compose.SHADINGS`` name for photos
        (``PHOTO_SHADING``), passed to ``prepare_garment`` / ``try_on``.
    label: what the picker shows.
    full_size: (width, height) of the photo itself (downloads are composited at this size);
        the working size for drawn flats.
    prepared: ``compose.PreparedGarment`` (feathered mask, shading coefficients), made once per
        garment so that a new pattern or a slider move pays only ``compose.apply_pattern``.
    """

    key: Hashable
    label: str
    image: Image.Image
    mask: np.ndarray
    shading: np.ndarray | str | None = None
    prepared: Any = None
    full_size: tuple[int, int] | None = None


def _prepare(image: Image.Image, mask: np.ndarray, shading: np.ndarray | str | None):
    from aifashion.compose import prepare_garment

    return prepare_garment(np.asarray(image), mask, shading=shading)


def garment_width_px(mask: np.ndarray) -> int:
    """The garment's widest extent in pixels: the width of the box around ``mask > 0.5`` (float
    ``HxW`` in [0, 1]); the image's width when the mask is empty."""
    cols = np.flatnonzero((np.asarray(mask) > 0.5).any(axis=0))
    return int(cols[-1] - cols[0] + 1) if cols.size else int(np.asarray(mask).shape[1])


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
        self._uploads: dict[Hashable, tuple[Image.Image, str, tuple[int, int]]] = {}
        self._upload_bytes: OrderedDict[Hashable, bytes] = OrderedDict()  # for full-size downloads
        self._recolored = _LRU(8)
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

    def magnification(
        self, garment: GarmentView, tile: Image.Image, scale: float = 1.0, tile_cm: float | None = None
    ) -> float:
        """The ``compose`` magnification of ``tile`` on ``garment`` (at its working size).

        ``tile_cm`` None: a generated tile at the user's ``scale`` (:meth:`compose_scale`).
        Otherwise the tile is one repeat of real fabric ``tile_cm`` centimetres wide, on a garment
        assumed ``GARMENT_WIDTH_CM`` (50) cm wide across its mask: one repeat spans
        ``tile_cm / 50`` of the garment's width in pixels (:func:`garment_width_px`).
        """
        if tile_cm is None:
            return self.compose_scale(garment, scale) * self.tile_px / tile.width
        if not 0 < float(tile_cm) <= 1000:
            raise ValueError(f"the tile size must be between 0 and 1000 cm, not {tile_cm!r}")
        return float(tile_cm) / GARMENT_WIDTH_CM * garment_width_px(garment.mask) / tile.width

    def recolored(self, key: Hashable, tile: Image.Image, palette: str) -> Image.Image:
        """``tile`` recoloured to ``palette`` (a name of ``aifashion.gan.palette.PALETTES`` or
        "#RRGGBB,..."), cached under (``key``, palette); PIL RGB of the tile's size."""
        from aifashion.gan.palette import recolor

        return self._recolored.get((key, palette), lambda: recolor(tile, palette))

    def fabric_tile(self, data: bytes, name: str = "fabric") -> Image.Image:
        """A seamless tile from an uploaded fabric photo (same guards as :meth:`add_upload`):
        PIL RGB, square, at the photo's own scale (at most 1024 px, ``fabric.seamless_tile``).
        Raises ``ImageError`` / ``ValueError`` with a message fit for the page."""
        from aifashion.fabric import seamless_tile

        img = open_image(bytes(data), max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, formats=UPLOAD_FORMATS)
        return seamless_tile(fit_within(img, 2048))

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
        self._uploads[key] = (fit_within(img, self.work_size), label, img.size)
        del img  # the full-size pixels are not kept: a download decodes the bytes again
        while len(self._uploads) > 20:  # bound a long session's memory: forget the oldest
            self._uploads.pop(next(iter(self._uploads)))
        if max(self._uploads[key][2]) > self.work_size:
            self._upload_bytes[key] = bytes(data)
            self._upload_bytes.move_to_end(key)
            while sum(map(len, self._upload_bytes.values())) > KEEP_UPLOAD_BYTES and len(self._upload_bytes) > 1:
                self._upload_bytes.popitem(last=False)
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
            prepared = _prepare(image, mask, shading)
            return GarmentView(key, f"Drawn: {ident}", image, mask, shading, prepared, image.size)
        if kind == "photo":
            full = open_image(Path(ident))
            image, full_size = fit_within(full, self.work_size), full.size
            del full
            label = f"Photo: {self.sample_labels.get(Path(ident)) or sample_labels([Path(ident)])[Path(ident)]}"
        elif kind == "upload":
            image, label, full_size = self._uploads[key]
            if key not in self._upload_bytes:
                full_size = image.size  # its bytes were dropped: downloads at the working size
        else:
            raise ValueError(f"unknown garment kind {kind!r}")
        masks = self.segmenter().predict(image)
        self.n_segmentations += 1
        mask = np.asarray(masks.garment, np.float32)
        if mask.shape != (image.height, image.width):
            raise ValueError(f"segmenter returned a {mask.shape} mask for a {image.size} image")
        prepared = _prepare(image, mask, PHOTO_SHADING)
        return GarmentView(key, label, image, mask, PHOTO_SHADING, prepared, full_size)

    def full_image(self, key: Hashable) -> Image.Image | None:
        """The garment photo at its own size (PIL RGB, re-opened now), or None when the working
        image is all there is (drawn flats, uploads whose bytes were dropped)."""
        kind, ident = key
        if kind == "photo":
            return open_image(Path(ident))
        if kind == "upload" and key in self._upload_bytes:
            return open_image(self._upload_bytes[key], max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
        return None

    # ------------------------------------------------------------------ try-on
    def try_on(
        self,
        garment: GarmentView,
        tile: Image.Image,
        scale: float = 1.0,
        rotation: float = 0.0,
        tile_cm: float | None = None,
    ):
        """Composite the pattern ``tile`` onto ``garment`` at the user's ``scale`` (or a fabric
        tile's real size ``tile_cm``; see :meth:`magnification`) and ``rotation`` (degrees);
        returns compose's ``TryOn`` (``.rgb`` uint8 HxWx3 at the garment's working size)."""
        from aifashion.compose import apply_pattern

        m = self.magnification(garment, tile, scale, tile_cm)
        return apply_pattern(garment.prepared, tile, scale=m, rotation=float(rotation))

    def full_try_on(
        self,
        garment: GarmentView,
        tile: Image.Image,
        scale: float = 1.0,
        rotation: float = 0.0,
        tile_cm: float | None = None,
    ) -> np.ndarray | None:
        """The try-on at the photo's own size (up to 40 MP): uint8 ``(H, W, 3)``, or None when
        the working size is the photo's size (then the preview's ``try_on`` is the download).

        The working-size mask is upsampled with ``compose.refine_mask`` (guided by the full photo,
        so edges stay on the garment) and the pattern is laid with the same tile, rotation and
        shading, magnified by full / working size: the pattern covers the same share of the
        garment as in the preview. Computed per call; nothing full-size is kept.
        """
        from aifashion.compose import refine_mask, try_on

        full = self.full_image(garment.key)
        if full is None or full.size == garment.image.size:
            return None
        m = self.magnification(garment, tile, scale, tile_cm) * max(full.size) / max(garment.image.size)
        photo = np.asarray(full)
        del full
        mask = refine_mask(garment.mask, photo)
        shading = garment.shading if isinstance(garment.shading, str) else PHOTO_SHADING
        return try_on(photo, mask, tile, scale=m, rotation=float(rotation), shading=shading).rgb

    def render_download(
        self, category: str, seed: int, size: int, mix=None, fmt: str = "PNG", palette: str | None = None
    ) -> tuple[bytes, str]:
        """Render the pattern at ``size`` (<= 4096, by the generator, not upscaled; recoloured to
        ``palette`` if given) and encode it; returns (bytes, file name). Not cached: big renders
        are one-offs."""
        size = int(size)
        if not 16 <= size <= MAX_DOWNLOAD_SIZE:
            raise ValueError(f"pattern size must be between 16 and {MAX_DOWNLOAD_SIZE}, not {size}")
        if mix is not None and float(mix[1]) <= 0.0:
            mix = None
        img = self.generator.render(category, int(seed), size, mix=mix)
        if palette is not None:  # recoloured here (as render(palette=) does): any generator object works
            from aifashion.gan.palette import recolor

            img = recolor(img, palette)
        suffix = DOWNLOAD_FORMATS[fmt.upper()][2]
        mixname = f"-{mix[0]}{round(float(mix[1]) * 100)}" if mix is not None else ""
        palname = f"-{palette}" if palette is not None and "#" not in palette else ""
        return encode_image(img, fmt), f"pattern-{category}{mixname}{palname}-seed{int(seed)}-{size}.{suffix}"
