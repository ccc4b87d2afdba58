"""compose.refine_mask (guided-filter upsampling): edges land on the photo's edges at full size."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from aifashion.compose import refine_mask, resize_mask
from aifashion.compose.refine import box_mean


# ---------------------------------------------------------------------------------- refine_mask
def _edge_photo(H: int, W: int, k: int, seed: int = 0):
    """A garment (red) left of a wavy edge on a grey backdrop, with noise; and a blurry, outward-biased
    mask at 1/k of the size, as a generous segmenter gives. Returns photo, true edge x per row, mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    edge = W * (0.5 + 0.12 * np.sin(yy[:, 0] / H * 2 * np.pi * 1.5))
    truth = xx < edge[:, None]
    img = np.where(truth[..., None], [150, 40, 60], [170, 180, 175]).astype(np.float32)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    small = np.asarray(Image.fromarray(truth.astype(np.float32), "F").resize((W // k, H // k), Image.BOX))
    return img, edge, box_mean(small, 3) ** 0.6


def _contour_error(q: np.ndarray, edge: np.ndarray) -> float:
    """Mean distance in pixels, row by row, between the mask's 0.5 contour and the true edge."""
    return float(np.mean(np.abs((q > 0.5).sum(axis=1) - edge)))


def test_refine_mask_puts_the_edge_on_the_photo_edge():
    img, edge, small = _edge_photo(800, 600, 8)
    q = refine_mask(small, img, radius=8)
    assert q.shape == (800, 600) and q.dtype == np.float32
    assert q.min() >= 0.0 and q.max() <= 1.0
    plain = resize_mask(small, 800, 600)
    assert _contour_error(q, edge) < 1.5 < 5 < _contour_error(plain, edge)  # ~0.5 px vs ~11 px


def test_refine_mask_full_size_and_args():
    img, edge, small = _edge_photo(3600, 2400, 4)  # a 2400x3600 upload, mask at 600x900
    t = time.perf_counter()
    q = refine_mask(small, Image.fromarray(img))
    elapsed = time.perf_counter() - t
    assert q.shape == (3600, 2400) and q.dtype == np.float32
    assert _contour_error(q, edge) < 1.0 < _contour_error(resize_mask(small, 3600, 2400), edge)
    assert elapsed < 15, f"refine_mask took {elapsed:.1f} s at 2400x3600"
    same = refine_mask(np.ones((10, 10), bool), img[:40, :30])  # full mask stays full
    assert same.shape == (40, 30) and np.allclose(same, 1.0, atol=1e-3)
    with pytest.raises(ValueError):
        refine_mask(small, img[:50, :50], eps=0)


def test_coarse_box_filters_upsamples_and_reads_back():
    from aifashion.compose.refine import Coarse

    ramp = np.tile(np.linspace(0, 1, 90, dtype=np.float32), (60, 1))  # (60, 90), smooth
    c = Coarse(ramp.shape, 6)
    small = c.down(ramp)
    assert small.shape == (10, 15) and small.dtype == np.float32
    assert np.abs(c.up(small) - ramp).max() < 0.04  # a smooth quantity survives the round trip
    ys, xs = np.array([0, 59, 30]), np.array([0, 89, 45])
    np.testing.assert_allclose(c.at(small, ys, xs), small[[0, 9, 5], [0, 14, 7]])
    ident = Coarse(ramp.shape, 1)
    assert ident.down(ramp) is not None and np.array_equal(ident.up(ident.down(ramp)), ramp)
    rgb = np.stack([ramp, 1 - ramp, ramp], -1)
    assert c.down(rgb).shape == (10, 15, 3) and c.up(c.down(rgb)).shape == (60, 90, 3)


def test_argmax_planes_matches_numpy_with_ties():
    from aifashion.compose.arrays import argmax_planes

    rng = np.random.default_rng(0)
    planes = rng.integers(0, 4, (4, 33, 47)).astype(np.float32)  # many ties: the first wins
    got = argmax_planes(planes)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, planes.argmax(0))
