"""The try-on dashboard's widget logic (``TryOnApp`` and its panels), without a browser: set
widget values as the page would, then assert on what the widgets show."""

from __future__ import annotations

import numpy as np
import pytest
from dashboard_files import decode, encoded, upload
from PIL import Image

pytest.importorskip("ipywidgets")


def test_app_offers_the_generator_classes_and_shows_everything(app, generator):
    from aifashion.garments import GARMENTS

    assert list(app.pattern_panel.category.options) == list(generator.classes)
    assert [k for _, k in app.garment_panel.picker.options] == [("drawn", n) for n in GARMENTS.names()]
    sw = decode(app.pattern_panel.swatch.value)
    assert sw.size == (576, 576)  # 3 x 3 tiles of 192 px
    assert app.tile.size == (256, 256)
    res = decode(app.result_panel.image.value)
    assert max(res.size) == app.display_px
    assert app.result.rgb.shape[:2] == app.garment_view.image.size[::-1]
    assert "aif-error" not in app.garment_panel.message.value


def test_swatch_is_the_seamless_tile_three_by_three(app, generator):
    p = app.pattern_panel
    tile = generator.render(p.category.value, p.seed.value, app.session.tile_px)
    assert np.array_equal(np.asarray(app.tile), np.asarray(tile))  # the tile the try-on uses
    small = np.asarray(tile.resize((192, 192), Image.BILINEAR), np.float32)
    sw = np.asarray(decode(p.swatch.value), np.float32)
    for i in range(3):
        for j in range(3):  # JPEG-encoded for the page: close, not bit-exact
            assert np.abs(sw[192 * i : 192 * (i + 1), 192 * j : 192 * (j + 1)] - small).mean() < 6.0


def test_category_seed_and_mix_change_the_pattern(app, generator):
    p = app.pattern_panel
    first = bytes(p.swatch.value)
    result = bytes(app.result_panel.image.value)
    p.category.value = generator.classes[1]
    assert bytes(p.swatch.value) != first and bytes(app.result_panel.image.value) != result
    base = bytes(p.swatch.value)
    assert p.mix.disabled
    p.mix_with.value = generator.classes[2]
    assert not p.mix.disabled
    assert bytes(p.swatch.value) == base  # mix weight 0: the same pattern
    p.mix.value = 0.5
    assert p.mix_value == (generator.classes[2], 0.5)
    assert bytes(p.swatch.value) != base
    p.seed.value = 12345
    assert bytes(p.swatch.value) != base
    assert "aif-error" not in app.garment_panel.message.value


def test_new_pattern_draws_a_reproducible_seed_sequence(generator, segmenter):
    from aifashion.dashboard import TryOnApp

    first = TryOnApp(generator, segmenter, samples=False, seed=7)
    a, b = first.pattern_panel, TryOnApp(generator, segmenter, samples=False, seed=7).pattern_panel
    before = bytes(a.swatch.value)
    a.new_pattern.click()
    b.new_pattern.click()
    assert a.seed.value == b.seed.value != 0
    assert bytes(a.swatch.value) != before and bytes(a.swatch.value) == bytes(b.swatch.value)
    assert first.timings["click_to_result"] > 0


def test_scale_and_rotation_update_the_result(app):
    g, r = app.garment_view, app.result_panel
    tile = app.tile
    r1 = app.result.rgb.copy()
    r.scale.value = 2.0
    assert app.tile is tile  # scale magnifies the same tile: no new render
    assert app.session.compose_scale(g, 2.0) == pytest.approx(2 * app.session.compose_scale(g, 1.0))
    assert not np.array_equal(app.result.rgb, r1)
    r2 = app.result.rgb.copy()
    r.rotation.value = 45.0
    assert not np.array_equal(app.result.rgb, r2)
    inside = g.mask > 0.99
    outside = g.mask == 0
    img = np.asarray(g.image)
    assert np.array_equal(app.result.rgb[outside], img[outside])  # only the garment changes
    assert not np.array_equal(app.result.rgb[inside], img[inside])
    assert "repeats every 512 px" in r.status.value  # a 256-px tile at scale 2 on a 1024-px flat


def test_mask_overlay_checkbox(app):
    g = app.garment_panel
    plain = bytes(g.original.value)
    g.show_mask.value = True
    assert bytes(g.original.value) != plain
    g.show_mask.value = False
    assert bytes(g.original.value) == plain


def test_palette_recolours_the_pattern_and_its_download(app, generator):
    from aifashion.gan.palette import PALETTES

    p = app.pattern_panel
    assert list(p.palette.options) == ["original", *PALETTES]
    tile, swatch = app.tile, bytes(p.swatch.value)
    p.palette.value = "navy-cream"
    assert app.tile is not tile and bytes(p.swatch.value) != swatch
    expected = generator.render(p.category.value, p.seed.value, 256, palette="navy-cream")
    assert np.array_equal(np.asarray(app.tile), np.asarray(expected))
    p.dl_size.value = 256
    p.dl_button.click()
    assert "-navy-cream-" in p.download.filename
    p.palette.value = "original"
    assert np.array_equal(np.asarray(app.tile), np.asarray(tile))


def test_sessions_are_independent_and_nothing_is_written(generator, segmenter, tmp_path, monkeypatch):
    from aifashion.dashboard import TryOnApp

    monkeypatch.chdir(tmp_path)
    a = TryOnApp(generator, segmenter, samples=False)
    b = TryOnApp(generator, segmenter, samples=False)
    a.pattern_panel.seed.value = 11
    a.result_panel.scale.value = 2.0
    a.pattern_panel.dl_button.click()
    assert b.pattern_panel.seed.value == 0 and b.result_panel.scale.value == 1.0
    assert b.pattern_panel.download.data == b""
    assert bytes(a.pattern_panel.swatch.value) != bytes(b.pattern_panel.swatch.value)
    assert list(tmp_path.iterdir()) == []


def test_offline_without_data_or_segmenter(generator, monkeypatch):
    """Shipped generator + drawn garments are enough; a photo without a segmenter is a message."""
    from aifashion.dashboard import TryOnApp

    monkeypatch.delenv("AIFASHION_DATA", raising=False)
    monkeypatch.delenv("AIFASHION_DASHBOARD_SAMPLES", raising=False)
    app = TryOnApp(generator, segmenter=None)
    g = app.garment_panel
    assert all(k[0] == "drawn" for _, k in g.picker.options)
    assert app.result is not None
    upload(g.upload, "photo.png", encoded(Image.new("RGB", (64, 48), (0, 90, 200)), "PNG"))
    assert "no segmenter" in g.message.value
    g.picker.value = g.picker.options[1][1]
    assert "aif-error" not in g.message.value and app.garment_view.key == g.picker.options[1][1]
