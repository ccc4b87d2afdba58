"""aifashion.metrics.evaluate: the real-photo reference and the whole-generator report."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from aifashion import metrics as M
from aifashion import viz


def test_per_class_recall_sees_a_dropped_fabric_in_real_zigzag_crops(fingercamera_dir):
    """The zigzag photos show four fabrics, 16 photos each in file order; crops of one fabric
    only stand in for a generator that dropped three: realistic (precision), poor coverage."""
    clf = M.load_pattern_classifier()
    images, labels, classes = M.load_real_patterns(fingercamera_dir, size=128, classes=["zigzag"])
    assert len(images) == 64
    real, src = M.real_view_features(clf, images, 300, scale=(0.35, 0.75), seed=0)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    g = torch.Generator().manual_seed(1)
    all_fabrics, _ = M.random_views(x, 150, 64, g, scale=(0.35, 0.75), augment=False)
    one_fabric, _ = M.random_views(x[32:48], 150, 64, g, scale=(0.35, 0.75), augment=False)
    reports = {
        name: M.evaluate_samples(
            clf, v, ["zigzag"] * len(v), real, kid_subsets=5, real_labels=[classes[k] for k in labels[src]]
        )
        for name, v in (("all", all_fabrics), ("one", one_fabric))
    }
    pr_all = reports["all"]["precision_recall"]["per_class"]["zigzag"]
    pr_one = reports["one"]["precision_recall"]["per_class"]["zigzag"]
    assert pr_all["recall"] > 0.6 and pr_one["recall"] < 0.5 * pr_all["recall"]
    assert pr_one["precision"] > 0.6
    assert reports["one"]["precision_recall"]["recall"] == pytest.approx(pr_one["recall"])  # one class: the same
    with pytest.raises(ValueError, match="real_labels"):
        M.evaluate_samples(clf, one_fabric, ["zigzag"] * 150, real, kid_subsets=2, real_labels=["zigzag"])
    fig = viz.metrics_figure(reports)
    assert [ax.get_title().split(" ")[0] for ax in fig.axes] == ["class", "KID", "seam", "recall:"]


# ------------------------------------------------------------------------------ RealReference
REF = dict(n_views=60, scale=(0.25, 0.5), size=32, per_class=8, seed=3)


@pytest.fixture(scope="module")
def clf():
    if not M.CLASSIFIER_WEIGHTS.is_file():
        pytest.skip("no shipped pattern classifier")
    return M.load_pattern_classifier()


@pytest.fixture(scope="module")
def photos(fingercamera_dir):
    return M.load_real_patterns(fingercamera_dir, size=96, max_per_class=4, seed=3)  # 24 photos, 96x96


@pytest.fixture(scope="module")
def ref(clf, fingercamera_dir):
    return M.RealReference.build(clf, fingercamera_dir, photo_size=96, max_per_class=4, **REF)


def test_real_reference_holds_real_views_their_classes_and_periodicity(clf, photos, ref):
    images, labels, classes = photos
    assert ref.images.shape == (24, 96, 96, 3) and ref.images.dtype == np.uint8
    assert ref.classes == list(M.FINGERCAMERA_CLASSES) and np.bincount(ref.labels).tolist() == [4] * 6
    assert ref.features.shape == (60, clf.feature_dim) and ref.features.dtype == np.float64
    assert np.isfinite(ref.features).all() and (ref.features >= 0).all()  # means of post-ReLU maps
    assert len(ref.view_classes) == 60 and set(ref.view_classes) <= set(ref.classes)
    assert set(ref.periodicity) == set(classes)
    assert all(v.shape == (8,) and 0 <= v.min() and v.max() <= 1 for v in ref.periodicity.values())
    assert set(ref.periodicity_medians()) == set(classes)
    assert ref.scale == (0.25, 0.5) and ref.size == 32 and ref.seed == 3
    # the same numbers as the functions it gathers (what notebook 02 and the tool computed by hand)
    np.testing.assert_array_equal(ref.images, images)
    feats, src = M.real_view_features(clf, images, 60, scale=(0.25, 0.5), seed=3)
    np.testing.assert_array_equal(ref.features, feats)
    assert ref.view_classes == [classes[k] for k in labels[src]]
    per = M.real_view_periodicity(images, labels, classes, n_per_class=8, size=32, scale=(0.25, 0.5), seed=3)
    assert all(np.array_equal(ref.periodicity[c], per[c]) for c in classes)
    # from decoded photos: the same reference; another seed: other views
    again = M.RealReference.from_photos(clf, images, labels, classes, **REF)
    np.testing.assert_array_equal(again.features, ref.features)
    other = M.RealReference.from_photos(clf, images, labels, classes, **{**REF, "seed": 4})
    assert not np.array_equal(other.features, ref.features)
    with pytest.raises(ValueError, match="R, R, 3"):
        M.RealReference.from_photos(clf, images[:, :90], labels, classes, **REF)
    with pytest.raises(ValueError, match="labels"):
        M.RealReference.from_photos(clf, images, labels[:5], classes, **REF)


def test_real_vs_real_is_small_next_to_noise(clf, ref):
    rr = ref.real_vs_real(subsets=10, subset_size=20)
    assert set(rr) == {"kid", "frechet_distance"}
    (k_mean, k_std), fd = rr["kid"], rr["frechet_distance"]
    assert (k_mean, k_std) == M.kid(ref.features[:30], ref.features[30:], subsets=10, subset_size=20, seed=3)
    assert k_std >= 0 and fd >= 0
    noise = torch.rand(30, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    k_noise, _ = M.kid(ref.features[:30], M.classifier_features(clf, noise), subsets=10, subset_size=20, seed=3)
    assert k_noise > 5 * abs(k_mean)


def test_real_reference_evaluate_is_evaluate_samples_against_it(clf, photos, ref):
    images, labels, classes = photos
    x_u8 = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    # stand-in for generated patterns: 6 real crops per class at the reference's size, named by class
    views = [
        M.random_views(x_u8[labels == k], 6, 32, torch.Generator().manual_seed(k), augment=False)[0] for k in range(6)
    ]
    x, intended = torch.cat(views), [c for c in classes for _ in range(6)]
    r = ref.evaluate(clf, x, intended, seed=1, kid_subsets=5)
    expected = M.evaluate_samples(
        clf,
        x,
        intended,
        ref.features,
        kid_subsets=5,
        seed=1,
        real_periodicity=ref.periodicity,
        real_labels=ref.view_classes,
    )
    assert r == expected
    assert r["n"] == 36 and set(r["class_fidelity"]["per_class"]) == set(classes)
    assert set(r["periodicity"]["w1_to_real_per_class"]) == set(classes)
    assert set(r["precision_recall"]["per_class"]) <= set(classes)
    unconditional = ref.evaluate(clf, x, None, kid_subsets=5)
    assert unconditional["class_fidelity"] is None and "w1_to_real_per_class" not in unconditional["periodicity"]
    with pytest.warns(UserWarning, match="periodicity"):  # periods are in pixels: sizes must match
        ref.evaluate(clf, F.interpolate(x, size=(64, 64), mode="bilinear"), intended, kid_subsets=2)
    small = M.PatternClassifier(M.PatternClassifierConfig(widths=(8, 16)))  # another feature space
    with pytest.raises(ValueError, match="reference"):
        ref.evaluate(small, x, intended)
