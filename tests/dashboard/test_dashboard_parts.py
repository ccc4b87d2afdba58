"""The dashboard with a parts segmenter: one checkbox per garment found in a street photo, only
the ticked garments patterned, the rest of the photo bit for bit as it was; a 3-class segmenter
offers no choice and patterns the whole garment. Real weights and photos, no mocks."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

pytest.importorskip("ipywidgets")

REPO = Path(__file__).resolve().parents[2]
PARTS_WEIGHTS = REPO / "runs" / "continue" / "segmenter_lite0_parts.safetensors"
WORK = 512  # below the CCP photos' size, so that the result download is composited at full size


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def parts_segmenter():
    if not PARTS_WEIGHTS.is_file():
        pytest.skip(f"no parts segmenter weights at {PARTS_WEIGHTS}")
    from aifashion.segment import load_segmenter

    return load_segmenter("aifashion-lite0", weights=PARTS_WEIGHTS)


@pytest.fixture(scope="module")
def street_photo(ccp_dir, parts_segmenter) -> Path:
    """The first validation photo of CCP in which the parts model finds two garments of at least
    3 % of the photo each (validation photos were never seen in training)."""
    from aifashion.dashboard.images import fit_within
    from aifashion.segment.data import ccp_split

    for pid in ccp_split(ccp_dir)[1][:30]:
        path = ccp_dir / "photos" / f"{pid}.jpg"
        with Image.open(path) as im:
            areas = parts_segmenter.predict(fit_within(im.convert("RGB"), WORK)).part_areas()
        if sum(a >= 0.03 for a in areas.values()) >= 2:
            return path
    raise AssertionError("no CCP validation photo among the first 30 shows two garments to the parts model")


def _app(generator, segmenter, photo: Path):
    """A dashboard opened on ``photo`` (as the notebook's ``garment`` parameter does)."""
    from aifashion.dashboard import TryOnApp

    app = TryOnApp(generator, segmenter, samples=False, seed=3, work_size=WORK)
    app.select_garment(("photo", str(photo)))
    assert "aif-error" not in app.garment_panel.message.value, app.garment_panel.message.value
    return app


@pytest.fixture
def app(generator, parts_segmenter, street_photo):
    return _app(generator, parts_segmenter, street_photo)


def _region(view, parts, grow: int) -> np.ndarray:
    """bool HxW: where ``view.masks.part_map`` gives one of ``parts``, grown by ``grow`` pixels."""
    ids = [2 + view.masks.part_names.index(p) for p in parts]
    core = np.isin(view.masks.part_map(), ids)
    if grow == 0 or not core.any():
        return core
    grown = Image.fromarray(core.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(2 * grow + 1))
    return np.asarray(grown) > 0


def _chosen_mask(masks, parts) -> np.ndarray:
    """The garment's probability where the most likely part is one of ``parts``, else 0."""
    ids = [masks.part_names.index(p) for p in parts]
    return np.where(np.isin(masks.parts.argmax(0), ids), masks.garment, 0).astype(np.float32)


def _grow(view) -> int:
    """The feathered edge's reach (the default feather of the working image) plus a pixel."""
    from aifashion.compose import default_feather

    return math.ceil(default_feather(*view.mask.shape)) + 1


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(bytes(data))) as im:
        return np.asarray(im.convert("RGB"))


def _label(name: str, fraction: float) -> str:
    return f"{name} · {max(1, round(100 * fraction))}% of the photo"


# ---------------------------------------------------------------- the checkboxes
def test_checkboxes_name_the_garments_found_largest_ticked(app):
    g = app.garment_view
    areas = g.masks.part_areas()
    shown = {n: a for n, a in areas.items() if a >= 0.005}
    assert len(shown) >= 2 and list(app.garment_panel.part_boxes) == list(shown)  # largest first, stray parts left out
    assert list(shown.values()) == sorted(shown.values(), reverse=True)
    for name, box in app.garment_panel.part_boxes.items():
        assert box.description == _label(name, areas[name])
        assert box in app.garment_panel.parts.children
    largest = next(iter(shown))
    assert [n for n, b in app.garment_panel.part_boxes.items() if b.value] == [largest]
    assert g.parts == (largest,) and g.parts_found == shown
    np.testing.assert_array_equal(g.mask, _chosen_mask(g.masks, [largest]))
    assert app.garment_panel.parts_hint.value == ""
    assert app.session.n_segmentations == 1


def test_only_the_ticked_garments_are_patterned(app):
    photo = np.asarray(app.garment_view.image)
    first, second = list(app.garment_panel.part_boxes)[:2]
    grow = _grow(app.garment_view)

    def check(parts):
        g = app.garment_view
        assert g.parts == tuple(n for n in g.masks.part_names if n in parts)
        outside = ~_region(g, parts, grow)
        np.testing.assert_array_equal(app.result.rgb[outside], photo[outside])  # bit for bit
        core = _region(g, parts, 0)
        # fully patterned, even where the model hesitates between two parts (alpha: 0..255)
        assert app.result.alpha8[core].mean() > 0.6 * 255, app.result.alpha8[core].mean() / 255
        inside = core & (g.mask > 0.9)
        assert inside.sum() > 500 and (app.result.rgb[inside] != photo[inside]).any(axis=1).mean() > 0.9
        return outside

    outside = check([first])
    assert (outside & _region(app.garment_view, [second], 0)).mean() > 0.02  # the other garment is kept
    app.garment_panel.part_boxes[second].value = True
    check([first, second])
    app.garment_panel.part_boxes[first].value = False
    check([second])
    assert "aif-error" not in app.garment_panel.message.value
    assert app.session.n_segmentations == 1  # ticking never segments again


def test_unticking_every_garment_leaves_the_photo(app, street_photo):
    for box in app.garment_panel.part_boxes.values():
        box.value = False
    g = app.garment_view
    assert g.parts == () and not g.mask.any()
    np.testing.assert_array_equal(app.result.rgb, np.asarray(g.image))
    hint = app.garment_panel.parts_hint.value
    assert "aif-muted" in hint and "Tick a garment" in hint and "aif-error" not in app.garment_panel.message.value
    app.result_panel.dl_format.value = "PNG"
    app.result_panel.dl_button.click()  # the full-size download is the photo as well
    with Image.open(street_photo) as im:
        np.testing.assert_array_equal(_decode(app.result_panel.download.data), np.asarray(im.convert("RGB")))
    next(iter(app.garment_panel.part_boxes.values())).value = True
    assert app.garment_panel.parts_hint.value == "" and not np.array_equal(app.result.rgb, np.asarray(g.image))


def test_full_size_download_patterns_the_same_garments(app, street_photo):
    g = app.garment_view
    app.result_panel.rotation.value = 30.0
    app.result_panel.dl_format.value = "PNG"
    app.result_panel.dl_button.click()
    assert "aif-error" not in app.garment_panel.message.value
    full = _decode(app.result_panel.download.data)
    with Image.open(street_photo) as im:
        photo = np.asarray(im.convert("RGB"))
    assert full.shape == photo.shape and g.image.size != (full.shape[1], full.shape[0])
    # far from the chosen garment (the refining filter's window and the feather beyond it) the
    # download is the photo bit for bit; downscaled, it is the preview
    near = Image.fromarray(_region(g, g.parts, 3 * _grow(g)).astype(np.uint8) * 255)
    near = np.asarray(near.resize((full.shape[1], full.shape[0]), Image.NEAREST)) > 0
    np.testing.assert_array_equal(full[~near], photo[~near])

    def shrunk(a):  # the download or the photo as small as the preview (which shows a resized photo)
        return np.asarray(Image.fromarray(a).resize(g.image.size, Image.BOX), np.float32)

    diff = np.abs(shrunk(full) - app.result.rgb)
    base = np.abs(shrunk(photo) - np.asarray(g.image))  # the resizing alone
    inside = g.mask > 0.9
    # the photo's shading is found at each size on its own: a few levels apart inside the garment
    assert diff.mean() < base.mean() + 1.0 and diff[inside].mean() < base[inside].mean() + 8.0
    core = Image.fromarray(((g.mask > 0.9) & _region(g, g.parts, 0)).astype(np.uint8) * 255)
    core = np.asarray(core.resize((full.shape[1], full.shape[0]), Image.NEAREST)) > 0
    assert (full[core] != photo[core]).any(axis=1).mean() > 0.9  # the chosen garment is patterned


def test_switching_garments_shows_and_hides_the_checkboxes(app, street_photo):
    panel = app.garment_panel
    app.select_garment(("drawn", "t-shirt"))
    assert panel.part_boxes == {} and panel.parts.children == () and app.garment_view.parts is None
    app.select_garment(("photo", str(street_photo)))
    assert len(panel.part_boxes) >= 2 and app.session.n_segmentations == 1  # cached: not segmented again


# ---------------------------------------------------------------- the session, without widgets
def test_choose_parts_caches_per_choice_and_shares_the_shading(generator, parts_segmenter, street_photo):
    from aifashion.compose import intrinsic_shading, prepare_garment
    from aifashion.compose.drape import WARP
    from aifashion.dashboard.session import TryOnSession

    s = TryOnSession(generator, parts_segmenter, work_size=WORK)
    label, key = s.photo_choice(street_photo)
    assert not s.has_garment(key)
    whole = s.garment(key)
    assert s.has_garment(key) and whole.parts is None and whole.masks is not None
    np.testing.assert_array_equal(whole.shading, intrinsic_shading(np.asarray(whole.image), whole.masks.garment))
    a, b = list(whole.parts_found)[:2]
    both = s.choose_parts(whole, [b, a])
    assert s.choose_parts(whole, (a, b)) is both and s.choose_parts(both, f"{b},{a}") is both
    assert both.parts == tuple(n for n in whole.masks.part_names if n in (a, b))
    assert both.shading is whole.shading and both.image is whole.image  # computed once per photo
    np.testing.assert_array_equal(both.mask, _chosen_mask(whole.masks, [a, b]))
    tile = s.pattern(s.classes[0], 1, s.tile_px)
    place = whole.part_ids  # each garment its own pattern origin; the folds bend it
    expected = prepare_garment(np.asarray(whole.image), both.mask, shading=whole.shading, warp=WARP, placement=place)
    np.testing.assert_array_equal(s.try_on(both, tile).rgb, expected.apply(tile, s.compose_scale(both, 1.0)).rgb)
    assert s.choose_parts(both, None) is whole and s.choose_parts(whole, None) is whole
    assert not s.choose_parts(whole, []).mask.any() and s.default_parts(whole) == (a,)
    with pytest.raises(ValueError, match="valid parts: top, outer, bottom, full"):
        s.choose_parts(whole, ["sleeve"])
    assert s.n_segmentations == 1


# ---------------------------------------------------------------- a 3-class model: no choice
def test_three_class_model_offers_no_checkboxes(generator, street_photo):
    from aifashion.compose import try_on
    from aifashion.compose.drape import WARP
    from aifashion.segment import load_segmenter
    from aifashion.segment.predict import SHIPPED_LITE0

    if not SHIPPED_LITE0.is_file():
        pytest.skip(f"no shipped segmenter weights at {SHIPPED_LITE0}")
    seg = load_segmenter("aifashion-lite0")
    if seg.part_names:
        pytest.skip("the shipped aifashion-lite0 weights are a parts model")
    app = _app(generator, seg, street_photo)
    g = app.garment_view
    assert app.garment_panel.part_boxes == {} and app.garment_panel.parts.children == () and g.parts_found == {}
    assert g.parts is None and g.mask is g.masks.garment
    # the whole garment, exactly as composited with the photo's intrinsic shading in one call
    m = app.session.compose_scale(g, app.result_panel.scale.value)
    expected = try_on(np.asarray(g.image), g.mask, app.tile, scale=m, shading="intrinsic", warp=WARP).rgb
    np.testing.assert_array_equal(app.result.rgb, expected)
    with pytest.raises(ValueError, match="no garment parts"):
        app.session.choose_parts(g, ["top"])
