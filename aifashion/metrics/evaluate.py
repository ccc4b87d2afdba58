"""Whole-generator evaluation: the real-photo reference, rendering, and one report of every metric.

- :class:`RealReference` — the real photos, the classifier features of random real views (the
  reference set for KID / FD / precision-recall, with the class of each view) and the real
  periodicity per class; built once, used by notebook 02 and ``tools/evaluate_generator.py``.
- :func:`render_for_evaluation` — ``per_class`` samples of every class of a generator.
- :func:`evaluate_samples` — every metric of a set of generated patterns, as a JSON-able dict.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from aifashion.metrics.classifier import PatternClassifier, class_fidelity, classifier_features, predict
from aifashion.metrics.distances import frechet_distance, kid, precision_recall
from aifashion.metrics.images import images_to_tensor
from aifashion.metrics.texture import periodicity, seam_score, wasserstein_1d
from aifashion.metrics.views import load_real_patterns, random_views

__all__ = [
    "RealReference",
    "evaluate_samples",
    "real_view_features",
    "real_view_periodicity",
    "render_for_evaluation",
]


def real_view_features(
    classifier: PatternClassifier,
    images: np.ndarray,
    n_views: int = 1200,
    scale: tuple[float, float] = (0.25, 0.5),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
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


def real_view_periodicity(
    images: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[str],
    n_per_class: int = 200,
    size: int = 64,
    scale: tuple[float, float] = (0.25, 0.5),
    seed: int = 0,
) -> dict[str, np.ndarray]:
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


def evaluate_samples(
    classifier: PatternClassifier,
    images: torch.Tensor,
    intended: Sequence[str] | None,
    real_feats: np.ndarray,
    *,
    kid_subsets: int = 100,
    kid_subset_size: int = 500,
    seed: int = 0,
    real_periodicity: dict[str, np.ndarray] | None = None,
    real_labels: Sequence[str] | None = None,
) -> dict:
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
    out: dict = {
        "n": int(len(x)),
        "kid": {"mean": k_mean, "std": k_std},
        "frechet_distance": frechet_distance(real_feats, feats),
        "seam_score": {"mean": float(seams.mean()), "median": float(np.median(seams))},
        "class_fidelity": None,
        "predicted_share": {c: float(np.mean(pred == k)) for k, c in enumerate(classifier.classes)},
        "periodicity": {"median": float(np.median(per))},
    }
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


def render_for_evaluation(
    generator, per_class: int = 64, size: int = 64, seed: int = 0, batch: int = 32, candidates: int | None = None
) -> tuple[torch.Tensor, list[str] | None]:
    """Render ``per_class`` patterns of each of ``generator.classes`` (seeds ``seed..seed+n-1``).

    Args:
        generator: an :class:`aifashion.gan.generate.PatternGenerator` (ours or the baseline).
        size: side in pixels (the baseline renders only its native size).
        candidates: best of this many latents per seed by the generator's critic (None: the
            export's default, what users see; 1: the seed's own latent).

    Returns:
        ``(images float (N, 3, size, size) in [-1, 1], intended class names)``; the names are
        None for an unconditional baseline trained on several classes (it cannot be asked for
        a class), and that baseline renders ``per_class * len(classes)`` samples.
    """
    classes = list(generator.classes)
    seeds = list(range(seed, seed + per_class))
    cats = [c for c in classes for _ in seeds]
    arr = generator.render_array(cats, seeds * len(classes), size=size, batch=batch, candidates=candidates)
    x = images_to_tensor(arr)
    conditional = generator.model_name != "dcgan" or len(classes) == 1
    return x, (cats if conditional else None)


@dataclass
class RealReference:
    """The real-photo reference that generated patterns are measured against.

    Build it with :meth:`build` (from a pattern folder) or :meth:`from_photos` (from decoded
    photos); then :meth:`evaluate` gives the metrics of generated patterns and
    :meth:`real_vs_real` the values that mean "as good as real".

    Attributes:
        images: uint8 ``(N, R, R, 3)`` the real photos, 0..255 (R = ``photo_size`` of :meth:`build`).
        labels: int64 ``(N,)`` indices into ``classes``.
        classes: the class names (the folder's sub-folders).
        features: float64 ``(n_views, D)`` classifier features of random real views, each a crop
            of side ``scale`` x R resized to the classifier's input (no flips); D =
            ``classifier.feature_dim``.
        view_classes: ``n_views`` class names, the class of each row of ``features``.
        periodicity: ``{class: float64 (per_class,)}`` in [0, 1], :func:`periodicity` of random real
            views of each class at ``size`` x ``size`` pixels.
        scale: ``(smallest, largest)`` crop side as a fraction of R.
        size: the side (pixels) at which ``periodicity`` was measured; evaluate generated patterns
            of this side (periods are in pixels).
        seed: seeds the views, and the KID subsets of :meth:`real_vs_real`.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: list[str]
    features: np.ndarray
    view_classes: list[str]
    periodicity: dict[str, np.ndarray]
    scale: tuple[float, float]
    size: int
    seed: int = 0

    @classmethod
    def build(
        cls,
        classifier: PatternClassifier,
        data_dir: str | os.PathLike,
        *,
        n_views: int = 1200,
        scale: tuple[float, float] = (0.25, 0.5),
        size: int = 64,
        per_class: int = 100,
        photo_size: int = 256,
        max_per_class: int | None = None,
        seed: int = 0,
        gains=None,
    ) -> RealReference:
        """Load the real photos of ``data_dir`` (``root/<class>/<image>``) and measure them.

        Args:
            classifier: the pattern classifier whose features the reference holds.
            data_dir: the pattern folder (e.g. ``$AIFASHION_DATA/clothing-patterns-fingercamera``).
            n_views: random real views for the features (KID / FD / precision-recall).
            scale: crop side as a fraction of the photo, the crops the generator was trained on.
            size: side of the views whose periodicity is measured (the generator's training size).
            per_class: real views per class for the periodicity.
            photo_size: photos are decoded at ``photo_size`` x ``photo_size`` (the trainer's
                ``data_size``).
            max_per_class: use at most this many photos per class (chosen with ``seed``).
            seed: seeds the choice of photos and the views.
            gains: per-channel gains applied to the photos (a generator's ``colour_gains``:
                compare like with like), or None.
        """
        images, labels, classes = load_real_patterns(
            data_dir, size=photo_size, max_per_class=max_per_class, seed=seed, gains=gains
        )
        return cls.from_photos(
            classifier, images, labels, classes, n_views=n_views, scale=scale, size=size, per_class=per_class, seed=seed
        )

    @classmethod
    def from_photos(
        cls,
        classifier: PatternClassifier,
        images: np.ndarray,
        labels: np.ndarray,
        classes: Sequence[str],
        *,
        n_views: int = 1200,
        scale: tuple[float, float] = (0.25, 0.5),
        size: int = 64,
        per_class: int = 100,
        seed: int = 0,
    ) -> RealReference:
        """As :meth:`build`, from decoded photos: uint8 ``(N, R, R, 3)``, int ``(N,)`` labels, class names."""
        images, labels, classes = np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.int64), list(classes)
        if images.ndim != 4 or images.shape[1] != images.shape[2] or images.shape[3] != 3:
            raise ValueError(f"images must be uint8 (N, R, R, 3), not {images.shape}")
        if labels.shape != (len(images),):
            raise ValueError(f"{len(images)} photos but labels of shape {labels.shape}")
        scale = (float(scale[0]), float(scale[1]))
        feats, src = real_view_features(classifier, images, n_views, scale=scale, seed=seed)
        per = real_view_periodicity(images, labels, classes, n_per_class=per_class, size=size, scale=scale, seed=seed)
        view_classes = [classes[k] for k in labels[src]]
        return cls(images, labels, classes, feats, view_classes, per, scale, int(size), seed)

    def real_vs_real(self, *, subsets: int = 100, subset_size: int = 1000) -> dict:
        """KID and Fréchet distance between two disjoint halves of the real views.

        What "as good as real" looks like: a generator whose KID is near this one is, to the
        classifier, indistinguishable from the photos. FD is biased upward for small sets, so
        compare it with a generated set of about the same size (``n_views / 2``).

        Args:
            subsets, subset_size: as in :func:`kid` (seeded with ``self.seed``).

        Returns:
            ``{"kid": (mean, std), "frechet_distance": float >= 0}``.
        """
        half = len(self.features) // 2
        a, b = self.features[:half], self.features[half:]
        return {
            "kid": kid(a, b, subsets=subsets, subset_size=subset_size, seed=self.seed),
            "frechet_distance": frechet_distance(a, b),
        }

    def periodicity_medians(self) -> dict[str, float]:
        """``{class: median periodicity of its real views}``, each in [0, 1]."""
        return {c: float(np.median(v)) for c, v in self.periodicity.items()}

    def evaluate(
        self,
        classifier: PatternClassifier,
        images: torch.Tensor,
        intended: Sequence[str] | None,
        seed: int = 0,
        *,
        kid_subsets: int = 100,
        kid_subset_size: int = 500,
    ) -> dict:
        """:func:`evaluate_samples` of generated patterns against this reference.

        Args:
            classifier: the classifier the reference was built with (same feature space).
            images: float ``(N, 3, S, S)`` in [-1, 1], the generated patterns; S should be
                ``self.size`` (the periodicity comparison is in pixels).
            intended: N class names the samples were generated for, or None (unconditional).
            seed: seeds the KID subsets.

        Returns:
            The dict of :func:`evaluate_samples`, with per-class periodicity (W1 to the real
            views) and per-class precision / recall when ``intended`` is given.
        """
        if classifier.feature_dim != self.features.shape[1]:
            raise ValueError(
                f"the classifier has {classifier.feature_dim} features, the reference {self.features.shape[1]}: "
                "build the reference with the classifier that evaluates"
            )
        side = images.shape[-1] if isinstance(images, torch.Tensor) else None
        if side is not None and side != self.size:
            warnings.warn(
                f"images are {side} px, the real periodicity was measured at {self.size} px: "
                "the periodicity comparison is off",
                stacklevel=2,
            )
        return evaluate_samples(
            classifier,
            images,
            intended,
            self.features,
            kid_subsets=kid_subsets,
            kid_subset_size=kid_subset_size,
            seed=seed,
            real_periodicity=self.periodicity,
            real_labels=self.view_classes,
        )
