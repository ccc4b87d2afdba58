"""Product shots (clothing-dataset-small) as segmentation training data in the 3-class scheme.

The photos have no masks of their own; ``tools/label_product_shots.py`` writes teacher masks
(U²-Net-p, post-processed and quality-checked) into a masks folder: ``<id>.png`` (0/255 at the
photo's size) and ``manifest.json`` with the kept photos' train / validation split (seeded,
stratified by garment class). An id is the photo's path inside the data set without its suffix,
e.g. ``'validation/dress/07cddef1-1fc8-47e4-a28a-613e60912590'``.

Labels follow :mod:`aifashion.segment.data` (0 background, 1 person-but-not-garment, 2 garment;
``IGNORE`` = 255 for padding): a product shot has no person, so its label map holds only 0
(background, hanger) and 2 (the garment). Hats and shoes are ``person`` in the CCP grouping: the
tool drops them by default; kept (``--accessories person``) their foreground is labelled 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

BACKGROUND, PERSON, GARMENT = 0, 1, 2  # label values, as in aifashion.segment.data.CLASS_NAMES
#: Class folders whose objects are person-but-not-garment (CCP groups hats and shoes as person).
ACCESSORY_CLASSES = ("hat", "shoes")
#: The garment part of each class folder (6-class scheme, :data:`aifashion.segment.data.PART_GROUPS`).
FOLDER_PARTS = {
    "t-shirt": "top",
    "shirt": "top",
    "longsleeve": "top",
    "outwear": "outer",
    "pants": "bottom",
    "shorts": "bottom",
    "skirt": "bottom",
    "dress": "full",
}
MANIFEST = "manifest.json"
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


def load_product_manifest(masks_dir: str | Path) -> dict:
    """The manifest written by ``tools/label_product_shots.py`` (``FileNotFoundError`` naming the
    tool when the folder has none)."""
    path = Path(masks_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; make the masks with: python tools/label_product_shots.py")
    return json.loads(path.read_text())


def product_split(masks_dir: str | Path) -> tuple[list[str], list[str]]:
    """(train ids, validation ids) of the kept product shots, each sorted; dropped photos are in neither."""
    split = load_product_manifest(masks_dir).get("split", {})
    train, val = sorted(split.get("train", [])), sorted(split.get("val", []))
    if set(train) & set(val):
        raise ValueError(f"{Path(masks_dir) / MANIFEST}: ids in both train and val")
    return train, val


def _check_id(pid: str) -> str:
    if not pid or Path(pid).is_absolute() or ".." in Path(pid).parts:
        raise ValueError(f"bad product id {pid!r}")
    return pid


def photo_path(photos_dir: str | Path, masks_dir: str | Path | None, pid: str) -> Path:
    """The photo file of ``pid``: ``photos_dir/<pid>.jpg`` (or .jpeg / .png). ``masks_dir`` is accepted
    for symmetry with :func:`load_product_pair` and not read."""
    _check_id(pid)
    for suffix in PHOTO_SUFFIXES:
        path = Path(photos_dir) / f"{pid}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no photo {pid}.jpg (or .jpeg / .png) in {photos_dir}")


def load_product_pair(
    photos_dir: str | Path, masks_dir: str | Path, pid: str, parts: bool = False
) -> tuple[Image.Image, np.ndarray]:
    """(RGB photo with EXIF orientation applied, uint8 label map (H, W) in {0, 2}) at full resolution.

    ``photos_dir`` is the data set's folder (``$AIFASHION_DATA/clothing-dataset-small``), ``masks_dir``
    the tool's output folder, ``pid`` an id from :func:`product_split`. A mask pixel > 127 is the
    object: garment (2), or person (1) for a photo in an :data:`ACCESSORY_CLASSES` folder. With
    ``parts`` the garment is labelled with its folder's part (:data:`FOLDER_PARTS`, ids 2..5).
    """
    from aifashion.imageio import open_image
    from aifashion.segment.data import PART_IDS

    img = open_image(photo_path(photos_dir, masks_dir, pid))
    mask_path = Path(masks_dir) / f"{pid}.png"
    if not mask_path.is_file():
        raise FileNotFoundError(f"no mask {mask_path}; run tools/label_product_shots.py")
    raw = np.asarray(Image.open(mask_path).convert("L"))
    if raw.shape != (img.height, img.width):
        raise ValueError(f"mask {pid}.png is {raw.shape}, photo is {(img.height, img.width)}")
    folder = Path(pid).parent.name
    label = PERSON if folder in ACCESSORY_CLASSES else GARMENT
    if parts and label == GARMENT:
        if folder not in FOLDER_PARTS:
            raise ValueError(f"product class folder {folder!r} has no garment part; known: {', '.join(FOLDER_PARTS)}")
        label = PART_IDS[FOLDER_PARTS[folder]]
    return img, np.where(raw > 127, label, BACKGROUND).astype(np.uint8)
