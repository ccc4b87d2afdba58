"""Training the pattern classifier: a stratified held-out split, the loop, accuracy on views.

Only training code (the tools and notebook 02 train a classifier where none is shipped) imports
this module; inference (:mod:`aifashion.metrics.classifier`, :mod:`aifashion.metrics.evaluate`)
does not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from aifashion.metrics.classifier import PatternClassifier, PatternClassifierConfig, predict
from aifashion.metrics.views import fixed_views, load_real_patterns, random_views

__all__ = ["ClassifierResult", "fixed_view_accuracy", "heldout_split", "train_pattern_classifier", "view_accuracy"]


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
        return {
            "heldout_accuracy": self.heldout_accuracy,
            "per_class_accuracy": self.per_class_accuracy,
            "n_train_images": int(len(self.train_index)),
            "n_heldout_images": int(len(self.heldout_index)),
            "steps": self.steps,
            "train_seconds": round(self.seconds, 1),
        }


@torch.no_grad()
def fixed_view_accuracy(
    model: PatternClassifier, images_u8: torch.Tensor, labels: torch.Tensor, batch_size: int = 256
) -> tuple[float, dict[str, float]]:
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
def view_accuracy(
    model: PatternClassifier,
    images: np.ndarray,
    labels: np.ndarray,
    n_views: int = 1000,
    scale: tuple[float, float] = (0.25, 0.5),
    seed: int = 0,
) -> tuple[float, dict[str, float]]:
    """Accuracy on random crops of side ``scale`` (e.g. the generator's training crops) of images.

    Args:
        images: uint8 ``(N, R, R, 3)``, typically held-out photos; labels: int64 ``(N,)``.

    Returns:
        ``(overall, per_class)`` shares of ``n_views`` views (no flips) classified correctly.
    """
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
    views, idx = random_views(
        x, n_views, model.config.image_size, torch.Generator().manual_seed(seed), scale=scale, augment=False
    )
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
