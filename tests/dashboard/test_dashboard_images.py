"""The dashboard's picture helpers (``aifashion.dashboard.images``): the 3 x 3 swatch, encoding for
the page and for downloads, the mask overlay."""

from __future__ import annotations

import numpy as np
import pytest
from dashboard_files import decode
from PIL import Image


def test_tiled_swatch_repeats_the_tile_exactly():
    from aifashion.dashboard.images import tiled_swatch

    tile = Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8))
    sw = np.asarray(tiled_swatch(tile, 3))
    assert sw.shape == (60, 90, 3)
    t = np.asarray(tile)
    for i in range(3):
        for j in range(3):
            assert np.array_equal(sw[20 * i : 20 * i + 20, 30 * j : 30 * j + 30], t)


def test_encode_image_round_trips_and_rejects_unknown_format():
    from aifashion.dashboard.images import encode_image

    arr = np.random.default_rng(1).integers(0, 256, (33, 47, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(decode(encode_image(arr, "PNG"))), arr)
    jpg = decode(encode_image(arr, "jpeg"))
    assert jpg.format == "JPEG" and jpg.size == (47, 33)
    with pytest.raises(ValueError, match="valid: PNG, JPEG"):
        encode_image(arr, "GIF")


def test_mask_overlay_tints_only_the_mask():
    from aifashion.dashboard.images import mask_overlay

    img = Image.new("RGB", (8, 4), (100, 100, 100))
    mask = np.zeros((4, 8), np.float32)
    mask[:, 4:] = 1.0
    out = np.asarray(mask_overlay(img, mask))
    assert (out[:, :4] == 100).all() and not (out[:, 4:] == 100).all()
