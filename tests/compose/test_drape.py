"""How the pattern sits on the cloth: clean soft edges, the fold warp, each part its own origin."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aifashion.compose import prepare_garment, try_on
from aifashion.compose.drape import WARP, edge_background, fold_displacement, placement_displacement
from aifashion.compose.masks import feather8

GREEN, WHITE, RED = (40, 170, 60), (245, 245, 240), (200, 30, 30)


def _green_disc(size: int = 160, radius: float = 50.0):
    """A green disc on a white backdrop, anti-aliased (drawn 4x and downsampled), and a mask whose
    edge sits 1.5 px inside the disc's (as a segmenter's often does)."""
    big = size * 4
    yy, xx = (np.mgrid[:big, :big] + 0.5) / 4
    disc = np.hypot(yy - size / 2, xx - size / 2) < radius
    img = np.where(disc[..., None], np.array(GREEN, np.uint8), np.array(WHITE, np.uint8))
    photo = np.asarray(Image.fromarray(img).resize((size, size), Image.BOX))
    yy, xx = np.mgrid[:size, :size] + 0.5
    mask = (np.hypot(yy - size / 2, xx - size / 2) < radius - 1.5).astype(np.float32)
    return photo, mask


def _green_excess(rgb: np.ndarray) -> np.ndarray:
    f = rgb.astype(int)
    return f[..., 1] - (f[..., 0] + f[..., 2]) / 2


def test_the_soft_edge_mixes_with_the_backdrop_so_no_rim_of_the_old_colour_stays():
    photo, mask = _green_disc()
    red = np.full((8, 8, 3), RED, np.uint8)
    res = try_on(photo, mask, red, feather=3.0, shading_strength=0.0)
    rim = (res.alpha8 > 0) & (res.alpha8 < 255)
    assert rim.sum() > 200
    # the composite of old: alpha * red + (1 - alpha) * photo -- green shows through the rim
    a = res.alpha[..., None]
    naive = a * np.array(RED) + (1 - a) * photo
    assert _green_excess(naive)[rim].max() > 40
    # decontaminated: between red and the white backdrop, nowhere green
    assert _green_excess(res.rgb)[rim].max() < 8
    assert np.array_equal(res.rgb[mask == 0], photo[mask == 0])  # outside: the photo, bit for bit


def test_edge_background_takes_the_colour_beyond_the_mask_and_leaves_hard_pixels_alone():
    photo, mask = _green_disc()
    m8 = (mask * 255).astype(np.uint8)
    a8, box = feather8(m8, 3.0)
    under = edge_background(photo, m8, a8, box, 9)
    y0, y1, x0, x1 = box
    soft = (a8 > 0) & (a8 < 255)
    assert np.abs(under[soft].astype(int) - WHITE).max() <= 12  # the backdrop (a little anti-aliasing)
    hard = ~soft
    assert (under[hard] == photo[y0:y1, x0:x1][hard]).all()
    assert edge_background(photo, m8, np.where(a8 > 0, 255, 0).astype(np.uint8), box, 9) is None


def test_fold_displacement_follows_the_shading_gradient_and_is_capped():
    h, w = 120, 200
    xx = np.arange(w)[None, :].repeat(h, 0)
    shading = 1.0 - 0.3 * np.exp(-(((xx - 100) / 12.0) ** 2))  # one vertical fold in the middle
    a8 = np.full((h, w), 255, np.uint8)
    d = fold_displacement(shading, a8, 0.02)
    assert d.shape == (2, h, w) and d.dtype == np.float32
    assert np.abs(d[0]).max() < 0.05 * np.abs(d[1]).max()  # a vertical fold moves the pattern sideways
    assert 0.5 * 0.02 * w < np.abs(d[1]).max() <= 0.02 * w + 1e-4
    assert d[1][:, 80].mean() * d[1][:, 120].mean() < 0  # opposite ways on either side of the fold
    assert fold_displacement(shading, a8, 0.0) is None
    assert fold_displacement(np.ones((h, w)), a8, 0.02) is None  # no light variation: no warp


def test_placement_gives_each_part_its_top_centre_and_absorbs_stray_patches():
    labels = np.full((100, 60), 2, np.uint8)
    labels[60:] = 4  # a bottom below a top
    labels[20:23, 30:33] = 3  # a stray 9-px patch of "outer" inside the top
    a8 = np.full(labels.shape, 255, np.uint8)
    d = placement_displacement(labels, a8, origin=(10, 5))
    assert d is not None
    assert (d[:, :60] == np.array([-10.0, -35.0])[:, None, None]).all()  # the patch follows the top
    assert (d[:, 60:] == np.array([-70.0, -35.0])[:, None, None]).all()
    assert placement_displacement(np.full((50, 50), 2, np.uint8), np.full((50, 50), 255, np.uint8)) is None


def test_warp_and_placement_keep_prepare_apply_bit_identical_and_the_outside_untouched(clothing_small_dir):
    photo = np.asarray(Image.open(next(iter(sorted(clothing_small_dir.rglob("*.jpg"))))).convert("RGB"))
    h, w = photo.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[h // 5 : 4 * h // 5, w // 4 : 3 * w // 4] = 1
    place = np.full((h, w), 2, np.uint8)
    place[h // 2 :] = 4
    stripes = np.zeros((16, 16, 3), np.uint8)
    stripes[:, :6] = 255
    kw = dict(shading="intrinsic", warp=WARP, placement=place)
    one = try_on(photo, mask, stripes, rotation=10, **kw)
    prepared = prepare_garment(photo, mask, shading="intrinsic", warp=WARP, placement=place)
    two = prepared.apply(stripes, rotation=10)
    assert np.array_equal(one.rgb, two.rgb) and np.array_equal(one.rgba, two.rgba)
    straight = try_on(photo, mask, stripes, rotation=10, shading="intrinsic")
    assert (one.rgb != straight.rgb).any(axis=2).mean() > 0.05  # the pattern moved
    assert np.array_equal(one.rgb[mask == 0], photo[mask == 0])


@pytest.mark.parametrize("bad", [-0.1, 0.5, float("nan")])
def test_a_bad_warp_or_placement_is_a_clear_error(bad):
    img = np.zeros((20, 20, 3), np.uint8)
    mask = np.ones((20, 20), np.float32)
    with pytest.raises(ValueError, match="warp"):
        prepare_garment(img, mask, warp=bad)
    with pytest.raises(ValueError, match="placement must be 20x20"):
        prepare_garment(img, mask, placement=np.zeros((10, 10), np.uint8))
