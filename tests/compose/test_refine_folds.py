"""compose.refine_mask (guided-filter upsampling) and compose.fold_shading (print-free shading):
edges land on the photo's edges at full size; printed garments show the new pattern, not their print."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image, ImageFilter

from aifashion.compose import SHADINGS, fold_shading, refine_mask, resize_mask, tile_pattern, try_on
from aifashion.compose.refine import box_mean
from aifashion.garments import draw_garment
from aifashion.registry import UnknownNameError


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


# ---------------------------------------------------------------------------------- fold_shading
def _garments(size: int = 256):
    """Plain dark, plain light and printed photos of one garment with the same folds.

    Returns mask (bool), fold field F (float, ~1 mean), print P (float, high-frequency stripes and
    dots, 0/1) and {name: uint8 photo}."""
    flat = draw_garment("t-shirt", size=size)
    mask = flat.mask > 0.5
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    folds = 1.0 + 0.3 * np.sin(2 * np.pi * xx / 90 + 0.6 * np.sin(2 * np.pi * yy / 140))
    stripes = ((xx + yy) // 5 % 2).astype(np.float32)
    dots = (((xx % 12) - 6) ** 2 + ((yy % 12) - 6) ** 2 < 9).astype(np.float32)
    printed = np.clip(stripes + dots, 0, 1)
    colour = {
        "dark": np.full((size, size, 3), 0.2, np.float32),
        "light": np.full((size, size, 3), 0.85, np.float32),
        "printed": np.where(printed[..., None] > 0, [0.95, 0.85, 0.2], [0.1, 0.15, 0.5]).astype(np.float32),
    }
    photos = {}
    for name, albedo in colour.items():
        img = np.where(mask[..., None], albedo * folds[..., None], 0.55)
        photos[name] = np.clip(255 * img + 0.5, 0, 255).astype(np.uint8)
    return mask, folds, printed, photos


def _checker(n: int = 48) -> np.ndarray:
    y, x = np.mgrid[0:n, 0:n]
    on = ((y // (n // 2)) + (x // (n // 2))) % 2 == 1
    return np.where(on[..., None], [230, 200, 90], [60, 70, 150]).astype(np.uint8)


def _lum(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_fold_shading_follows_the_pattern_not_the_print():
    mask, folds, printed, photos = _garments()
    inner = np.asarray(Image.fromarray(mask).filter(ImageFilter.MinFilter(9))) > 0
    pattern = _checker()
    tiled = _lum(tile_pattern(pattern, *mask.shape))[inner]
    r = {}
    for name, photo in photos.items():
        for mode in ("photo", "folds"):
            res = _lum(try_on(photo, mask, pattern, shading=mode).rgb)[inner]
            r[name, mode] = (_corr(res, tiled), _corr(res, printed[inner]), _corr(res / tiled, folds[inner]))
    # the printed garment: the old shading carries the print, the new one the pattern
    assert abs(r["printed", "photo"][1]) > 0.3
    assert r["printed", "folds"][0] > 0.8 > 0.1 > abs(r["printed", "folds"][1])
    assert r["printed", "folds"][0] > r["printed", "photo"][0]
    # the printed garment still shows its folds, and so do plain dark and light ones
    for name in ("dark", "light", "printed"):
        assert r[name, "folds"][2] > 0.5, (name, r[name, "folds"])


def test_fold_shading_map_and_registry():
    mask, folds, printed, photos = _garments(128)
    s = fold_shading(photos["light"], mask)
    assert s.shape == (128, 128) and s.dtype == np.float32 and np.isfinite(s).all()
    assert abs(float(np.median(s[mask])) - 1.0) < 0.05
    assert np.allclose(fold_shading(photos["printed"], mask, strength=0.0), 1.0)
    assert set(SHADINGS.names()) >= {"photo", "folds"}
    photo_way = try_on(photos["dark"], mask, _checker(), shading="photo").rgb
    assert np.array_equal(photo_way, try_on(photos["dark"], mask, _checker()).rgb)  # None == 'photo'
    with pytest.raises(UnknownNameError):
        try_on(photos["dark"], mask, _checker(), shading="fluffy")
