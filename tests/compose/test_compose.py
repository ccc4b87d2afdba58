"""aifashion.compose: tiling never stretches, shading follows the garment, outside is untouched,
and the cached two-stage path (prepare_garment + apply_pattern) equals try_on bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aifashion.compose import (
    BLEND_MODES,
    PreparedGarment,
    apply_pattern,
    as_mask,
    check_tiling_args,
    feather_mask,
    prepare_garment,
    resize_mask,
    shading_from_photo,
    tile_pattern,
    try_on,
)
from aifashion.compose.drape import edge_background
from aifashion.garments import draw_garment
from aifashion.registry import UnknownNameError

TSHIRT = "validation/t-shirt/06de9ebd-be39-4cc6-aea7-1d047ccf1a52.jpg"  # white tee on magenta


def _pattern(h: int, w: int, seed: int = 0, lo: int = 0, hi: int = 256) -> np.ndarray:
    return np.random.default_rng(seed).integers(lo, hi, (h, w, 3), dtype=np.uint8)


def _tee_photo_and_mask(clothing_small_dir):
    """A real product photo and a colour-threshold mask (the tee is white-ish, the backdrop magenta)."""
    photo = np.asarray(Image.open(clothing_small_dir / TSHIRT).convert("RGB"))
    f = photo.astype(np.int16)
    chroma = f.max(axis=2) - f.min(axis=2)
    mask = (chroma < 40) & (f.mean(axis=2) > 90)
    assert 0.15 < mask.mean() < 0.7, "threshold mask should pick out the tee"
    return photo, mask


# ------------------------------------------------------------------ tiling
def test_tile_at_scale_1_is_the_pattern_repeated_exactly():
    pat = _pattern(37, 53)
    canvas = tile_pattern(pat, 100, 130)
    yy, xx = np.mgrid[:100, :130]
    assert canvas.dtype == np.uint8 and canvas.shape == (100, 130, 3)
    np.testing.assert_array_equal(canvas, pat[yy % 37, xx % 53])
    shifted = tile_pattern(pat, 100, 130, offset=(5, -7))
    np.testing.assert_array_equal(shifted, pat[(yy + 5) % 37, (xx - 7) % 53])


def test_tile_at_scale_2_doubles_the_period():
    pat = _pattern(24, 30)
    canvas = tile_pattern(pat, 120, 150, scale=2.0)
    np.testing.assert_array_equal(canvas[:, :60], canvas[:, 60:120])  # period 2w in x
    np.testing.assert_array_equal(canvas[:48], canvas[48:96])  # period 2h in y
    assert not np.array_equal(canvas[:, :30], canvas[:, 30:60])  # not the native period
    # each pattern pixel now covers 2x2 canvas pixels: the canvas mean is the pattern mean
    assert abs(canvas[:96, :120].mean() - pat.mean()) < 1.0


def test_tiling_never_stretches_to_the_canvas():
    pat = _pattern(40, 40, seed=1)
    for scale, rot in [(1.0, 0.0), (1.7, 0.0), (0.6, 33.0)]:
        small = tile_pattern(pat, 50, 70, scale=scale, rotation=rot)
        large = tile_pattern(pat, 200, 310, scale=scale, rotation=rot)
        np.testing.assert_array_equal(large[:50, :70], small)


def test_rotation_90_equals_rot90_and_rotations_leave_no_gaps():
    pat = _pattern(40, 40, seed=2)
    rot = tile_pattern(pat, 40, 40, rotation=90)
    assert np.abs(rot.astype(int) - np.rot90(pat).astype(int)).max() <= 1
    np.testing.assert_array_equal(tile_pattern(pat, 64, 64, rotation=360), tile_pattern(pat, 64, 64))
    bright = _pattern(32, 48, seed=3, lo=60, hi=200)
    for angle in (17.0, 45.0, 123.0):
        out = tile_pattern(bright, 150, 170, rotation=angle, scale=1.3)
        assert out.min() >= 60 and out.max() <= 200  # wrap-around: no black gaps, no overshoot
    # the axis-aligned fast path and the general rotated path agree
    near0 = tile_pattern(pat, 90, 110, scale=1.3, rotation=1e-4).astype(int)
    assert np.abs(near0 - tile_pattern(pat, 90, 110, scale=1.3).astype(int)).max() <= 2
    flat = np.full((16, 16, 3), 77, np.uint8)
    assert (tile_pattern(flat, 90, 90, rotation=45, scale=0.7) == 77).all()


def test_tile_rejects_bad_arguments():
    pat = _pattern(8, 8)
    for kwargs in ({"scale": 0.0}, {"scale": -1.0}, {"scale": float("nan")}, {"rotation": float("inf")}):
        with pytest.raises(ValueError):
            tile_pattern(pat, 10, 10, **kwargs)
    with pytest.raises(ValueError):
        tile_pattern(np.zeros((8, 8, 3), np.float32), 10, 10)
    check_tiling_args(0.5, -370.0)  # what the CLI checks before loading anything
    with pytest.raises(ValueError, match="rotation"):
        check_tiling_args(1.0, float("nan"))


# ------------------------------------------------------------------ masks
def test_one_mask_converter_for_every_form():
    """float / bool / uint8 / PIL forms of one mask convert to the same float32 and uint8 masks, and
    the uint8 form is round(255 * the float form) for any input (one converter, two encodings)."""
    g = draw_garment("dress", size=64)
    hard = g.mask > 0.5
    forms = [
        hard,
        hard.astype(np.float32),
        hard.astype(np.float64),
        (hard * 255).astype(np.uint8),
        Image.fromarray((hard * 255).astype(np.uint8)),
        Image.fromarray(hard),
        hard[..., None],
    ]
    for form in forms:
        f, u = as_mask(form), as_mask(form, dtype=np.uint8)
        assert f.dtype == np.float32 and u.dtype == np.uint8 and f.shape == u.shape == hard.shape
        np.testing.assert_array_equal(f, hard.astype(np.float32))
        np.testing.assert_array_equal(u, hard * np.uint8(255))
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    soft = np.array([[-0.5, 0.0, 0.2, 0.5], [1 / 255, 0.999, 1.0, 7.0], [np.nan, np.inf, -np.inf, 0.5019608]])
    for form in (levels, Image.fromarray(levels), g.mask, soft, soft.astype(np.float32), hard):
        f = as_mask(form)
        assert f.min() >= 0.0 and f.max() <= 1.0 and not np.isnan(f).any()
        np.testing.assert_array_equal(
            as_mask(form, dtype=np.uint8), (f * np.float32(255) + np.float32(0.5)).astype(np.uint8)
        )
    np.testing.assert_array_equal(as_mask(levels, dtype=np.uint8), levels)  # exact both ways
    np.testing.assert_array_equal(as_mask(Image.fromarray(levels)), levels * np.float32(1 / 255))
    assert resize_mask(hard, 32, 48).shape == (32, 48)
    np.testing.assert_array_equal(resize_mask(levels, 16, 16), as_mask(levels))
    with pytest.raises(ValueError, match="HxW"):
        as_mask(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="bool, uint8 or float"):
        as_mask(np.zeros((4, 4), np.int32), dtype=np.uint8)
    with pytest.raises(ValueError, match="garment is"):
        as_mask(hard, (10, 10), dtype=np.uint8)
    with pytest.raises(ValueError, match="float32 or uint8"):
        as_mask(hard, dtype=np.float64)


# ------------------------------------------------------------------ feathering / try-on
def test_outside_the_mask_is_bit_exact_on_a_real_photo(clothing_small_dir):
    photo, mask = _tee_photo_and_mask(clothing_small_dir)
    pat = _pattern(64, 64, seed=4)
    for kwargs in ({}, {"scale": 2.5, "rotation": 30.0}, {"feather": 6.0, "blend": "multiply"}):
        res = try_on(photo, mask, pat, **kwargs)
        assert res.rgb.shape == photo.shape and res.rgb.dtype == np.uint8
        np.testing.assert_array_equal(res.rgb[~mask], photo[~mask])
        inside = res.alpha > 0.99
        assert inside.sum() > 0.5 * mask.sum()
        assert np.abs(res.rgb[inside].astype(int) - photo[inside].astype(int)).mean() > 20


def test_shading_follows_the_photo_luminance(clothing_small_dir):
    photo, mask = _tee_photo_and_mask(clothing_small_dir)
    grey = np.full((32, 32, 3), 150, np.uint8)
    res = try_on(photo, mask, grey)
    inside = res.alpha > 0.99
    lum_in = photo[inside].astype(np.float64) @ [0.299, 0.587, 0.114]
    lum_out = res.rgb[inside].astype(np.float64) @ [0.299, 0.587, 0.114]
    r = np.corrcoef(lum_in, lum_out)[0, 1]
    assert r > 0.9, f"try-on luminance should follow the garment's folds (Pearson r = {r:.3f})"
    assert lum_out.std() > 5  # not a flat sticker
    s = shading_from_photo(photo, mask)
    assert abs(float(np.median(s[mask])) - 1.0) < 0.02
    flat = try_on(photo, mask, grey, shading_strength=0.0)
    full = flat.alpha >= 1.0
    assert (flat.rgb[full] == 150).all()


def test_drawn_flat_shading_is_used_and_strength_zero_pastes_the_tile():
    g = draw_garment("t-shirt", size=160)
    pat = _pattern(23, 31, seed=5)
    res = try_on(g.image, g.mask, pat, shading=g.shading, shading_strength=0.0)
    full = res.alpha >= 1.0
    tile = tile_pattern(pat, 160, 160)
    np.testing.assert_array_equal(res.rgb[full], tile[full])
    np.testing.assert_array_equal(res.rgb[g.mask == 0], g.image[g.mask == 0])
    grey = np.full((8, 8, 3), 128, np.uint8)
    shaded = try_on(g.image, g.mask, grey, shading=g.shading)
    lum = shaded.rgb[full].astype(np.float64).mean(axis=1)
    assert np.corrcoef(lum, g.shading[full])[0, 1] > 0.9


def test_rgba_alpha_is_the_feathered_mask():
    g = draw_garment("tote", size=200)
    pat = _pattern(16, 16, seed=6)
    res = try_on(g.image, g.mask, pat, feather=3.0)
    alpha = feather_mask(g.mask, 3.0)
    np.testing.assert_array_equal(res.alpha, alpha)
    np.testing.assert_array_equal(res.rgba[..., 3], np.round(alpha * 255).astype(np.uint8))
    np.testing.assert_array_equal(res.rgba[..., 3], res.alpha8)
    assert (res.rgba[..., :3][res.rgba[..., 3] == 0] == 0).all()
    assert (alpha <= g.mask + 0.5 / 255 + 1e-6).all()  # feathering only moves inwards (8-bit alpha)
    assert (alpha[g.mask == 0] == 0).all()
    inner = alpha[(g.mask >= 1) & (alpha > 0) & (alpha < 1)]
    assert inner.size > 0  # a soft edge exists inside the garment
    np.testing.assert_array_equal(feather_mask(g.mask, 0), g.mask)


def test_input_forms_agree_and_bad_inputs_are_refused():
    g = draw_garment("skirt", size=96)
    pat = _pattern(12, 12, seed=7)
    hard = g.mask > 0.5
    a = try_on(g.image, hard, pat)
    b = try_on(Image.fromarray(g.image), Image.fromarray((hard * 255).astype(np.uint8)), Image.fromarray(pat))
    c = try_on(g.image, hard.astype(np.float32), pat)
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.rgb, c.rgb)
    nan_mask = np.where(hard, 1.0, np.nan)  # NaN counts as "not garment"
    np.testing.assert_array_equal(try_on(g.image, nan_mask, pat).rgb, a.rgb)
    empty = try_on(g.image, np.zeros((96, 96), bool), pat)
    np.testing.assert_array_equal(empty.rgb, g.image)
    assert not empty.rgba.any()
    with pytest.raises(ValueError, match="mask"):
        try_on(g.image, np.ones((50, 96), bool), pat)
    with pytest.raises(ValueError):
        try_on(g.image, hard, pat, scale=0)
    with pytest.raises(ValueError):
        try_on(g.image, hard, pat, shading=np.ones((10, 10), np.float32))
    with pytest.raises(UnknownNameError, match="shade") as err:
        try_on(g.image, hard, pat, blend="overlay-ish")
    assert all(name in str(err.value) for name in BLEND_MODES.names())


def test_band_by_band_processing_is_invisible(monkeypatch):
    """try_on and apply_pattern work in bands of rows; the result must not depend on the band height."""
    import aifashion.compose.arrays as arrays  # where the band height lives

    g = draw_garment("hoodie", size=180)
    pat = _pattern(21, 17, seed=8)
    photo_like = (g.image.astype(np.int16) - 30).clip(0, 255).astype(np.uint8)
    runs = []
    for pixels in (1 << 8, 1 << 12, 1 << 24):
        monkeypatch.setattr(arrays, "STRIP_PIXELS", pixels)
        prepared = prepare_garment(photo_like, g.mask, feather=3.0)
        runs.append(
            [
                try_on(photo_like, g.mask, pat, rotation=25.0, scale=1.4, feather=3.0),
                try_on(g.image, g.mask, pat, shading=g.shading, feather=2.5),
                apply_pattern(prepared, pat, rotation=25.0, scale=1.4),
            ]
        )
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a.rgb, b.rgb)
            np.testing.assert_array_equal(a.rgba, b.rgba)


# ------------------------------------------------------------------ feather details
def test_feather_ramps_linearly_inwards_and_not_at_the_frame_border():
    mask = np.zeros((60, 50), np.uint8)
    mask[20:, :] = 255  # a straight edge at row 20; the garment runs off the bottom and the sides
    alpha = np.round(feather_mask(mask, 4.0) * 255).astype(int)
    expected = [round(255 * (2 * d + 1) / 9) for d in range(4)] + [255] * 6  # r = 4: a 9-px box
    assert np.abs(alpha[20:30, 25] - np.array(expected)).max() <= 1, alpha[18:30, 25]
    assert (alpha[:20] == 0).all()
    assert (alpha[24:] == 255).all(), "where the garment meets the frame border it is not faded"
    assert feather_mask(mask, None).shape == mask.shape
    with pytest.raises(ValueError, match="feather"):
        feather_mask(mask, -1.0)
    big = np.round(feather_mask(mask, 12.0) * 255).astype(int)  # the cumulative-sum path (r > 8)
    assert big[20, 25] == round(255 / 25) and big[32, 25] == 255 and (np.diff(big[20:33, 25]) > 0).all()


def test_the_feathered_rim_mixes_the_shaded_pattern_with_the_backdrop_not_the_old_garment(clothing_small_dir):
    photo, mask = _tee_photo_and_mask(clothing_small_dir)
    pat = _pattern(48, 48, seed=9)
    for kwargs in ({"feather": 8.0}, {"feather": 8.0, "blend": "multiply", "shading_strength": 1.5}):
        res = try_on(photo, mask, pat, **kwargs)
        rim = (res.alpha8 > 0) & (res.alpha8 < 255)
        assert rim.sum() > 1000
        shaded = res.rgba[..., :3][rim].astype(int)  # the cut-out holds the shaded pattern
        a8 = res.alpha8[rim > 0].reshape(-1)
        box = (0, photo.shape[0], 0, photo.shape[1])
        behind = edge_background(photo, mask.astype(np.uint8) * 255, res.alpha8, box, 19)[rim].astype(int)
        got = res.rgb[rim].astype(int)
        assert (got >= np.minimum(shaded, behind) - 1).all() and (got <= np.maximum(shaded, behind) + 1).all()
        a = a8[:, None] / 255
        err = np.abs(got - (a * shaded + (1 - a) * behind))  # 8.8 fixed point rounds down: < 3 levels
        assert err.max() < 3 and err.mean() < 1.2, (err.max(), err.mean())
        # what the rim mixes with is the magenta backdrop, not the white-ish tee
        backdrop = np.median(photo[~mask], axis=0)
        tee = np.median(photo[mask], axis=0)
        assert np.abs(behind - backdrop).sum(1).mean() < 0.5 * np.abs(tee - backdrop).sum()


# ------------------------------------------------------------------ two-stage (cached) API
def test_prepare_then_apply_equals_try_on_bit_for_bit(clothing_small_dir):
    photo, mask = _tee_photo_and_mask(clothing_small_dir)
    g = draw_garment("dress", size=200)
    pats = [_pattern(40, 56, seed=10), _pattern(33, 33, seed=11)]
    cases = [
        (
            photo,
            mask,
            {},
            [
                {},
                {"scale": 2.0, "rotation": 30.0},
                {"blend": "multiply"},
                {"shading_strength": 0.4, "offset": (3, 5)},
                {"blend": "flat"},
            ],
        ),
        (photo, mask, {"feather": 0}, [{}, {"rotation": 90.0}]),
        (
            g.image,
            g.mask,
            {"shading": g.shading, "feather": 3.0},
            [{}, {"shading_strength": 0.0}, {"scale": 0.7, "rotation": 15.0}],
        ),
    ]
    for image, m, prep_kw, apply_kws in cases:
        prepared = prepare_garment(image, m, **prep_kw)
        assert isinstance(prepared, PreparedGarment) and prepared.box is not None
        for kw in apply_kws:
            for pat in pats:  # a new pattern on a prepared garment reuses its cached maps
                want = try_on(image, m, pat, **prep_kw, **kw)
                for _ in range(2):  # first call builds the maps, the second uses them
                    got = apply_pattern(prepared, pat, **kw)
                    np.testing.assert_array_equal(got.rgb, want.rgb)
                    np.testing.assert_array_equal(got.alpha8, want.alpha8)
                    np.testing.assert_array_equal(got.rgba, want.rgba)
        np.testing.assert_array_equal(prepared.alpha8, np.round(feather_mask(m, prep_kw.get("feather")) * 255))
        assert sum(key[0] == "maps" for key in prepared._cache) == 1  # one strength's maps kept, not all
    y0, y1, x0, x1 = prepared.box
    assert (g.mask[:y0] == 0).all() and (g.mask[y1:] == 0).all() and (g.mask[:, :x0] == 0).all()
    assert g.mask[y0:y1, x0:x1].any(axis=1).all()


def test_apply_pattern_refuses_bad_input_and_handles_an_empty_mask():
    g = draw_garment("skirt", size=64)
    pat = _pattern(8, 8, seed=12)
    prepared = prepare_garment(g.image, g.mask)
    with pytest.raises(TypeError, match="prepare_garment"):
        apply_pattern(g.image, pat)
    with pytest.raises(ValueError, match="scale"):
        apply_pattern(prepared, pat, scale=-2.0)
    with pytest.raises(ValueError, match="shading_strength"):
        apply_pattern(prepared, pat, shading_strength=float("nan"))
    with pytest.raises(UnknownNameError, match="shade"):
        apply_pattern(prepared, pat, blend="glow")
    with pytest.raises(ValueError, match="shading"):
        prepare_garment(g.image, g.mask, shading=np.ones((5, 5), np.float32))
    with pytest.raises(ValueError, match="scale"):
        prepared.apply(pat, scale=0.0)  # the method checks its arguments too
    kept = prepared.apply(pat, rotation=10.0)  # apply_pattern is prepared.apply
    np.testing.assert_array_equal(kept.rgb, apply_pattern(prepared, pat, rotation=10.0).rgb)
    np.testing.assert_array_equal(kept.rgb, prepared.apply(pat, rotation=10.0, keep_maps=False).rgb)
    empty = prepare_garment(g.image, np.zeros((64, 64), np.uint8))
    assert empty.box is None
    res = apply_pattern(empty, pat)
    np.testing.assert_array_equal(res.rgb, g.image)
    assert not res.rgba.any() and not res.alpha8.any()
