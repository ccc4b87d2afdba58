"""The dashboard's state and pipeline, without any widget: one ``TryOnSession`` per browser
session (Voila gives each session its own kernel, so each gets its own object).

The widgets in :mod:`aifashion.dashboard.app` only read controls and call these methods, so the
whole callback chain can be tested and timed without a browser (``bench/dashboard_latency.py``).

Images: PIL RGB (uint8, 0..255) in and out; masks are float32 ``HxW`` arrays in [0, 1] at the
garment image's size. Photos are segmented and previewed at working size (longest side
``work_size``); :meth:`TryOnSession.full_try_on` composites the download at the photo's own size,
re-opening the photo (a sample's file, an upload's kept bytes) only for that call. With a parts
segmenter the user chooses which garments of a photo take the pattern
(:meth:`TryOnSession.choose_parts`); the photo's shading is computed once, under the whole garment.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from aifashion.dashboard.cache import LRU
from aifashion.dashboard.images import MAX_DOWNLOAD_SIZE, fit_within
from aifashion.dashboard.loading import sample_labels
from aifashion.dashboard.parts import ordered_parts, part_mask, parts_found
from aifashion.imageio import MAX_BYTES, MAX_PIXELS, UPLOAD_FORMATS, ImageError, open_image

if TYPE_CHECKING:
    from aifashion.segment import Masks

__all__ = ["TryOnSession", "GarmentView", "GARMENT_WIDTH_CM", "MAX_DOWNLOAD_SIZE", "garment_width_px", "photo_shading"]

#: The real-world width assumed for a garment (its mask's widest extent) when a fabric tile's size
#: is given in centimetres: an adult's t-shirt or dress seen from the front is about 50 cm wide.
GARMENT_WIDTH_CM = 50.0
#: Uploaded files' bytes kept for full-size downloads, at most (the oldest are dropped first:
#: their downloads fall back to the working size).
KEEP_UPLOAD_BYTES = 60_000_000


@dataclass(frozen=True)
class GarmentView:
    """A garment ready for try-on.

    image: PIL RGB at working size (longest side <= ``work_size``).
    mask: float32 ``HxW`` in [0, 1], 1 where the pattern goes: the whole garment, or the chosen
        ``parts`` (:func:`~aifashion.dashboard.parts.part_mask`; all 0 when none is chosen).
    shading: float32 ``HxW`` (~1.0 typical): the drawn flat's shading, or a photo's
        :func:`photo_shading` under the whole garment (the same map for every choice of parts),
        passed to ``prepare_garment``.
    label: what the picker shows.
    full_size: (width, height) of the photo itself (downloads are composited at this size);
        the working size for drawn flats.
    prepared: ``compose.PreparedGarment`` (feathered mask, shading coefficients) of ``mask``, made
        once per garment and choice of parts so that a new pattern or a slider move pays only
        ``compose.apply_pattern``; None for a parts photo's whole garment, which
        :meth:`TryOnSession.try_on` prepares on first use (a parts photo opens on its largest part).
    masks: the segmenter's ``Masks`` of a photo at working size (``.garment`` float32 ``HxW``,
        ``.parts`` float32 ``(K, H, W)`` or None, ``.part_names``), None for drawn flats;
        part_ids: uint8 ``HxW``, each pixel's most likely part id (``Masks.part_ids()``) or None.
    parts_found: {part: fraction of the photo in [0, 1]}, largest first, none under 0.5 %
        (:func:`~aifashion.dashboard.parts.parts_found`); {} without parts: no choice offered.
    parts: the parts ``mask`` covers, in ``masks.part_names`` order (``()``: none); None: the
        whole garment.
    """

    key: Hashable
    label: str
    image: Image.Image
    mask: np.ndarray
    shading: np.ndarray | str | None = None
    prepared: Any = None
    full_size: tuple[int, int] | None = None
    masks: Masks | None = None
    parts_found: dict[str, float] = field(default_factory=dict)
    parts: tuple[str, ...] | None = None
    part_ids: np.ndarray | None = None


def _prepare(image: Image.Image, mask: np.ndarray, shading: np.ndarray | str | None, ids: np.ndarray | None = None):
    """The one place a garment is prepared (``compose.prepare_garment``) for the dashboard: the
    pattern bends along the folds (``compose.drape.WARP``) and, given a parts model's ``ids``
    (``Masks.part_ids()``), each garment takes its own pattern origin."""
    from aifashion.compose import prepare_garment
    from aifashion.compose.drape import WARP

    return prepare_garment(np.asarray(image), mask, shading=shading, warp=WARP, placement=ids)


def photo_shading(image: Image.Image | np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A photo's shading under the garment ``mask`` (float32 ``HxW`` in [0, 1]): float32 ``HxW``,
    ~1.0 at the garment's typical brightness, from its intrinsic split
    (``compose.intrinsic_shading``: folds, seams and edges kept, a printed garment's old print
    taken out). Computed under the whole garment once per photo and used for every choice of
    parts; identical to ``prepare_garment(..., shading="intrinsic")`` with that mask."""
    from aifashion.compose import intrinsic_shading

    return intrinsic_shading(np.asarray(image), mask)


def garment_width_px(mask: np.ndarray) -> int:
    """The garment's widest extent in pixels: the width of the box around ``mask > 0.5`` (float
    ``HxW`` in [0, 1]); the image's width when the mask is empty."""
    cols = np.flatnonzero((np.asarray(mask) > 0.5).any(axis=0))
    return int(cols[-1] - cols[0] + 1) if cols.size else int(np.asarray(mask).shape[1])


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
        self._patterns = LRU(8)
        self._garments = LRU(12)  # key -> GarmentView (segmentation cached here)
        self._chosen = LRU(6)  # (key, parts) -> GarmentView with those parts prepared
        self._uploads: dict[Hashable, tuple[Image.Image, str, tuple[int, int]]] = {}
        self._upload_bytes: OrderedDict[Hashable, bytes] = OrderedDict()  # for full-size downloads
        self._recolored = LRU(8)
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
        return out + [self.photo_choice(p) for p in self.sample_photos]

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
        """The garment for ``key`` with the whole garment's mask (``parts`` None); photos are
        segmented once and cached."""
        return self._garments.get(key, lambda: self._load_garment(key))

    def has_garment(self, key: Hashable) -> bool:
        """Whether :meth:`garment` has ``key`` cached (then it answers without segmenting)."""
        return key in self._garments

    def forget(self, *, garments: bool = False, choices: bool = False) -> None:
        """Drop cached work, so that it is done again (benchmarks time the uncached path):
        ``garments``, the loaded garments (a photo's next :meth:`garment` segments it again);
        ``choices``, the garments prepared per choice of parts (:meth:`choose_parts`)."""
        if garments:
            self._garments.clear()
        if choices:
            self._chosen.clear()

    def default_parts(self, view: GarmentView) -> tuple[str, ...] | None:
        """The parts ticked when a garment is picked: the largest found, as a 1-tuple; None (the
        whole garment) when the segmenter found no parts (a 3-class model, drawn flats)."""
        return (next(iter(view.parts_found)),) if view.parts_found else None

    def choose_parts(self, view: GarmentView, parts: str | list[str] | tuple[str, ...] | None) -> GarmentView:
        """``view``'s garment with only ``parts`` patterned (names of ``view.masks.part_names``;
        ``()``: none, the photo stays as it is; None: the whole garment). The returned view's
        ``mask`` is :func:`~aifashion.dashboard.parts.part_mask` (the garment where the most likely
        part is a chosen one) and its ``prepared`` is made for that mask with the photo's shading
        computed once under the whole garment; cached per (garment, parts).
        Raises ValueError for an unknown part or a garment without parts (unless ``parts`` is None).
        """
        names = ordered_parts(getattr(view.masks, "part_names", ()), parts)
        if names == view.parts:
            return view
        if names is None and self.has_garment(view.key):
            return self.garment(view.key)
        return self._chosen.get((view.key, names), lambda: self._with_parts(view, names))

    def _with_parts(self, view: GarmentView, names: tuple[str, ...] | None) -> GarmentView:
        m = view.masks
        mask = np.asarray(m.garment, np.float32) if names is None else part_mask(m, names)
        return replace(view, mask=mask, prepared=_prepare(view.image, mask, view.shading, view.part_ids), parts=names)

    def photo_choice(self, path: str | Path) -> tuple[str, Hashable]:
        """(label, key) of a garment photo on disk, for the picker (a sample photo or any other)."""
        path = Path(path)
        return f"Photo: {self.sample_labels.get(path) or sample_labels([path])[path]}", ("photo", str(path))

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
            label = self.photo_choice(ident)[0]
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
        shading = photo_shading(image, mask)  # once per photo, whatever parts are chosen later
        found, ids = parts_found(masks), masks.part_ids()
        # a parts model's photo is prepared per choice of parts (:meth:`choose_parts`), so the whole
        # garment is not prepared here only to be replaced by the largest part's at once
        prepared = None if found else _prepare(image, mask, shading, ids)
        return GarmentView(key, label, image, mask, shading, prepared, full_size, masks, found, None, ids)

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
    def try_on(self, garment: GarmentView, tile: Image.Image, scale=1.0, rotation=0.0, tile_cm: float | None = None):
        """Composite the pattern ``tile`` onto ``garment`` at the user's ``scale`` (or a fabric
        tile's real size ``tile_cm``; see :meth:`magnification`) and ``rotation`` (degrees);
        returns compose's ``TryOn`` (``.rgb`` uint8 HxWx3 at the garment's working size)."""
        from aifashion.compose import apply_pattern

        m = self.magnification(garment, tile, scale, tile_cm)
        prepared = garment.prepared
        if prepared is None:  # a parts photo's whole garment: prepared on first use, then cached
            key = (garment.key, None)
            prepared = self._chosen.get(key, lambda: self._with_parts(garment, None)).prepared
        return apply_pattern(prepared, tile, scale=m, rotation=float(rotation))

    def full_try_on(
        self, garment: GarmentView, tile: Image.Image, scale=1.0, rotation=0.0, tile_cm: float | None = None
    ) -> np.ndarray | None:
        """The try-on at the photo's own size (up to 40 MP): uint8 ``(H, W, 3)``, or None when
        the working size is the photo's size (then the preview's ``try_on`` is the download).

        The working-size mask (the chosen parts' or the whole garment's) is upsampled with
        ``compose.refine_mask`` (guided by the full photo, so edges stay on the garment) and the
        pattern is laid with the same tile, rotation and shading, magnified by full / working size.
        The shading is :func:`photo_shading` under the whole garment at full size (with parts
        chosen, its mask resized bilinearly: the split works on at most 1 MP anyway); with no part
        chosen the photo comes back unchanged. Computed per call; nothing full-size is kept.
        """
        from aifashion.compose import refine_mask, resize_mask, try_on
        from aifashion.compose.drape import WARP

        full = self.full_image(garment.key)
        if full is None or full.size == garment.image.size:
            return None
        m = self.magnification(garment, tile, scale, tile_cm) * max(full.size) / max(garment.image.size)
        photo = np.asarray(full)
        del full
        if garment.parts == ():
            return photo
        mask = refine_mask(garment.mask, photo)
        whole = mask if garment.parts is None else resize_mask(garment.masks.garment, *photo.shape[:2])
        shading = photo_shading(photo, whole)
        place = None
        if garment.part_ids is not None:  # each garment its own origin, as in the preview
            place = np.asarray(Image.fromarray(garment.part_ids).resize(photo.shape[1::-1], Image.NEAREST))
        return try_on(
            photo, mask, tile, scale=m, rotation=float(rotation), shading=shading, warp=WARP, placement=place
        ).rgb
