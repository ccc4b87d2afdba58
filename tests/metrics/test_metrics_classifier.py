"""aifashion.metrics.classifier and classifier_train: train, predict, save/load, class fidelity."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from aifashion import metrics as M


# ------------------------------------------------------------------------------ classifier
def test_heldout_split_is_stratified_disjoint_and_seeded():
    labels = np.array([0] * 10 + [1] * 5 + [2] * 1)
    tr, ho = M.heldout_split(labels, 0.2, seed=0)
    assert set(tr).isdisjoint(ho) and len(tr) + len(ho) == len(labels)
    assert np.bincount(labels[ho], minlength=3).tolist() == [2, 1, 0]
    assert np.array_equal(M.heldout_split(labels, 0.2, seed=0)[1], ho)


@pytest.fixture(scope="module")
def tiny_real(fingercamera_dir):
    return M.load_real_patterns(fingercamera_dir, size=96, max_per_class=14, seed=0)


@pytest.fixture(scope="module")
def tiny_result(tiny_real):
    cfg = M.PatternClassifierConfig(image_size=32, widths=(8, 16, 32), dropout=0.0)
    return M.train_pattern_classifier(
        tiny_real, config=cfg, steps=60, batch_size=32, lr=5e-3, heldout=0.25, seed=0, progress=False
    )


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
