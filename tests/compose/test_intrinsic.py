"""compose.intrinsic_split / 'intrinsic' shading: a printed garment shows the new pattern under its
own folds, not its old print; a plain one keeps every fold, seam and edge."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageFilter

from aifashion.compose import SHADINGS, intrinsic_shading, intrinsic_split, refine_mask, tile_pattern, try_on
from aifashion.garments import draw_garment
from aifashion.metrics.tryon import band_agreement
from aifashion.registry import UnknownNameError


def _garments(size: int = 256):
    """Plain dark, plain light and printed photos of one garment with the same folds.

    Returns mask (bool), fold field F (float, ~1 mean), print P (0/1 text-like blocks and dots on
    part of the chest) and {name: uint8 photo}."""
    flat = draw_garment("t-shirt", size=size)
    mask = flat.mask > 0.5
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    folds = 1.0 + 0.3 * np.sin(2 * np.pi * xx / 90 + 0.6 * np.sin(2 * np.pi * yy / 140))
    dots = (((xx % 12) - 6) ** 2 + ((yy % 12) - 6) ** 2 < 9).astype(np.float32)
    bars = ((xx // 4) % 3 == 0).astype(np.float32)
    chest = (abs(xx - size / 2) < size / 6) & (abs(yy - size / 2) < size / 8)
    printed = np.clip(dots + bars, 0, 1) * chest
    colour = {
        "dark": np.full((size, size, 3), 0.2, np.float32),
        "light": np.full((size, size, 3), 0.85, np.float32),
        "printed": np.where(printed[..., None] > 0, [0.95, 0.85, 0.2], [0.1, 0.15, 0.5]).astype(np.float32),
    }
    photos = {}
    for name, albedo in colour.items():
        img = np.where(mask[..., None], albedo * folds[..., None], 0.55)
        photos[name] = np.clip(255 * img + 0.5, 0, 255).astype(np.uint8)
    return mask, folds, printed, chest, photos


def _lum(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_intrinsic_split_finds_the_print_and_keeps_the_folds():
    mask, folds, printed, chest, photos = _garments()
    inner = np.asarray(Image.fromarray(mask).filter(ImageFilter.MinFilter(9))) > 0
    split = intrinsic_split(photos["printed"], mask)
    assert split.shading.shape == mask.shape and split.shading.dtype == np.float32
    assert split.reflectance.shape == (*mask.shape, 3) and split.print_mask.dtype == bool
    found = split.print_mask[inner & chest]
    assert found[printed[inner & chest] > 0].mean() > 0.95  # the print is found ...
    assert split.print_mask[inner & ~chest].mean() < 0.02  # ... and the plain cloth is not print
    np.testing.assert_allclose(split.ground, [0.1, 0.15, 0.5], atol=0.06)  # the cloth's colour, lit ~1
    for name in ("dark", "light", "printed"):  # the shading follows the folds on every garment
        s = intrinsic_split(photos[name], mask).shading
        assert _corr(s[inner], folds[inner]) > 0.9, name
    s = split.shading[inner & chest]
    assert abs(_corr(s, printed[inner & chest])) < 0.2  # and not the print


def test_a_large_photo_is_split_on_a_capped_copy():
    from aifashion.compose.intrinsic import IntrinsicParams

    mask, folds, printed, chest, photos = _garments()
    inner = np.asarray(Image.fromarray(mask).filter(ImageFilter.MinFilter(9))) > 0
    capped = intrinsic_split(photos["printed"], mask, IntrinsicParams(work_pixels=128 * 128))  # 4x fewer pixels
    full = intrinsic_split(photos["printed"], mask)
    assert capped.shading.shape == capped.light.shape == capped.print_mask.shape == mask.shape
    assert _corr(capped.shading[inner], folds[inner]) > 0.85  # the folds, upsampled
    assert capped.print_mask[inner & chest][printed[inner & chest] > 0].mean() > 0.8
    np.testing.assert_allclose(capped.ground, full.ground, atol=0.03)


def test_intrinsic_tryon_shows_the_pattern_not_the_print():
    mask, folds, printed, chest, photos = _garments()
    inner = np.asarray(Image.fromarray(mask).filter(ImageFilter.MinFilter(9))) > 0
    y, x = np.mgrid[0:48, 0:48]
    pattern = np.where((((y // 24) + (x // 24)) % 2 == 1)[..., None], [230, 200, 90], [60, 70, 150]).astype(np.uint8)
    tiled = _lum(tile_pattern(pattern, *mask.shape))[inner]
    r = {}
    for mode in ("photo", "intrinsic"):
        res = _lum(try_on(photos["printed"], mask, pattern, shading=mode).rgb)[inner]
        r[mode] = (_corr(res, tiled), _corr(res, printed[inner]))
    assert abs(r["photo"][1]) > 0.15 > abs(r["intrinsic"][1])
    assert r["intrinsic"][0] > 0.8 and r["intrinsic"][0] > r["photo"][0]


def test_intrinsic_shading_map_and_registry():
    mask, folds, printed, chest, photos = _garments(128)
    s = intrinsic_shading(photos["light"], mask)
    assert s.shape == (128, 128) and s.dtype == np.float32 and np.isfinite(s).all()
    assert abs(float(np.median(s[mask])) - 1.0) < 0.05
    assert np.allclose(intrinsic_shading(photos["printed"], mask, strength=0.0), 1.0)
    assert set(SHADINGS.names()) == {"photo", "intrinsic"}
    photo_way = try_on(photos["dark"], mask, pattern := np.full((8, 8, 3), 100, np.uint8), shading="photo").rgb
    assert np.array_equal(photo_way, try_on(photos["dark"], mask, pattern).rgb)  # None == 'photo'
    with pytest.raises(UnknownNameError, match="intrinsic"):
        try_on(photos["dark"], mask, pattern, shading="fluffy")
    empty = intrinsic_split(photos["dark"], np.zeros_like(mask))
    assert np.all(empty.shading == 1.0) and not empty.print_mask.any()


@pytest.fixture(scope="module")
def shipped_segmenter():
    from aifashion.segment import load_segmenter

    return load_segmenter()


def _print_regions(photo: np.ndarray, mask: np.ndarray, box: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(inside the print box, outside it grown by 8 px), both within the garment eroded by 10 px."""
    from aifashion.compose.refine import box_mean

    core = box_mean((mask > 0.999).astype(np.float32), 10) > 1 - 1e-4
    H, W = core.shape
    x0, y0, x1, y1 = box
    inside = np.zeros_like(core)
    inside[int(y0 * H) : int(y1 * H), int(x0 * W) : int(x1 * W)] = True
    grown = np.zeros_like(core)
    grown[max(0, int(y0 * H) - 8) : int(y1 * H) + 8, max(0, int(x0 * W) - 8) : int(x1 * W) + 8] = True
    return core & inside, core & ~grown


def test_intrinsic_on_real_printed_tshirts(repo_root, clothing_small_dir, shipped_segmenter):
    """Product shots with a marked print (labels/prints/tuning.json): with a flat grey tile the
    result keeps the fold/edge band of the photo outside the print and drops the print's."""
    from aifashion.imageio import open_image

    spec = json.loads((repo_root / "labels" / "prints" / "tuning.json").read_text())
    grey = np.full((16, 16, 3), 128, np.uint8)
    chosen = list(spec["printed"].items())[8:10]  # a red tee with a white logo, a black one with lettering
    for pid, box in chosen:
        img = open_image(clothing_small_dir / f"{pid}.jpg")
        photo = np.asarray(img)
        mask = refine_mask(shipped_segmenter.predict(img).garment, img)
        inside, outside = _print_regions(photo, mask, box)
        out = {mode: try_on(photo, mask, grey, shading=mode).rgb for mode in ("photo", "intrinsic")}
        kept = band_agreement(out["intrinsic"], photo, outside)
        dropped = band_agreement(out["intrinsic"], photo, inside)
        assert band_agreement(out["photo"], photo, inside)["corr"] > 0.9, pid  # the raw shading keeps it
        assert kept["corr"] > 0.8 and kept["contrast"] > 0.5, (pid, kept)
        assert dropped["corr"] < 0.35, (pid, dropped)
