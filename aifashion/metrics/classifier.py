"""The pattern classifier (inference): a small CNN that names the pattern class of a fabric image.

Its accuracy on held-out real photos says how far to trust it; its predictions give the class
fidelity of generated patterns (:func:`class_fidelity`), and its penultimate features
(:func:`classifier_features`) are the feature space of KID, Fréchet distance and precision /
recall. Training lives in :mod:`aifashion.metrics.classifier_train` (not imported here).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from aifashion.atomic import atomic_save, atomic_write_text
from aifashion.metrics.images import images_to_tensor
from aifashion.paths import WEIGHTS_DIR

__all__ = [
    "CLASSIFIER_WEIGHTS",
    "FINGERCAMERA_CLASSES",
    "PatternClassifier",
    "PatternClassifierConfig",
    "class_fidelity",
    "classifier_features",
    "load_pattern_classifier",
    "predict",
    "save_pattern_classifier",
]

#: Shipped classifier (trained on the six FingerCamera classes) used for reproducible metrics.
CLASSIFIER_WEIGHTS = WEIGHTS_DIR / "pattern_classifier.safetensors"
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
                nn.Conv2d(c_in, c, 3, padding=1, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
                nn.Conv2d(c, c, 3, padding=1, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
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
            x = F.interpolate(
                x, size=(self.config.image_size,) * 2, mode="bilinear", align_corners=False, antialias=True
            )
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
    atomic_write_text(
        path.with_suffix(".json"), json.dumps({"config": asdict(model.config), **(info or {})}, indent=2) + "\n"
    )
    return path


def load_pattern_classifier(
    path: str | os.PathLike | None = None, device: str | torch.device = "cpu"
) -> PatternClassifier:
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
    out = torch.cat([classifier(x[i : i + batch_size].to(dev)).float().cpu() for i in range(0, len(x), batch_size)])
    classifier.train(was)
    return out


@torch.no_grad()
def classifier_features(classifier: PatternClassifier, images, batch_size: int = 256) -> np.ndarray:
    """Penultimate features for KID / FD: images as in :func:`images_to_tensor` -> float64 (N, D)."""
    x = images_to_tensor(images, classifier.config.image_size)
    dev = next(classifier.parameters()).device
    was = classifier.training
    classifier.eval()
    out = torch.cat(
        [classifier.features(x[i : i + batch_size].to(dev)).double().cpu() for i in range(0, len(x), batch_size)]
    )
    classifier.train(was)
    return out.numpy()


def class_fidelity(
    classifier: PatternClassifier, images, intended_labels, batch_size: int = 256
) -> tuple[float, dict[str, float]]:
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
    bad = [lab for lab in intended_labels if isinstance(lab, str) and lab not in names]
    if bad:
        raise ValueError(f"unknown class {bad[0]!r}; the classifier knows {', '.join(names)}")
    labels = [names.index(lab) if isinstance(lab, str) else int(lab) for lab in intended_labels]
    y = np.asarray(labels, dtype=np.int64)
    pred = predict(classifier, images, batch_size)
    if len(pred) != len(y):
        raise ValueError(f"{len(pred)} images but {len(y)} intended labels")
    hit = pred == y
    per = {names[k]: float(hit[y == k].mean()) for k in sorted(set(y.tolist()))}
    return float(hit.mean()), per
