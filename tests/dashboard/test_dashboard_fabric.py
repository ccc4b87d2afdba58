"""The user's own fabric (``FabricPanel``): a photo becomes a seamless tile sized in centimetres
and worn instead of generated patterns; a bad file is one line and changes nothing."""

from __future__ import annotations

import pytest
from dashboard_files import decode, encoded, upload
from PIL import Image

pytest.importorskip("ipywidgets")


def test_own_fabric_is_tiled_sized_in_cm_and_worn(app, fingercamera_dir):
    from aifashion.dashboard.session import GARMENT_WIDTH_CM, garment_width_px

    f, p, r = app.fabric_panel, app.pattern_panel, app.result_panel
    before = bytes(r.image.value)
    photo = sorted((fingercamera_dir / "striped").glob("*"))[0]
    upload(f.upload, photo.name, photo.read_bytes())
    assert "aif-error" not in f.message.value and "seamless" in f.message.value
    assert app.fabric_tile is not None and app.tile is app.fabric_tile and f.upload.value == ()
    assert bytes(r.image.value) != before and "fabric " + photo.name in r.status.value
    assert p.category.disabled and r.scale.disabled and not f.tile_cm.disabled
    g = app.garment_view
    for cm in (10.0, 25.0):
        f.tile_cm.value = cm
        period = app.tile.width * app.session.magnification(g, app.tile, tile_cm=cm)
        assert period == pytest.approx(cm / GARMENT_WIDTH_CM * garment_width_px(g.mask))
        assert f"repeats every {period:.0f} px" in r.status.value
    p.dl_button.click()
    assert decode(p.download.data).size == app.fabric_tile.size and p.download.filename.startswith("fabric-")
    f.back.click()
    assert app.fabric_tile is None and not p.category.disabled and f.tile_cm.disabled
    assert app.tile.size == (app.session.tile_px,) * 2 and "seed" in r.status.value


def test_bad_fabric_shows_a_message_and_the_app_keeps_working(app):
    f = app.fabric_panel
    before = bytes(app.result_panel.image.value)
    for name, data in {
        "notes.jpg": b"not a photo\n" * 20,
        "tiny.png": encoded(Image.new("RGB", (40, 30)), "PNG"),
    }.items():
        upload(f.upload, name, data)
        assert "aif-error" in f.message.value and name in f.message.value and len(f.message.value.splitlines()) == 1
        assert app.fabric_tile is None and bytes(app.result_panel.image.value) == before
    app.pattern_panel.seed.value = 5
    assert bytes(app.result_panel.image.value) != before
