"""Pattern folders: any folder of class sub-folders of images is a pattern data set.

The class names are the sub-folder names, sorted; an image's label is the index of its folder
in that sorted list. Files that are not images, or that cannot be decoded, are skipped and
listed in :attr:`PatternFolder.skipped` with the reason, never fatal.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from aifashion.imageio import ImageError, image_to_array, open_image

#: File suffixes treated as images when scanning (case-insensitive).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


@dataclass
class PatternFolder:
    """The result of :func:`scan_pattern_folder`.

    Attributes:
        root: the folder that was scanned (absolute).
        classes: class names = sub-folder names, sorted.
        items: ``(path, class_index)`` for every image file kept, ordered by class then name.
        skipped: ``(path, reason)`` for every file left out (not an image, unreadable, ...).
    """

    root: Path
    classes: list[str]
    items: list[tuple[Path, int]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of kept items per class name (every class listed, zeros included)."""
        out = {c: 0 for c in self.classes}
        for _, label in self.items:
            out[self.classes[label]] += 1
        return out

    def __len__(self) -> int:
        return len(self.items)


def scan_pattern_folder(
    root: str | os.PathLike,
    classes: Sequence[str] | None = None,
    max_per_class: int | None = None,
    seed: int = 0,
) -> PatternFolder:
    """List the images of a folder of class sub-folders, without decoding them.

    Args:
        root: a folder whose sub-folders are classes (``root/<class>/<image>``). Hidden
            entries (names starting with ``.``) are ignored.
        classes: keep only these classes (in any order; the result lists them sorted). An
            unknown name raises ``ValueError`` listing the classes found.
        max_per_class: keep at most this many files per class, chosen at random with ``seed``
            (then re-sorted by name) so that small smoke sets are deterministic.
        seed: seed for that choice.

    Returns:
        A :class:`PatternFolder`. Files whose suffix is not an image suffix are put in
        ``skipped`` with the reason ``"not an image file"``. Decoding errors are only found by
        :func:`load_pattern_images`.

    Raises:
        FileNotFoundError: ``root`` does not exist. ValueError: ``root`` has no class
        sub-folder, or ``classes`` names a class that is not there.
    """
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"pattern folder {root} does not exist")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not found:
        raise ValueError(f"{root} has no class sub-folders (expected {root}/<class>/<image>)")
    if classes is not None:
        classes = list(dict.fromkeys(classes))
        unknown = [c for c in classes if c not in found]
        if unknown:
            raise ValueError(f"unknown class(es) {', '.join(unknown)} in {root}; classes found: {', '.join(found)}")
        if not classes:
            raise ValueError("classes is empty; give None for all classes")
        found = sorted(classes)
    if max_per_class is not None and max_per_class < 1:
        raise ValueError(f"max_per_class must be >= 1, not {max_per_class}")
    rng = random.Random(seed)
    items: list[tuple[Path, int]] = []
    skipped: list[tuple[Path, str]] = []
    for label, name in enumerate(found):
        files = sorted(p for p in (root / name).iterdir() if not p.name.startswith("."))
        images = []
        for p in files:
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                images.append(p)
            elif p.is_file():
                skipped.append((p, "not an image file"))
        if max_per_class is not None and len(images) > max_per_class:
            images = sorted(rng.sample(images, max_per_class))
        items.extend((p, label) for p in images)
    return PatternFolder(root=root, classes=found, items=items, skipped=skipped)


def resize_center_crop(img: Image.Image, size: int) -> Image.Image:
    """Resize so the shorter side is ``size`` (bicubic, antialiased), then centre-crop to a square.

    Args:
        img: any PIL image (converted to RGB first).
        size: output side in pixels (>= 1).

    Returns:
        An RGB PIL image of exactly ``size x size``.
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, not {size}")
    img = open_image(img)
    w, h = img.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    if (nw, nh) != (w, h):
        img = img.resize((nw, nh), Image.Resampling.BICUBIC, reducing_gap=3.0)
    left, top = (nw - size) // 2, (nh - size) // 2
    return img.crop((left, top, left + size, top + size))


def load_pattern_images(folder: PatternFolder, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode every item of ``folder`` into one array.

    Each image is opened with :func:`aifashion.imageio.open_image` (byte and pixel caps), made
    RGB, resized so its shorter side is ``size`` and centre-cropped to ``size x size``.
    Unreadable files are skipped and appended to ``folder.skipped`` (``(path, reason)``).

    Args:
        folder: from :func:`scan_pattern_folder`.
        size: output side in pixels.

    Returns:
        ``(images, labels)``: ``images`` uint8 of shape ``(N, size, size, 3)``, values 0..255,
        RGB; ``labels`` int64 of shape ``(N,)``, indices into ``folder.classes``. ``N`` is the
        number of items that decoded.
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, not {size}")
    images = np.empty((len(folder.items), size, size, 3), dtype=np.uint8)
    labels = np.empty((len(folder.items),), dtype=np.int64)
    n = 0
    for path, label in folder.items:
        try:
            img = open_image(path)
        except ImageError as exc:
            folder.skipped.append((path, str(exc)))
            continue
        images[n] = image_to_array(resize_center_crop(img, size))
        labels[n] = label
        n += 1
    return images[:n].copy() if n < len(images) else images, labels[:n].copy()
