"""Segmenter inference: preprocessing, the ``Segmenter`` wrapper, weight files, the registry.

Weight files:
- ``.safetensors`` with a JSON sidecar (same stem, ``.json``) holding ``{"config": ...}``, or
  the config in the safetensors metadata under ``"aifashion_config"`` -- our exports have both.
- a training checkpoint ``.pt`` (ours; its EMA weights are used).
- for the ternaus reference: the release ``weights.zip`` holding a Lightning checkpoint, whose
  ``state_dict`` keys carry a ``"model."`` prefix that is stripped.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from aifashion.compose.arrays import argmax_planes
from aifashion.imageio import ImageSource, open_image
from aifashion.paths import WEIGHTS_DIR, cache_dir
from aifashion.registry import Registry
from aifashion.segment.model import IMAGENET_MEAN, IMAGENET_STD, SegmenterConfig, build_segmenter

from .data import PART_NAMES, fit_size, padded

#: the default segmenter: EfficientNet-Lite0 Unet fine-tuned on CCP + labelled product shots
DEFAULT_SEGMENTER = "aifashion-lite0"
SHIPPED_LITE0 = WEIGHTS_DIR / "segmenter_lite0.safetensors"
#: the "aifashion-ccp" segmenter: resnet18 Unet trained from scratch on CCP (the baseline)
SHIPPED_CCP = WEIGHTS_DIR / "segmenter.safetensors"

TERNAUS_URL = "https://github.com/ternaus/cloths_segmentation/releases/download/0.0.1/weights.zip"
#: sha256 of ``weights.zip``. Not known to us (nothing could be downloaded while this was
#: written), so it is None: the first download records the digest beside the file
#: (``weights.zip.sha256``) and every later use verifies it (trust on first use). Set it here
#: once known and every download is verified against it.
TERNAUS_SHA256: str | None = None
TERNAUS_CONFIG = SegmenterConfig(
    arch="Unet",
    encoder_name="timm-efficientnet-b3",
    encoder_depth=5,
    decoder_channels=(256, 128, 64, 32, 16),
    classes=1,
    input_size=640,
    class_names=("garment",),
)


def check_parts(parts: str | Sequence[str], valid: Sequence[str] = PART_NAMES) -> tuple[str, ...]:
    """Garment part names from a comma list ('top,bottom') or a sequence, checked against ``valid``
    (default top, outer, bottom, full); duplicates dropped, order kept. ValueError lists the valid names."""
    names = [p.strip() for p in (parts.split(",") if isinstance(parts, str) else parts)]
    if not names or any(not n for n in names):
        raise ValueError(f"name one or more garment parts: {', '.join(valid)}")
    bad = [n for n in names if n not in valid]
    if bad:
        raise ValueError(f"unknown garment part {bad[0]!r}; valid parts: {', '.join(valid)}")
    return tuple(dict.fromkeys(names))


@dataclass
class Masks:
    """Per-pixel probabilities at the input image's size.

    garment: float32 (H, W) in [0, 1] -- P(garment) (for a parts model: the sum over the parts).
    person: float32 (H, W) in [0, 1] -- P(any part of the person, garment included) =
        1 - P(background); so ``person >= garment``. For the binary ternaus model it equals
        the garment mask (that model knows no person class).
    parts: float32 (K, H, W) in [0, 1] -- P(part k) for each of ``part_names`` (a parts model:
        top, outer, bottom, full; they sum to ``garment``), or None for a 3-class model.
    part_names: the names of ``parts``' planes (empty without parts).
    """

    garment: np.ndarray
    person: np.ndarray
    parts: np.ndarray | None = None
    part_names: tuple[str, ...] = ()

    def select(self, parts: Sequence[str] | None = None) -> np.ndarray:
        """float32 (H, W) in [0, 1]: the mask of the garments a user chose -- ``garment``
        (P(garment)) where the most likely part is one of ``parts``, 0 elsewhere (None: every
        garment, ``garment`` itself). Unlike the chosen parts' summed probability (often well
        under 0.5 where the model hesitates between two parts) it patterns a chosen garment fully
        and leaves the others untouched. Raises ValueError for a name not in ``part_names``
        (listing them) or when the model tells no parts apart."""
        if parts is None:
            return self.garment
        if not self.part_names:
            raise ValueError("this segmenter tells no garment parts apart (it knows one garment class)")
        chosen = np.zeros(2 + len(self.part_names), bool)
        chosen[[2 + self.part_names.index(n) for n in check_parts(parts, self.part_names)]] = True
        return np.where(chosen[self.part_ids()], self.garment, np.float32(0)).astype(np.float32, copy=False)

    def part_ids(self) -> np.ndarray | None:
        """uint8 (H, W): each pixel's most likely part as a part id (2 + k, as :meth:`part_map`
        and ``segment.data.PART_IDS``), wherever it is -- garment or not; None without parts.
        ``compose.prepare_garment(..., placement=)`` takes it: each garment its own pattern origin."""
        if self.parts is None:
            return None
        ids = argmax_planes(self.parts)
        ids += np.uint8(2)
        return ids

    def part_areas(self, threshold: float = 0.5) -> dict[str, float]:
        """{part: fraction of the photo in [0, 1]} for the parts :meth:`part_map` finds, largest
        first (parts covering no pixel are left out; {} without parts)."""
        if not self.part_names:
            return {}
        counts = np.bincount(self.part_map(threshold).ravel(), minlength=2 + len(self.part_names))[2:]
        total = self.garment.size
        areas = {n: float(c) / total for n, c in zip(self.part_names, counts) if c > 0}
        return dict(sorted(areas.items(), key=lambda kv: -kv[1]))

    def part_map(self, threshold: float = 0.5) -> np.ndarray:
        """uint8 (H, W) part ids: 0 background, 1 person-not-garment, 2 + k the most likely part k
        where ``garment > threshold`` (a model without parts: 2 for every garment pixel)."""
        out = (self.person > threshold).astype(np.uint8)
        g = self.garment > threshold
        if self.parts is None:
            out[g] = 2
        else:
            out[g] = self.part_ids()[g]
        return out


def preprocess(
    img: Image.Image, input_size: int, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD
) -> tuple[torch.Tensor, tuple[int, int]]:
    """RGB PIL image -> (float32 (3, Hp, Wp) normalised ``(x/255 - mean) / std``, (h, w) of the unpadded part).

    The longest side is resized to ``input_size`` (bilinear), the result is padded at the
    right/bottom to a multiple of 32 with zeros (= the mean colour after normalisation).
    """
    h, w = fit_size(img.height, img.width, input_size)
    arr = np.asarray(img.resize((w, h), Image.BILINEAR, reducing_gap=2.0), dtype=np.float32) / 255.0
    m, s = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1), torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    x = (torch.from_numpy(arr).permute(2, 0, 1) - m) / s
    out = torch.zeros(3, padded(h), padded(w))
    out[:, :h, :w] = x
    return out, (h, w)


class Segmenter:
    """A trained segmentation network plus its preprocessing.

    ``predict(image) -> Masks``; ``predict_batch(images) -> list[Masks]``. Images: anything
    :func:`aifashion.imageio.open_image` accepts (path, bytes, PIL of any mode, uint8/uint16/
    float array); EXIF orientation is honoured, so masks follow the displayed image.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        config: SegmenterConfig,
        device: str | torch.device = "cpu",
        name: str = "",
        info: dict | None = None,
    ) -> None:
        self.config = config
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.name = name
        self.info = info or {}

    @property
    def part_names(self) -> tuple[str, ...]:
        """The garment parts this model tells apart (top, outer, bottom, full), or () for 3 classes."""
        return tuple(self.config.class_names[2:]) if self.config.classes > 3 else ()

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised batch (B, 3, H, W) -> (B, 2 + K, H, W) float32: [P(garment), P(person), P(part k)...]
        with K = ``len(part_names)``."""
        x = x.to(self.device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            logits = self.model(x)
        logits = logits.float()
        if self.config.classes == 1:
            g = torch.sigmoid(logits[:, 0])
            return torch.stack([g, g], 1)
        p = torch.softmax(logits, 1)
        return torch.cat(
            [p[:, 2:].sum(1, keepdim=True), 1.0 - p[:, :1], p[:, 2:] if self.config.classes > 3 else p[:, :0]], 1
        )

    def predict_batch(self, images: Sequence[ImageSource], batch_size: int = 8) -> list[Masks]:
        """Masks for each image, each at its own input size (see :class:`Masks`)."""
        pils = [open_image(im) for im in images]
        out: list[Masks] = []
        for i in range(0, len(pils), batch_size):
            chunk = pils[i : i + batch_size]
            cfg = self.config
            prepped = [preprocess(im, cfg.input_size, cfg.mean, cfg.std) for im in chunk]
            Hp = max(t.shape[1] for t, _ in prepped)
            Wp = max(t.shape[2] for t, _ in prepped)
            x = torch.zeros(len(chunk), 3, Hp, Wp)
            for j, (t, _) in enumerate(prepped):
                x[j, :, : t.shape[1], : t.shape[2]] = t
            probs = self.probabilities(x)
            for j, (im, (_, (h, w))) in enumerate(zip(chunk, prepped)):
                p = probs[j : j + 1, :, :h, :w]
                p = F.interpolate(p, size=(im.height, im.width), mode="bilinear", align_corners=False)
                p = p[0].clamp(0, 1).cpu().numpy().astype(np.float32)
                parts = p[2:] if p.shape[0] > 2 else None
                out.append(Masks(p[0], np.maximum(p[1], p[0]), parts, self.part_names))
        return out

    def predict(self, image: ImageSource) -> Masks:
        """Masks of one image: float32 (H, W) in [0, 1] at the (EXIF-rotated) input size."""
        return self.predict_batch([image])[0]


# ---------------------------------------------------------------- weight files
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_safetensors(path: str | os.PathLike) -> tuple[dict, SegmenterConfig, dict]:
    """(float32 state dict, config, info) from an exported ``.safetensors`` (+ ``.json``)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"segmenter weights {path} not found")
    sidecar = path.with_suffix(".json")
    meta: dict = {}
    if sidecar.is_file():
        meta = json.loads(sidecar.read_text())
    else:
        with safe_open(str(path), framework="pt") as fh:
            md = fh.metadata() or {}
        if "aifashion_config" not in md:
            raise ValueError(f"{path} has no config: expected {sidecar.name} beside it or metadata")
        meta = {"config": json.loads(md["aifashion_config"])}
    state = {k: v.float() for k, v in load_file(str(path)).items()}
    return state, SegmenterConfig.from_dict(meta["config"]), meta


def export_segmenter(
    model: torch.nn.Module, config: SegmenterConfig, out: str | os.PathLike, info: dict | None = None
) -> Path:
    """Write fp16 ``out`` (.safetensors, config in metadata) and ``out.json`` (config + info)."""
    from safetensors.torch import save_file

    from aifashion.atomic import atomic_save, atomic_write_text

    out = Path(out)
    state = {
        k: v.detach().to("cpu", torch.float16).contiguous()
        for k, v in model.state_dict().items()
        if v.is_floating_point()
    }
    # integer buffers (BatchNorm's num_batches_tracked) are not needed for inference
    meta = {"aifashion_config": json.dumps(config.to_dict())}
    atomic_save(out, lambda p: save_file(state, str(p), metadata=meta))
    atomic_write_text(
        out.with_suffix(".json"), json.dumps({"config": config.to_dict(), **(info or {})}, indent=2) + "\n"
    )
    for f in (out, out.with_suffix(".json")):  # shipped files are readable by everyone
        f.chmod(0o644)
    return out


def _load_state(model: torch.nn.Module, state: dict) -> None:
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"weights do not fit the model: missing {missing[:3]}, unexpected {unexpected[:3]}")


def download_ternaus_weights(
    url: str = TERNAUS_URL,
    cache: str | os.PathLike | None = None,
    sha256: str | None = TERNAUS_SHA256,
    timeout: float = 60.0,
) -> Path:
    """Download the ternaus release zip into the cache (atomic) and verify its sha256.

    With ``sha256`` given, the file must match it. Without, the digest of the first download
    is recorded in ``weights.zip.sha256`` and later calls verify the file against it. Returns
    the zip's path; a file already in the cache is not downloaded again. A failed download
    raises ``FileNotFoundError`` (no weights), a digest mismatch ``ValueError``.
    """
    from aifashion.atomic import atomic_path, atomic_write_text

    folder = cache_dir(cache) / "segmenters" / "ternaus-2020-10-30"
    folder.mkdir(parents=True, exist_ok=True)
    dest, record = folder / "weights.zip", folder / "weights.zip.sha256"
    if not dest.is_file():
        with atomic_path(dest) as tmp:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as fh:
                    while chunk := resp.read(1 << 20):
                        fh.write(chunk)
            except OSError as exc:  # URLError, HTTPError, timeouts: no weights available
                raise FileNotFoundError(
                    f"could not download {url} ({exc}); download it by hand and "
                    "pass the zip as weights (--weights FILE)"
                ) from None
            digest = _sha256(tmp)
            if sha256 is not None and digest != sha256:
                raise ValueError(f"{url} has sha256 {digest}, expected {sha256}; not saved")
        if sha256 is None and not record.is_file():
            atomic_write_text(record, digest + "\n")
    digest = _sha256(dest)
    expected = sha256 or (record.read_text().strip() if record.is_file() else None)
    if expected is None:  # cached file from elsewhere: record it now
        atomic_write_text(record, digest + "\n")
    elif digest != expected:
        raise ValueError(f"{dest} has sha256 {digest}, expected {expected}; delete it to download again")
    return dest


def read_ternaus_zip(path: str | os.PathLike) -> dict:
    """State dict from the ternaus release zip: first ``.ckpt/.pth/.pt`` member, ``state_dict``
    with the ``"model."`` prefix stripped."""
    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        members = [m for m in zf.namelist() if m.endswith((".ckpt", ".pth", ".pt"))]
        if not members:
            raise ValueError(f"{path.name} holds no checkpoint (.ckpt/.pth/.pt)")
        data = zf.read(members[0])
    try:
        ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception:  # Lightning pickles hyper-parameters; the file's digest was verified
        ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else ckpt
    return {
        (k[len("model.") :] if k.startswith("model.") else k): v.float() for k, v in state.items() if torch.is_tensor(v)
    }


# ---------------------------------------------------------------- registry
SEGMENTERS: Registry[Segmenter] = Registry("segmenter")


def _from_file(path: Path) -> tuple[torch.nn.Module, SegmenterConfig, dict]:
    if path.suffix == ".safetensors":
        state, cfg, info = read_safetensors(path)
    elif path.suffix in (".pt", ".pth", ".ckpt"):
        from .export import read_segmenter_checkpoint

        ck = read_segmenter_checkpoint(path)
        cfg = SegmenterConfig.from_dict(ck["model_config"])
        state, info = ck.get("ema") or ck["model"], {"step": ck.get("step")}
    else:
        raise ValueError(f"unsupported weights file {path.name}; use .safetensors or .pt")
    model = build_segmenter(cfg)
    _load_state(model, state)
    return model, cfg, info


def _ours(name: str, shipped: Path, weights: str | os.PathLike | None, device) -> Segmenter:
    path = Path(weights) if weights is not None else shipped
    if weights is None and not path.is_file():
        raise FileNotFoundError(
            f"shipped segmenter weights {path} are missing; train with `aifashion train-segmenter` and pass --weights"
        )
    model, cfg, info = _from_file(path)
    return Segmenter(model, cfg, device, name=name, info=info)


@SEGMENTERS.register("aifashion-lite0")
def _aifashion_lite0(weights: str | os.PathLike | None = None, device="cpu", cache=None) -> Segmenter:
    return _ours("aifashion-lite0", SHIPPED_LITE0, weights, device)


@SEGMENTERS.register("aifashion-ccp")
def _aifashion_ccp(weights: str | os.PathLike | None = None, device="cpu", cache=None) -> Segmenter:
    return _ours("aifashion-ccp", SHIPPED_CCP, weights, device)


@SEGMENTERS.register("ternaus-2020-10-30")
def _ternaus(weights: str | os.PathLike | None = None, device="cpu", cache=None) -> Segmenter:
    path = Path(weights) if weights is not None else download_ternaus_weights(cache=cache)
    if not path.is_file():
        raise FileNotFoundError(f"ternaus weights {path} not found")
    if path.suffix == ".safetensors":
        model, cfg, info = _from_file(path)
    else:
        cfg, info = TERNAUS_CONFIG, {"source": TERNAUS_URL}
        model = build_segmenter(cfg)
        _load_state(model, read_ternaus_zip(path))
    return Segmenter(model, cfg, device, name="ternaus-2020-10-30", info=info)


def load_segmenter(
    name: str = DEFAULT_SEGMENTER,
    weights: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
    cache: str | os.PathLike | None = None,
) -> Segmenter:
    """Build a registered segmenter. ``weights=None``: the shipped file ('aifashion-lite0', 'aifashion-ccp') or
    the release download ('ternaus-2020-10-30', cached, sha256-checked). Unknown names raise
    ``UnknownNameError`` listing the valid ones."""
    return SEGMENTERS.get(name)(weights=weights, device=device, cache=cache)


def overlay(image: ImageSource, masks: Masks, alpha: float = 0.5, threshold: float = 0.5) -> Image.Image:
    """The photo with the garment tinted red and the rest of the person tinted blue.

    image: anything ``open_image`` accepts; masks: from ``predict`` on that image (same size).
    Returns an RGB PIL image of the input size.
    """
    img = np.asarray(open_image(image), dtype=np.float32)
    if masks.garment.shape != img.shape[:2]:
        raise ValueError(f"masks are {masks.garment.shape}, the image is {img.shape[:2]}")
    garment = (masks.garment > threshold)[..., None]
    person = ((masks.person > threshold) & ~(masks.garment > threshold))[..., None]
    out = img.copy()
    out = np.where(garment, (1 - alpha) * img + alpha * np.array([230, 40, 40], np.float32), out)
    out = np.where(person, (1 - alpha) * img + alpha * np.array([40, 90, 230], np.float32), out)
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))
