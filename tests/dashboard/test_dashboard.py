"""The try-on dashboard's widget logic, without a browser: set widget values as the page would,
then assert on what the widgets show and what the downloads hold."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dashboard_models import generator_file, segmenter_file
from PIL import Image

pytest.importorskip("ipywidgets")


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    from aifashion.gan.generate import load_generator

    return load_generator(generator_file(tmp_path_factory.mktemp("gen")))


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory):
    from aifashion.segment import load_segmenter

    return load_segmenter("aifashion-ccp", weights=segmenter_file(tmp_path_factory.mktemp("seg")))


@pytest.fixture
def app(generator, segmenter, monkeypatch):
    from aifashion.dashboard import TryOnApp

    monkeypatch.delenv("AIFASHION_DASHBOARD_SAMPLES", raising=False)
    return TryOnApp(generator, segmenter, samples=False, seed=3)


def _decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(bytes(data)))
    img.load()
    return img


def _upload(app, name: str, data: bytes) -> None:
    """Set the FileUpload's value exactly as the front end's message deserialises to."""
    app.upload.value = (
        {
            "name": name,
            "type": "",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime.now(datetime.UTC),
        },
    )


def _photo(clothing_small_dir: Path, cls: str = "t-shirt", i: int = 0) -> Path:
    return sorted((clothing_small_dir / "validation" / cls).glob("*.jpg"))[i]


# ---------------------------------------------------------------- pure helpers
def test_tiled_swatch_repeats_the_tile_exactly():
    from aifashion.dashboard.session import tiled_swatch

    tile = Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8))
    sw = np.asarray(tiled_swatch(tile, 3))
    assert sw.shape == (60, 90, 3)
    t = np.asarray(tile)
    for i in range(3):
        for j in range(3):
            assert np.array_equal(sw[20 * i : 20 * i + 20, 30 * j : 30 * j + 30], t)


def test_encode_image_round_trips_and_rejects_unknown_format():
    from aifashion.dashboard.session import encode_image

    arr = np.random.default_rng(1).integers(0, 256, (33, 47, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(_decode(encode_image(arr, "PNG"))), arr)
    jpg = _decode(encode_image(arr, "jpeg"))
    assert jpg.format == "JPEG" and jpg.size == (47, 33)
    with pytest.raises(ValueError, match="valid: PNG, JPEG"):
        encode_image(arr, "GIF")


def test_mask_overlay_tints_only_the_mask():
    from aifashion.dashboard.session import mask_overlay

    img = Image.new("RGB", (8, 4), (100, 100, 100))
    mask = np.zeros((4, 8), np.float32)
    mask[:, 4:] = 1.0
    out = np.asarray(mask_overlay(img, mask))
    assert (out[:, :4] == 100).all() and not (out[:, 4:] == 100).all()


def test_download_link_holds_the_bytes_and_names_the_file():
    from aifashion.dashboard.downloads import DownloadLink

    link = DownloadLink("pattern")
    link.set(b"\x89PNG fake", "pattern-a.png", "image/png")
    assert link.data == b"\x89PNG fake" and link.filename == "pattern-a.png"
    assert 'download="pattern-a.png"' in link.link.value and link.css_class in link.link.value
    link.clear()
    assert link.data == b"" and link.link.value == ""


# ---------------------------------------------------------------- the app
def test_app_offers_the_generator_classes_and_shows_everything(app, generator):
    from aifashion.garments import GARMENTS

    assert list(app.category.options) == list(generator.classes)
    assert [k for _, k in app.picker.options] == [("drawn", n) for n in GARMENTS.names()]
    sw = _decode(app.swatch.value)
    assert sw.size == (576, 576)  # 3 x 3 tiles of 192 px
    assert app.tile.size == (256, 256)
    res = _decode(app.result_image.value)
    assert max(res.size) == app.display_px
    assert app.result.rgb.shape[:2] == app.garment_view.image.size[::-1]
    assert "aif-error" not in app.message.value


def test_swatch_is_the_seamless_tile_three_by_three(app, generator):
    tile = generator.render(app.category.value, app.seed.value, app.session.tile_px)
    assert np.array_equal(np.asarray(app.tile), np.asarray(tile))  # the tile the try-on uses
    small = np.asarray(tile.resize((192, 192), Image.BILINEAR), np.float32)
    sw = np.asarray(_decode(app.swatch.value), np.float32)
    for i in range(3):
        for j in range(3):  # JPEG-encoded for the page: close, not bit-exact
            assert np.abs(sw[192 * i : 192 * (i + 1), 192 * j : 192 * (j + 1)] - small).mean() < 6.0


def test_category_seed_and_mix_change_the_pattern(app, generator):
    first = bytes(app.swatch.value)
    result = bytes(app.result_image.value)
    app.category.value = generator.classes[1]
    assert bytes(app.swatch.value) != first and bytes(app.result_image.value) != result
    base = bytes(app.swatch.value)
    assert app.mix.disabled
    app.mix_with.value = generator.classes[2]
    assert not app.mix.disabled
    assert bytes(app.swatch.value) == base  # mix weight 0: the same pattern
    app.mix.value = 0.5
    assert app.mix_value == (generator.classes[2], 0.5)
    assert bytes(app.swatch.value) != base
    app.seed.value = 12345
    assert bytes(app.swatch.value) != base
    assert "aif-error" not in app.message.value


def test_new_pattern_draws_a_reproducible_seed_sequence(generator, segmenter):
    from aifashion.dashboard import TryOnApp

    a = TryOnApp(generator, segmenter, samples=False, seed=7)
    b = TryOnApp(generator, segmenter, samples=False, seed=7)
    before = bytes(a.swatch.value)
    a.new_pattern.click()
    b.new_pattern.click()
    assert a.seed.value == b.seed.value != 0
    assert bytes(a.swatch.value) != before and bytes(a.swatch.value) == bytes(b.swatch.value)
    assert a.timings["click_to_result"] > 0


def test_scale_and_rotation_update_the_result(app):
    g = app.garment_view
    tile = app.tile
    r1 = app.result.rgb.copy()
    app.scale.value = 2.0
    assert app.tile is tile  # scale magnifies the same tile: no new render
    assert app.session.compose_scale(g, 2.0) == pytest.approx(2 * app.session.compose_scale(g, 1.0))
    assert not np.array_equal(app.result.rgb, r1)
    r2 = app.result.rgb.copy()
    app.rotation.value = 45.0
    assert not np.array_equal(app.result.rgb, r2)
    inside = g.mask > 0.99
    outside = g.mask == 0
    img = np.asarray(g.image)
    assert np.array_equal(app.result.rgb[outside], img[outside])  # only the garment changes
    assert not np.array_equal(app.result.rgb[inside], img[inside])
    assert "repeats every 512 px" in app.status.value  # a 256-px tile at scale 2 on a 1024-px flat


def test_mask_overlay_checkbox(app):
    plain = bytes(app.original.value)
    app.show_mask.value = True
    assert bytes(app.original.value) != plain
    app.show_mask.value = False
    assert bytes(app.original.value) == plain


def test_photo_is_segmented_once_and_cached(generator, segmenter, clothing_small_dir):
    from aifashion.dashboard import TryOnApp

    app = TryOnApp(generator, segmenter, samples=clothing_small_dir, max_samples=4)
    photos = [k for _, k in app.picker.options if k[0] == "photo"]
    assert len(photos) == 4 and len({Path(k[1]).parent.name for k in photos}) == 4
    assert not any(Path(k[1]).parent.name in ("shoes", "hat") for k in photos)
    app.picker.value = photos[0]
    assert app.session.n_segmentations == 1 and "aif-error" not in app.message.value
    assert app.garment_view.mask.shape == app.garment_view.image.size[::-1]
    app.category.value = generator.classes[-1]
    app.scale.value = 1.5
    app.rotation.value = 30.0
    app.picker.value = app.picker.options[0][1]  # a drawn flat needs no segmentation
    app.picker.value = photos[0]
    assert app.session.n_segmentations == 1
    app.picker.value = photos[1]
    assert app.session.n_segmentations == 2


def test_upload_honours_exif_and_any_mode(app, clothing_small_dir):
    src = Image.open(_photo(clothing_small_dir))
    w, h = src.size
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    src.convert("CMYK").save(buf, "JPEG", exif=exif.tobytes())
    _upload(app, "sideways-cmyk.jpg", buf.getvalue())
    assert "aif-error" not in app.message.value
    assert app.picker.value[0] == "upload" and app.picker.options[-1][0] == "Upload: sideways-cmyk.jpg"
    assert app.garment_view.image.size == (h, w)  # EXIF orientation applied
    assert app.result.rgb.shape == (w, h, 3)
    assert app.upload.value == ()  # the raw bytes are not kept in the widget

    rgba = Image.new("RGBA", (300, 200), (200, 30, 30, 128))
    buf = io.BytesIO()
    rgba.save(buf, "WEBP")
    _upload(app, "small.webp", buf.getvalue())
    assert "aif-error" not in app.message.value and app.garment_view.image.size == (300, 200)


def test_bad_uploads_show_a_message_and_the_app_keeps_working(app, clothing_small_dir):
    before = app.picker.value
    cases = {
        "notes.jpg": b"this is not an image\n" * 10,
        "anim.gif": _encoded(Image.new("RGB", (10, 10)), "GIF"),
        "huge.png": _encoded(Image.new("L", (8000, 5100)), "PNG"),  # 40.8 MP
        "big.jpg": b"\xff\xd8" + bytes(21 * 1024 * 1024),
    }
    expected = {
        "notes.jpg": "not an image",
        "anim.gif": "not accepted",
        "huge.png": "megapixels",
        "big.jpg": "MB limit",
    }
    for name, data in cases.items():
        _upload(app, name, data)
        assert "aif-error" in app.message.value and name in app.message.value
        assert expected[name] in app.message.value
        assert app.picker.value == before
    _upload(app, "ok.jpg", _photo(clothing_small_dir).read_bytes())
    assert "aif-error" not in app.message.value and app.picker.value[0] == "upload"


def _encoded(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def test_pattern_download_is_rendered_at_the_requested_size(app, generator):
    app.dl_size.value = 512
    app.dl_format.value = "PNG"
    app.dl_pattern_btn.click()
    img = _decode(app.dl_pattern.data)
    assert img.format == "PNG" and img.size == (512, 512)
    # rendered by the generator at that size (not an upscaled tile): bit-exact in PNG
    expected = generator.render(app.category.value, app.seed.value, 512)
    assert np.array_equal(np.asarray(img), np.asarray(expected))
    assert app.dl_pattern.filename.endswith("-512.png")
    app.dl_format.value = "JPEG"
    app.dl_size.value = 256
    app.dl_pattern_btn.click()
    img = _decode(app.dl_pattern.data)
    assert img.format == "JPEG" and img.size == (256, 256) and app.dl_pattern.filename.endswith(".jpg")
    app.category.value = app.category.options[1]
    assert app.dl_pattern.data == b""  # a stale file is never offered


def test_result_download_is_the_full_size_composite(app):
    app.dl_result_format.value = "PNG"
    app.dl_result_btn.click()
    img = _decode(app.dl_result.data)
    assert np.array_equal(np.asarray(img), app.result.rgb)
    app.dl_result_format.value = "JPEG"
    app.dl_result_btn.click()
    img = _decode(app.dl_result.data)
    assert img.format == "JPEG" and img.size == app.result.rgb.shape[1::-1]


def test_sessions_are_independent_and_nothing_is_written(generator, segmenter, tmp_path, monkeypatch):
    from aifashion.dashboard import TryOnApp

    monkeypatch.chdir(tmp_path)
    a = TryOnApp(generator, segmenter, samples=False)
    b = TryOnApp(generator, segmenter, samples=False)
    a.seed.value = 11
    a.scale.value = 2.0
    a.dl_pattern_btn.click()
    assert b.seed.value == 0 and b.scale.value == 1.0 and b.dl_pattern.data == b""
    assert bytes(a.swatch.value) != bytes(b.swatch.value)
    assert list(tmp_path.iterdir()) == []


def test_offline_without_data_or_segmenter(generator, monkeypatch):
    """Shipped generator + drawn garments are enough; a photo without a segmenter is a message."""
    from aifashion.dashboard import TryOnApp

    monkeypatch.delenv("AIFASHION_DATA", raising=False)
    monkeypatch.delenv("AIFASHION_DASHBOARD_SAMPLES", raising=False)
    app = TryOnApp(generator, segmenter=None)
    assert all(k[0] == "drawn" for _, k in app.picker.options)
    assert app.result is not None
    _upload(app, "photo.png", _encoded(Image.new("RGB", (64, 48), (0, 90, 200)), "PNG"))
    assert "no segmenter" in app.message.value
    app.picker.value = app.picker.options[1][1]
    assert "aif-error" not in app.message.value and app.garment_view.key == app.picker.options[1][1]


# ---------------------------------------------------------------- CLI + notebook
def test_find_notebook_and_cli_errors(tmp_path):
    import socket

    from aifashion.cli import main
    from aifashion.dashboard import find_notebook

    nb = find_notebook()
    assert nb.name == "04_tryon_dashboard.ipynb" and nb.is_file()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_notebook(tmp_path / "missing.ipynb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "aifashion.cli", "dashboard", "--no-browser", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert r.returncode == 2 and "already in use" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert main(["dashboard", "--no-browser", "--port", "8866", "--generator", str(tmp_path / "nope.safetensors")]) == 2


def test_notebook_runs_under_papermill(tmp_path, clothing_small_dir, repo_root):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out"
    params = {"out_dir": str(out), "garment": "dress", "samples": str(clothing_small_dir)}
    gen = generator_file(tmp_path)
    seg = segmenter_file(tmp_path)
    if gen is not None:
        params["generator"] = str(gen)
    if seg is not None:
        params["segmenter_weights"] = str(seg)
    papermill.execute_notebook(
        str(repo_root / "notebooks" / "04_tryon_dashboard.ipynb"),
        str(tmp_path / "run.ipynb"),
        parameters=params,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    tryon = Image.open(out / "tryon.png")
    assert tryon.size == (1024, 1024)
    assert Image.open(out / "swatch.jpg").size == (576, 576)


# ---------------------------------------------------------------- serving: names, help, kernel settings
def test_sample_photos_are_named_by_class_and_number():
    from aifashion.dashboard.session import sample_labels

    photos = [Path(f"small/train/{c}/{u}.jpg") for c, u in (("t-shirt", "a1"), ("dress", "b2"), ("t-shirt", "c3"))]
    assert list(sample_labels(photos).values()) == ["t-shirt 1", "dress 1", "t-shirt 2"]


def test_help_line_and_voila_settings(monkeypatch, tmp_path):
    from aifashion.dashboard.serve import default_max_sessions, voila_argv
    from aifashion.dashboard.style import help_line

    monkeypatch.delenv("AIFASHION_DASHBOARD_IDLE_TIMEOUT", raising=False)
    assert "reload" not in help_line()
    monkeypatch.setenv("AIFASHION_DASHBOARD_IDLE_TIMEOUT", "900")
    assert "15 minutes" in help_line()
    argv = voila_argv(tmp_path / "nb.ipynb", 9999, max_sessions=3, idle_timeout=900)
    for flag in ("--port=9999", "--strip_sources=True", "--DashboardKernelManager.max_sessions=3",
                 "--MappingKernelManager.cull_idle_timeout=900", "--DashboardKernelManager.disconnect_grace=60",
                 "--MappingKernelManager.cull_connected=True"):  # fmt: skip
        assert flag in argv
    assert 2 <= default_max_sessions() <= 16


# ---------------------------------------------------------------- full-size result, own fabric, palette
def _big_upload(clothing_small_dir: Path, size=(2400, 3600)) -> bytes:
    """A sample photo upscaled to ``size`` (w, h) as a JPEG: a 8.6-MP upload."""
    with Image.open(_photo(clothing_small_dir, "dress")) as src:
        return _encoded(src.convert("RGB").resize(size, Image.BICUBIC), "JPEG")


def test_result_of_a_big_upload_downloads_at_the_photos_size(app, clothing_small_dir):
    import time

    _upload(app, "big-dress.jpg", _big_upload(clothing_small_dir))
    g = app.garment_view
    assert "aif-error" not in app.message.value and g.full_size == (2400, 3600)
    assert g.image.size == (683, 1024) and "2400×3600 px download" in app.status.value
    app.scale.value = 1.5
    app.rotation.value = 30.0
    preview = app.result.rgb.copy()
    app.dl_result_format.value = "PNG"
    t0 = time.perf_counter()
    app.dl_result_btn.click()
    print(f"full-size 2400x3600 result: {time.perf_counter() - t0:.1f} s")
    assert "aif-error" not in app.message.value
    full = _decode(app.dl_result.data)
    assert full.format == "PNG" and full.size == (2400, 3600)
    small = np.asarray(full.resize(g.image.size, Image.BOX), np.float32)
    diff = np.abs(small - preview.astype(np.float32))
    inside = g.mask > 0.9
    # the same pattern, scale, rotation and shading: the downscaled download is the preview
    assert diff.mean() < 2.0 and diff[inside].mean() < 4.0, (diff.mean(), diff[inside].mean())
    outside = g.mask < 0.01
    assert diff[outside].mean() < 1.0  # the photo outside the garment is the photo
    assert app.garment_view.prepared is g.prepared  # nothing full-size was kept on the garment


def test_drawn_flat_downloads_at_its_own_size(app):
    app.dl_result_btn.click()
    assert np.array_equal(np.asarray(_decode(app.dl_result.data)), app.result.rgb)


def test_own_fabric_is_tiled_sized_in_cm_and_worn(app, fingercamera_dir):
    from aifashion.dashboard.session import GARMENT_WIDTH_CM, garment_width_px

    before = bytes(app.result_image.value)
    photo = sorted((fingercamera_dir / "striped").glob("*"))[0]
    _upload_to(app.fabric_upload, photo.name, photo.read_bytes())
    assert "aif-error" not in app.fabric_panel.message.value and "seamless" in app.fabric_panel.message.value
    assert app.fabric_tile is not None and app.tile is app.fabric_tile and app.fabric_upload.value == ()
    assert bytes(app.result_image.value) != before and "fabric " + photo.name in app.status.value
    assert app.category.disabled and app.scale.disabled and not app.tile_cm.disabled
    g = app.garment_view
    for cm in (10.0, 25.0):
        app.tile_cm.value = cm
        period = app.tile.width * app.session.magnification(g, app.tile, tile_cm=cm)
        assert period == pytest.approx(cm / GARMENT_WIDTH_CM * garment_width_px(g.mask))
        assert f"repeats every {period:.0f} px" in app.status.value
    app.dl_pattern_btn.click()
    assert _decode(app.dl_pattern.data).size == app.fabric_tile.size and app.dl_pattern.filename.startswith("fabric-")
    app.fabric_back.click()
    assert app.fabric_tile is None and not app.category.disabled and app.tile_cm.disabled
    assert app.tile.size == (app.session.tile_px,) * 2 and "seed" in app.status.value


def test_bad_fabric_shows_a_message_and_the_app_keeps_working(app):
    before = bytes(app.result_image.value)
    for name, data in {
        "notes.jpg": b"not a photo\n" * 20,
        "tiny.png": _encoded(Image.new("RGB", (40, 30)), "PNG"),
    }.items():
        _upload_to(app.fabric_upload, name, data)
        msg = app.fabric_panel.message.value
        assert "aif-error" in msg and name in msg and len(msg.splitlines()) == 1
        assert app.fabric_tile is None and bytes(app.result_image.value) == before
    app.seed.value = 5
    assert bytes(app.result_image.value) != before


def test_palette_recolours_the_pattern_and_its_download(app, generator):
    from aifashion.gan.palette import PALETTES

    assert list(app.palette.options) == ["original", *PALETTES]
    tile, swatch = app.tile, bytes(app.swatch.value)
    app.palette.value = "navy-cream"
    assert app.tile is not tile and bytes(app.swatch.value) != swatch
    assert np.array_equal(np.asarray(app.tile), np.asarray(generator.render(app.category.value, app.seed.value,
                                                                            256, palette="navy-cream")))  # fmt: skip
    app.dl_size.value = 256
    app.dl_pattern_btn.click()
    assert "-navy-cream-" in app.dl_pattern.filename
    app.palette.value = "original"
    assert np.array_equal(np.asarray(app.tile), np.asarray(tile))


def _upload_to(widget, name: str, data: bytes) -> None:
    widget.value = (
        {"name": name, "type": "", "size": len(data), "content": memoryview(data),
         "last_modified": datetime.datetime.now(datetime.UTC)},
    )  # fmt: skip
