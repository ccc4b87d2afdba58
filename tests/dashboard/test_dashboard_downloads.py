"""Downloads (``aifashion.dashboard.downloads`` and the two download buttons): the link holds the
bytes, the pattern is rendered at the size asked for, the result is composited at the photo's own
size, and the files are named safely."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from dashboard_files import decode, encoded, sample_photo, upload
from PIL import Image

pytest.importorskip("ipywidgets")


def test_download_link_holds_the_bytes_and_names_the_file():
    from aifashion.dashboard.downloads import DownloadLink

    link = DownloadLink("pattern")
    link.set(b"\x89PNG fake", "pattern-a.png", "image/png")
    assert link.data == b"\x89PNG fake" and link.filename == "pattern-a.png"
    assert 'download="pattern-a.png"' in link.link.value and link.css_class in link.link.value
    link.clear()
    assert link.data == b"" and link.link.value == ""


def test_file_stem_keeps_a_safe_part_of_the_name():
    from aifashion.dashboard.downloads import file_stem

    assert file_stem("my dress (1).JPG", "garment") == "my_dress__1_"
    assert file_stem("../../etc/passwd.png", "x") == "passwd"
    assert file_stem("t-shirt_2.webp", "x") == "t-shirt_2"
    assert file_stem("a" * 60 + ".png", "x") == "a" * 40
    assert file_stem("", "garment") == "garment" and file_stem(".png", "x") == "_png"


def test_pattern_download_is_rendered_at_the_requested_size(app, generator):
    p = app.pattern_panel
    p.dl_size.value = 512
    p.dl_format.value = "PNG"
    p.dl_button.click()
    img = decode(p.download.data)
    assert img.format == "PNG" and img.size == (512, 512)
    # rendered by the generator at that size (not an upscaled tile): bit-exact in PNG
    expected = generator.render(p.category.value, p.seed.value, 512)
    assert np.array_equal(np.asarray(img), np.asarray(expected))
    assert p.download.filename.endswith("-512.png")
    p.dl_format.value = "JPEG"
    p.dl_size.value = 256
    p.dl_button.click()
    img = decode(p.download.data)
    assert img.format == "JPEG" and img.size == (256, 256) and p.download.filename.endswith(".jpg")
    p.category.value = p.category.options[1]
    assert p.download.data == b""  # a stale file is never offered


def test_pattern_download_is_a_print_ready_repeat_with_its_dpi(app, generator):
    from aifashion.repeat import repeat_unit

    p = app.pattern_panel
    p.dl_size.value, p.dl_format.value = 256, "PNG"
    p.dl_repeat.value, p.dl_dpi.value = "half-drop", 150
    p.dl_button.click()
    img = decode(p.download.data)
    assert img.size == (256, 256) and round(img.info["dpi"][0]) == 150
    expected = repeat_unit(generator.render(p.category.value, p.seed.value, 256), "half-drop")
    assert np.array_equal(np.asarray(img), np.asarray(expected))  # the unit the CLI writes
    assert "-half-drop-" in p.download.filename
    p.dl_format.value = "JPEG"
    p.dl_button.click()
    assert round(decode(p.download.data).info["dpi"][0]) == 150


def test_result_download_is_the_full_size_composite(app):
    r = app.result_panel
    r.dl_format.value = "PNG"
    r.dl_button.click()
    img = decode(r.download.data)
    assert np.array_equal(np.asarray(img), app.result.rgb)
    assert r.download.filename == "tryon-t-shirt-" + f"{app.pattern_panel.category.value}-seed0.png"
    r.dl_format.value = "JPEG"
    r.dl_button.click()
    img = decode(r.download.data)
    assert img.format == "JPEG" and img.size == app.result.rgb.shape[1::-1]


def _big_upload(clothing_small_dir: Path, size=(2400, 3600)) -> bytes:
    """A sample photo upscaled to ``size`` (w, h) as a JPEG: a 8.6-MP upload."""
    with Image.open(sample_photo(clothing_small_dir, "dress")) as src:
        return encoded(src.convert("RGB").resize(size, Image.BICUBIC), "JPEG")


def test_result_of_a_big_upload_downloads_at_the_photos_size(app, clothing_small_dir):
    g_panel, r = app.garment_panel, app.result_panel
    upload(g_panel.upload, "big-dress.jpg", _big_upload(clothing_small_dir))
    g = app.garment_view
    assert "aif-error" not in g_panel.message.value and g.full_size == (2400, 3600)
    assert g.image.size == (683, 1024) and "2400×3600 px download" in r.status.value
    r.scale.value = 1.5
    r.rotation.value = 30.0
    preview = app.result.rgb.copy()
    r.dl_format.value = "PNG"
    t0 = time.perf_counter()
    r.dl_button.click()
    print(f"full-size 2400x3600 result: {time.perf_counter() - t0:.1f} s")
    assert "aif-error" not in g_panel.message.value
    full = decode(r.download.data)
    assert full.format == "PNG" and full.size == (2400, 3600)
    assert r.download.filename.startswith("tryon-big-dress-")
    small = np.asarray(full.resize(g.image.size, Image.BOX), np.float32)
    diff = np.abs(small - preview.astype(np.float32))
    inside = g.mask > 0.9
    # the same pattern, scale, rotation and shading: the downscaled download is the preview
    assert diff.mean() < 2.0 and diff[inside].mean() < 4.0, (diff.mean(), diff[inside].mean())
    outside = g.mask < 0.01
    assert diff[outside].mean() < 1.0  # the photo outside the garment is the photo
    assert app.garment_view.prepared is g.prepared  # nothing full-size was kept on the garment


def test_drawn_flat_downloads_at_its_own_size(app):
    app.result_panel.dl_button.click()
    assert np.array_equal(np.asarray(decode(app.result_panel.download.data)), app.result.rgb)
