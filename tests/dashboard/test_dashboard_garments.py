"""The garment column: sample photos in the picker, segmentation once per photo (cached in the
session), uploads of any orientation and mode, and bad uploads reported on one line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from dashboard_files import encoded, sample_photo, upload
from PIL import Image

pytest.importorskip("ipywidgets")


def test_sample_photos_are_named_by_class_and_number():
    from aifashion.dashboard.loading import sample_labels

    photos = [Path(f"small/train/{c}/{u}.jpg") for c, u in (("t-shirt", "a1"), ("dress", "b2"), ("t-shirt", "c3"))]
    assert list(sample_labels(photos).values()) == ["t-shirt 1", "dress 1", "t-shirt 2"]


def test_photo_is_segmented_once_and_cached(generator, segmenter, clothing_small_dir):
    from aifashion.dashboard import TryOnApp

    app = TryOnApp(generator, segmenter, samples=clothing_small_dir, max_samples=4)
    picker = app.garment_panel.picker
    photos = [k for _, k in picker.options if k[0] == "photo"]
    assert len(photos) == 4 and len({Path(k[1]).parent.name for k in photos}) == 4
    assert not any(Path(k[1]).parent.name in ("shoes", "hat") for k in photos)
    picker.value = photos[0]
    assert app.session.n_segmentations == 1 and "aif-error" not in app.garment_panel.message.value
    assert app.garment_view.mask.shape == app.garment_view.image.size[::-1]
    app.pattern_panel.category.value = generator.classes[-1]
    app.result_panel.scale.value = 1.5
    app.result_panel.rotation.value = 30.0
    picker.value = picker.options[0][1]  # a drawn flat needs no segmentation
    picker.value = photos[0]
    assert app.session.n_segmentations == 1 and app.session.has_garment(photos[0])
    picker.value = photos[1]
    assert app.session.n_segmentations == 2
    app.session.forget(garments=True)  # what the latency benchmark does to time the uncached path
    assert not app.session.has_garment(photos[0])
    picker.value = photos[0]
    assert app.session.n_segmentations == 3


def test_upload_honours_exif_and_any_mode(app, clothing_small_dir):
    g = app.garment_panel
    src = Image.open(sample_photo(clothing_small_dir))
    w, h = src.size
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    src.convert("CMYK").save(buf, "JPEG", exif=exif.tobytes())
    upload(g.upload, "sideways-cmyk.jpg", buf.getvalue())
    assert "aif-error" not in g.message.value
    assert g.picker.value[0] == "upload" and g.picker.options[-1][0] == "Upload: sideways-cmyk.jpg"
    assert app.garment_view.image.size == (h, w)  # EXIF orientation applied
    assert app.result.rgb.shape == (w, h, 3)
    assert g.upload.value == ()  # the raw bytes are not kept in the widget

    rgba = Image.new("RGBA", (300, 200), (200, 30, 30, 128))
    upload(g.upload, "small.webp", encoded(rgba, "WEBP"))
    assert "aif-error" not in g.message.value and app.garment_view.image.size == (300, 200)


def test_bad_uploads_show_a_message_and_the_app_keeps_working(app, clothing_small_dir):
    g = app.garment_panel
    before = g.picker.value
    cases = {
        "notes.jpg": (b"this is not an image\n" * 10, "not an image"),
        "anim.gif": (encoded(Image.new("RGB", (10, 10)), "GIF"), "not accepted"),
        "huge.png": (encoded(Image.new("L", (8000, 5100)), "PNG"), "megapixels"),  # 40.8 MP
        "big.jpg": (b"\xff\xd8" + bytes(21 * 1024 * 1024), "MB limit"),
    }
    for name, (data, expected) in cases.items():
        upload(g.upload, name, data)
        assert "aif-error" in g.message.value and name in g.message.value
        assert expected in g.message.value
        assert g.picker.value == before
    upload(g.upload, "ok.jpg", sample_photo(clothing_small_dir).read_bytes())
    assert "aif-error" not in g.message.value and g.picker.value[0] == "upload"
