"""aifashion.metrics.images: every accepted image form to one tensor, and back."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from aifashion import metrics as M


def test_images_to_uint8_inverts_images_to_tensor(periodic_image):
    u8 = np.stack([periodic_image(32, s) for s in range(3)])  # (3, 32, 32, 3)
    x = M.images_to_tensor(u8)
    assert x.shape == (3, 3, 32, 32) and x.dtype == torch.float32 and -1 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(M.images_to_uint8(x), u8)
    np.testing.assert_array_equal(M.images_to_uint8(u8), u8)
    np.testing.assert_array_equal(M.images_to_uint8([Image.fromarray(a) for a in u8]), u8)
    assert M.images_to_tensor(u8, size=16).shape == (3, 3, 16, 16)
    assert M.images_to_uint8(torch.full((1, 3, 4, 4), 2.0)).tolist() == np.full((1, 4, 4, 3), 255).tolist()
    assert M.images_to_uint8(torch.full((3, 4, 4), -3.0)).max() == 0  # one (3, H, W) image, clamped
    with pytest.raises(ValueError, match="no images"):
        M.images_to_tensor([])
    with pytest.raises(ValueError, match="N,3,H,W"):
        M.images_to_tensor(torch.zeros(2, 4, 8, 8))
