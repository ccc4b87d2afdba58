"""Clothing Co-Parsing (CCP) labels, the fixed train/validation split, resident data, augmentation.

Label grouping (ids from CCP's ``labels.txt``) -- a design decision stated here:

- **garment** (what a pattern is put on): woven/knitted body garments -- tops, dresses, skirts,
  trousers, jackets, coats, sweaters, underwear and swimwear.
- **person** (person but not garment): skin, hair, shoes, bags, belts, hats, scarves, socks,
  tights and stockings, glasses, jewellery and other accessories.
- **background**: id 0 (``null``).

Split: photos are sorted by id; the **last 100** (ids 0889..1004 of the 854 present) are the
validation split, never seen in training. No randomness is involved, so every run and every
machine uses the same split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from aifashion.segment.model import IMAGENET_MEAN, IMAGENET_STD

#: CCP label ids that count as garment.
GARMENT_LABELS: dict[int, str] = {
    4: "blazer",
    5: "blouse",
    6: "bodysuit",
    8: "bra",
    10: "cape",
    11: "cardigan",
    13: "coat",
    14: "dress",
    22: "hoodie",
    23: "intimate",
    24: "jacket",
    25: "jeans",
    26: "jumper",
    27: "leggings",
    30: "panties",
    31: "pants",
    35: "romper",
    38: "shirt",
    40: "shorts",
    42: "skirt",
    46: "suit",
    48: "sweater",
    49: "sweatshirt",
    50: "swimwear",
    51: "t-shirt",
    54: "top",
    55: "vest",
}
#: CCP label ids that count as person-but-not-garment.
PERSON_LABELS: dict[int, str] = {
    1: "accessories",
    2: "bag",
    3: "belt",
    7: "boots",
    9: "bracelet",
    12: "clogs",
    15: "earrings",
    16: "flats",
    17: "glasses",
    18: "gloves",
    19: "hair",
    20: "hat",
    21: "heels",
    28: "loafers",
    29: "necklace",
    32: "pumps",
    33: "purse",
    34: "ring",
    36: "sandals",
    37: "scarf",
    39: "shoes",
    41: "skin",
    43: "sneakers",
    44: "socks",
    45: "stockings",
    47: "sunglasses",
    52: "tie",
    53: "tights",
    56: "wallet",
    57: "watch",
    58: "wedges",
}
CLASS_NAMES = ("background", "person", "garment")
#: The garment parts (6-class scheme: 0 background, 1 person, then these from 2 on). Their union is
#: ``GARMENT_LABELS``; a user picks a part to try a pattern on.
PART_GROUPS: dict[str, tuple[str, ...]] = {
    "top": (
        "blouse", "bodysuit", "bra", "hoodie", "intimate", "jumper",
        "shirt", "sweater", "sweatshirt", "t-shirt", "top",
    ),
    "outer": ("blazer", "cape", "cardigan", "coat", "jacket", "vest"),
    "bottom": ("jeans", "leggings", "panties", "pants", "shorts", "skirt"),
    "full": ("dress", "romper", "suit", "swimwear"),
}  # fmt: skip
PART_NAMES = tuple(PART_GROUPS)
PARTS_CLASS_NAMES = ("background", "person", *PART_NAMES)
#: label value of each part in the 6-class scheme
PART_IDS = {name: 2 + i for i, name in enumerate(PART_NAMES)}
IGNORE = 255  # label value for padding: no loss, no metric
VAL_COUNT = 100
MEAN, STD = IMAGENET_MEAN, IMAGENET_STD
#: padding colour of resident images (ImageNet mean; padded pixels are IGNORE in the labels)
MEAN_RGB_U8 = tuple(int(round(m * 255)) for m in MEAN)


def group_lut(parts: bool = False) -> np.ndarray:
    """uint8 lookup table (256,) mapping CCP label ids to 0 background / 1 person / 2 garment, or with
    ``parts`` to 0 background / 1 person / 2 top / 3 outer / 4 bottom / 5 full-body (:data:`PART_GROUPS`)."""
    lut = np.zeros(256, dtype=np.uint8)
    for i in PERSON_LABELS:
        lut[i] = 1
    part_of = {name: PART_IDS[part] for part, names in PART_GROUPS.items() for name in names}
    for i, name in GARMENT_LABELS.items():
        lut[i] = part_of[name] if parts else 2
    lut[IGNORE] = IGNORE
    return lut


def ccp_ids(ccp_dir: str | Path) -> list[str]:
    """Sorted photo ids (e.g. ``'0001'``) that have both a photo and a mask."""
    ccp_dir = Path(ccp_dir)
    if not (ccp_dir / "photos").is_dir() or not (ccp_dir / "masks").is_dir():
        raise FileNotFoundError(f"{ccp_dir} is not a clothing-co-parsing folder (photos/ and masks/)")
    masks = {p.stem for p in (ccp_dir / "masks").glob("*.png")}
    return sorted(p.stem for p in (ccp_dir / "photos").glob("*.jpg") if p.stem in masks)


def ccp_split(ccp_dir: str | Path, val_count: int = VAL_COUNT) -> tuple[list[str], list[str]]:
    """(train ids, validation ids): the last ``val_count`` ids by sort order are validation."""
    ids = ccp_ids(ccp_dir)
    if len(ids) <= val_count:
        raise ValueError(f"{ccp_dir} holds {len(ids)} photos; need more than {val_count}")
    return ids[:-val_count], ids[-val_count:]


def fit_size(h: int, w: int, input_size: int) -> tuple[int, int]:
    """(h, w) after resizing so that the longest side equals ``input_size`` (aspect kept)."""
    s = input_size / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


def padded(n: int, multiple: int = 32) -> int:
    return int(math.ceil(n / multiple) * multiple)


def load_ccp_pair(ccp_dir: Path, pid: str, parts: bool = False) -> tuple[Image.Image, np.ndarray]:
    """(RGB photo, grouped label array HxW uint8 in {0,1,2} -- with ``parts`` in 0..5, see
    :func:`group_lut`) at full resolution."""
    from aifashion.imageio import open_image

    img = open_image(ccp_dir / "photos" / f"{pid}.jpg")
    raw = np.asarray(Image.open(ccp_dir / "masks" / f"{pid}.png"))
    if raw.shape != (img.height, img.width):
        raise ValueError(f"mask {pid}.png is {raw.shape}, photo is {(img.height, img.width)}")
    return img, group_lut(parts)[raw]


@dataclass
class ResidentSegData:
    """Training photos decoded once, each fitted inside one canvas (aspect kept) and padded.

    images: uint8 (N, 3, H, W) with padding filled by the ImageNet mean colour.
    labels: uint8 (N, H, W) in {0, 1, 2}; padding is ``IGNORE``.
    ids: one name per photo (e.g. ``'ccp/0001'``).
    """

    images: torch.Tensor
    labels: torch.Tensor
    ids: list[str]

    @classmethod
    def from_pairs(cls, pairs, canvas: tuple[int, int], progress: bool = True, desc: str = "decode") -> ResidentSegData:
        """``pairs``: iterable of ``(id, RGB PIL photo, uint8 HxW labels)``; ``canvas``: (H, W),
        multiples of 32. Each photo is resized to fit inside the canvas (bilinear; labels nearest)."""
        from tqdm.auto import tqdm

        H, W = canvas
        imgs, labs, ids = [], [], []
        for pid, img, lab in tqdm(pairs, desc=desc, disable=not progress, leave=False):
            s = min(H / img.height, W / img.width)
            h, w = min(H, max(1, round(img.height * s))), min(W, max(1, round(img.width * s)))
            x = np.empty((H, W, 3), np.uint8)
            x[:] = MEAN_RGB_U8
            x[:h, :w] = np.asarray(img.resize((w, h), Image.BILINEAR, reducing_gap=2.0))
            y = np.full((H, W), IGNORE, np.uint8)
            y[:h, :w] = np.asarray(Image.fromarray(lab).resize((w, h), Image.NEAREST))
            imgs.append(torch.from_numpy(x).permute(2, 0, 1))
            labs.append(torch.from_numpy(y))
            ids.append(pid)
        if not ids:
            raise ValueError("no training photos")
        return cls(torch.stack(imgs), torch.stack(labs), ids)

    @classmethod
    def from_ccp(cls, ccp_dir, ids, input_size: int, progress: bool = True, parts: bool = False) -> ResidentSegData:
        """CCP photos at ``input_size`` (longest side); the canvas is the portrait CCP frame
        (``input_size`` x the padded width of a 550x830 photo). ``parts``: 6-class labels."""
        ccp_dir = Path(ccp_dir)
        pairs = ((pid, *load_ccp_pair(ccp_dir, pid, parts)) for pid in ids)
        return cls.from_pairs(pairs, ccp_canvas(input_size), progress, desc="decode CCP")

    @staticmethod
    def concat(parts: list[ResidentSegData]) -> ResidentSegData:
        """One data set from several with the same canvas."""
        return ResidentSegData(
            torch.cat([p.images for p in parts]),
            torch.cat([p.labels for p in parts]),
            [i for p in parts for i in p.ids],
        )


def ccp_canvas(input_size: int) -> tuple[int, int]:
    """(H, W) training canvas at ``input_size``: CCP photos are portrait, 550 px wide, 806-872 tall."""
    h, w = fit_size(830, 550, input_size)
    return padded(h), padded(w)


def load_textures(
    fabric_dir: str | Path | None, size: int = 192, limit: int = 120, seed: int = 0
) -> torch.Tensor | None:
    """Fabric photos as uint8 (N, 3, size, size) backgrounds for copy-paste, or None if absent."""
    if fabric_dir is None or not Path(fabric_dir).is_dir():
        return None
    files = sorted(p for p in Path(fabric_dir).rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        return None
    rng = np.random.default_rng(seed)
    files = [files[i] for i in sorted(rng.choice(len(files), min(limit, len(files)), replace=False))]
    out = []
    for f in files:
        im = Image.open(f)
        im.draft("RGB", (size * 2, size * 2))
        im = im.convert("RGB").resize((size, size), Image.BILINEAR)
        out.append(torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1))
    return torch.stack(out)


def to_uint8_images(x: torch.Tensor, mean: tuple[float, ...] = MEAN, std: tuple[float, ...] = STD) -> np.ndarray:
    """Undo the input normalisation for display: float (B, 3, H, W) normalised with ``mean``/``std``
    -> uint8 (B, H, W, 3) in 0..255."""
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x.float() * s + m).clamp(0, 1) * 255 + 0.5).byte().permute(0, 2, 3, 1).numpy()
