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
import torch.nn.functional as F
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
IGNORE = 255  # label value for padding: no loss, no metric
VAL_COUNT = 100
MEAN, STD = IMAGENET_MEAN, IMAGENET_STD
#: padding colour of resident images (ImageNet mean; padded pixels are IGNORE in the labels)
MEAN_RGB_U8 = tuple(int(round(m * 255)) for m in MEAN)


def group_lut() -> np.ndarray:
    """uint8 lookup table (256,) mapping CCP label ids to 0 background / 1 person / 2 garment."""
    lut = np.zeros(256, dtype=np.uint8)
    for i in PERSON_LABELS:
        lut[i] = 1
    for i in GARMENT_LABELS:
        lut[i] = 2
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


def load_ccp_pair(ccp_dir: Path, pid: str) -> tuple[Image.Image, np.ndarray]:
    """(RGB photo, grouped label array HxW uint8 in {0,1,2}) at full resolution."""
    from aifashion.imageio import open_image

    img = open_image(ccp_dir / "photos" / f"{pid}.jpg")
    raw = np.asarray(Image.open(ccp_dir / "masks" / f"{pid}.png"))
    if raw.shape != (img.height, img.width):
        raise ValueError(f"mask {pid}.png is {raw.shape}, photo is {(img.height, img.width)}")
    return img, group_lut()[raw]


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
    def from_ccp(cls, ccp_dir, ids, input_size: int, progress: bool = True) -> ResidentSegData:
        """CCP photos at ``input_size`` (longest side); the canvas is the portrait CCP frame
        (``input_size`` x the padded width of a 550x830 photo)."""
        ccp_dir = Path(ccp_dir)
        return cls.from_pairs(
            ((pid, *load_ccp_pair(ccp_dir, pid)) for pid in ids), ccp_canvas(input_size), progress, desc="decode CCP"
        )

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


def _rand(g: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return torch.rand(n, generator=g) * (hi - lo) + lo


def _backgrounds(n: int, H: int, W: int, g: torch.Generator, textures: torch.Tensor | None) -> torch.Tensor:
    """Random backgrounds in [0, 1], (n, 3, H, W): plain colours with a gentle gradient,
    synthetic textures (stripes / low-frequency noise), or crops of fabric photos."""
    plain = torch.rand(n, 3, 1, 1, generator=g)
    light = torch.rand(n, 1, 1, 1, generator=g) < 0.5  # studio whites and greys are common
    plain = torch.where(light, 0.75 + 0.25 * torch.rand(n, 1, 1, 1, generator=g).expand(n, 3, 1, 1), plain)
    yy = torch.linspace(-1, 1, H).view(1, 1, H, 1)
    xx = torch.linspace(-1, 1, W).view(1, 1, 1, W)
    gx, gy = _rand(g, n, -0.15, 0.15).view(n, 1, 1, 1), _rand(g, n, -0.15, 0.15).view(n, 1, 1, 1)
    bg = (plain + gx * xx + gy * yy).expand(n, 3, H, W).clone()
    kind = torch.randint(0, 4, (n,), generator=g)  # 0,1 plain  2 synthetic  3 fabric
    syn = kind == 2
    if syn.any():
        k = int(syn.sum())
        noise = F.interpolate(torch.rand(k, 3, 6, 4, generator=g), size=(H, W), mode="bicubic", align_corners=False)
        freq = _rand(g, k, 5, 40).view(k, 1, 1, 1)
        ang = _rand(g, k, 0, math.pi).view(k, 1, 1, 1)
        stripes = 0.5 + 0.5 * torch.sin(freq * (xx * torch.cos(ang) + yy * torch.sin(ang)))
        c2 = torch.rand(k, 3, 1, 1, generator=g)
        mix = torch.where(torch.rand(k, 1, 1, 1, generator=g) < 0.5, stripes, noise.mean(1, keepdim=True))
        bg[syn] = (bg[syn] * mix + c2 * (1 - mix)).clamp(0, 1)
    fab = kind == 3
    if fab.any() and textures is not None:
        k = int(fab.sum())
        idx = torch.randint(0, textures.shape[0], (k,), generator=g)
        t = textures[idx].float() / 255.0
        bg[fab] = F.interpolate(t, size=(H, W), mode="bilinear", align_corners=False)
    return bg


@dataclass
class AugmentConfig:
    """Probabilities and ranges of the batch augmentation (see :func:`augment_batch`)."""

    copy_paste: float = 0.5  # paste the figure / only its garments onto a new background
    garment_only: float = 0.6  # share of copy-pastes that keep only garment pixels, framed like
    #                              a product shot (the garment fills 55..95% of the frame)
    zoom_in: float = 0.35  # share of samples with a close-up crop (zoom 1.3..3)
    scale: tuple[float, float] = (0.7, 1.2)
    shift: float = 0.2
    rotate_deg: float = 10.0
    jitter: float = 0.3  # brightness/contrast/saturation amplitude
    grayscale: float = 0.1


def augment_batch(
    images: torch.Tensor,
    labels: torch.Tensor,
    g: torch.Generator,
    textures: torch.Tensor | None = None,
    cfg: AugmentConfig | None = None,
    mean: tuple[float, ...] = MEAN,
    std: tuple[float, ...] = STD,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment a batch on the CPU.

    Args:
        images: uint8 (B, 3, H, W); labels: uint8 (B, H, W) in {0, 1, 2, IGNORE}.
        g: the random generator (the only source of randomness).
    Returns:
        x: float32 (B, 3, H, W), normalised ``(x - mean) / std`` (the model config's statistics);
        y: int64 (B, H, W) in {0, 1, 2, IGNORE}.
    Steps: copy-paste onto plain / synthetic / fabric backgrounds, random affine (flip, scale,
    shift, rotation, zoom-in crops; uncovered area becomes a plain background), colour jitter.
    """
    cfg = cfg or AugmentConfig()
    B, _, H, W = images.shape
    x = images.float() / 255.0
    y = labels.long()
    # 1. copy-paste: keep the figure (or only its garments), replace the rest
    cp = torch.rand(B, generator=g) < cfg.copy_paste
    product = torch.zeros(B, dtype=torch.bool)  # garment-only pastes: framed like a product shot
    if cp.any():
        k = int(cp.sum())
        bg = _backgrounds(k, H, W, g, textures)
        yk = y[cp]
        only_g = torch.rand(k, generator=g) < cfg.garment_only
        keep = torch.where(only_g.view(k, 1, 1), yk == 2, (yk == 1) | (yk == 2))
        keepf = keep.unsqueeze(1).float()
        x[cp] = x[cp] * keepf + bg * (1 - keepf)
        y[cp] = torch.where(keep, yk, torch.zeros_like(yk))
        product[cp] = only_g & (yk == 2).flatten(1).any(1)
    # 2. affine: output pixel p samples input at A p + t (normalised coordinates)
    zoom = torch.where(torch.rand(B, generator=g) < cfg.zoom_in, _rand(g, B, 1.3, 3.0), _rand(g, B, *cfg.scale))
    ang = _rand(g, B, -cfg.rotate_deg, cfg.rotate_deg) * math.pi / 180
    flip = torch.where(torch.rand(B, generator=g) < 0.5, -1.0, 1.0)
    inv = 1.0 / zoom
    shift_range = cfg.shift + (1 - inv).clamp(min=0)  # zoomed-in crops may go anywhere inside
    tx, ty = (torch.rand(B, generator=g) * 2 - 1) * shift_range, (torch.rand(B, generator=g) * 2 - 1) * shift_range
    if product.any():  # a garment alone fills 55..95% of the frame, roughly centred
        ys = torch.linspace(-1, 1, H).view(1, H, 1).expand(B, H, W)
        xs = torch.linspace(-1, 1, W).view(1, 1, W).expand(B, H, W)
        gm = y == 2
        big = torch.tensor(1e9)
        x0 = torch.where(gm, xs, big).flatten(1).min(1).values
        x1 = torch.where(gm, xs, -big).flatten(1).max(1).values
        y0 = torch.where(gm, ys, big).flatten(1).min(1).values
        y1 = torch.where(gm, ys, -big).flatten(1).max(1).values
        fill = _rand(g, B, 0.55, 0.95)
        fit = torch.minimum(2 / (x1 - x0).clamp(min=0.05), 2 / (y1 - y0).clamp(min=0.05)) * fill
        jx, jy = _rand(g, B, -0.1, 0.1), _rand(g, B, -0.1, 0.1)
        inv = torch.where(product, 1.0 / fit.clamp(0.8, 5.0), inv)
        tx = torch.where(product, (x0 + x1) / 2 + jx, tx)
        ty = torch.where(product, (y0 + y1) / 2 + jy, ty)
    cos, sin = torch.cos(ang) * inv, torch.sin(ang) * inv
    # rotation in pixel space expressed in normalised coordinates (H != W)
    theta = torch.stack(
        [torch.stack([cos * flip, -sin * H / W, tx], 1), torch.stack([sin * W / H * flip, cos, ty], 1)], 1
    )
    grid = F.affine_grid(theta, (B, 3, H, W), align_corners=False)
    valid = F.grid_sample(torch.ones(B, 1, H, W), grid, mode="nearest", padding_mode="zeros", align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    y = F.grid_sample(y.unsqueeze(1).float(), grid, mode="nearest", padding_mode="zeros", align_corners=False)
    y = y.squeeze(1).long()
    fill = _backgrounds(B, H, W, g, None)
    x = torch.where(valid > 0, x, fill)
    y = torch.where(valid[:, 0] > 0, y, torch.zeros_like(y))
    # 3. colour jitter
    j = cfg.jitter
    bright = _rand(g, B, 1 - j, 1 + j).view(B, 1, 1, 1)
    contrast = _rand(g, B, 1 - j, 1 + j).view(B, 1, 1, 1)
    sat = _rand(g, B, 1 - j, 1 + j).view(B, 1, 1, 1)
    gain = _rand(g, 3 * B, 0.92, 1.08).view(B, 3, 1, 1)
    gray = x.mean(1, keepdim=True)
    x = gray + (x - gray) * sat
    sat0 = torch.rand(B, generator=g) < cfg.grayscale
    x = torch.where(sat0.view(B, 1, 1, 1), x.mean(1, keepdim=True).expand_as(x), x)
    m = x.mean((1, 2, 3), keepdim=True)
    x = ((x - m) * contrast + m) * bright * gain
    x = x.clamp(0, 1)
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x - m) / s).contiguous(), y


def to_uint8_images(x: torch.Tensor, mean: tuple[float, ...] = MEAN, std: tuple[float, ...] = STD) -> np.ndarray:
    """Undo the input normalisation for display: float (B, 3, H, W) normalised with ``mean``/``std``
    -> uint8 (B, H, W, 3) in 0..255."""
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x.float() * s + m).clamp(0, 1) * 255 + 0.5).byte().permute(0, 2, 3, 1).numpy()
