"""aifashion.data.google_crops: the CSV parser on the real file, the crops against a hand computation
on a real photo, and a rebuild from a local HTTP server."""

from __future__ import annotations

import collections
import math
from dataclasses import replace

import numpy as np
import pytest
from data_http import LocalServer
from PIL import Image

from aifashion.data.folders import scan_pattern_folder
from aifashion.data.google_crops import ANGLES, apply_crop_row, parse_crop_csv, rebuild_google_set

NEAREST = Image.Resampling.NEAREST


@pytest.fixture(scope="module")
def csv_rows(google_csv):
    return parse_crop_csv(google_csv)


@pytest.fixture(scope="module")
def photo(ccp_dir) -> Image.Image:
    return Image.open(ccp_dir / "photos" / "0001.jpg").convert("RGB")  # 550 x 832, a real photo


def test_real_csv_parses_cleanly(csv_rows):
    rows, bad = csv_rows
    assert bad == []
    assert len(rows) == 2749  # the upstream file has 2,749 data rows (its README rounds to 2,748)
    counts = collections.Counter(r.class_name for r in rows)
    assert counts == {"floral": 582, "striped": 534, "checkered": 492, "solid": 419, "zigzag": 407, "dotted": 315}
    assert rows[0].line == 2 and rows[0].scales == (0.2474874, 0.4949747, 0.9899495, 1.979899)


def test_scale_reading_holds_for_every_row(csv_rows):
    """The smallest scale makes the crop's shorter side the frame diagonal 224*sqrt(2); each
    further scale doubles it. So at every scale and angle the frame is inside the crop."""
    for r in csv_rows[0]:
        assert min(r.scales) * min(r.crop_width, r.crop_height) == pytest.approx(224 * math.sqrt(2), rel=1e-5)
        assert all(b / a == pytest.approx(2, rel=1e-5) for a, b in zip(r.scales, r.scales[1:]))


def test_bad_rows_are_reported_not_fatal(google_csv, tmp_path):
    lines = google_csv.read_text().splitlines()
    bad_lines = [
        "solid,https://example.org/a.jpg,100,100,0,0,50",  # too few columns
        "solid,https://example.org/b.jpg,100,100,0,0,50,50,0.5,extra",  # too many
        "solid,https://example.org/c.jpg,100,abc,0,0,50,50,0.5",  # not an integer
        "solid,ftp://example.org/d.jpg,100,100,0,0,50,50,0.5",  # not http
        "solid,https://example.org/e.jpg,100,100,0,0,50,50,-1",  # negative scale
        "solid,https://example.org/f.jpg,100,100,0,0,50,50,",  # no scales
        ",https://example.org/g.jpg,100,100,0,0,50,50,0.5",  # no class
        "solid,https://example.org/h.jpg,100,100,200,0,50,50,0.5",  # window starts outside
    ]
    path = tmp_path / "crops.csv"
    path.write_text("\n".join([lines[0], lines[1], *bad_lines, "", lines[2]]) + "\n")
    rows, bad = parse_crop_csv(path)
    assert [r.line for r in rows] == [2, 12]
    assert [line for line, _ in bad] == list(range(3, 11))
    reasons = dict(bad)
    assert "columns" in reasons[3] and "columns" in reasons[4]
    assert "Original Height is not an integer" in reasons[5]
    assert "http" in reasons[6] and "positive" in reasons[7] and "Scales" in reasons[8]
    assert "class" in reasons[9] and "outside" in reasons[10]
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match="header"):
        parse_crop_csv(path)


def _row(photo, **kw):
    base = dict(
        line=2,
        class_name="floral",
        url="https://example.org/x.jpg",
        original_width=photo.width,
        original_height=photo.height,
        crop_x=37,
        crop_y=101,
        crop_width=400,
        crop_height=500,
        scales=(0.9,),
    )
    base.update(kw)
    from aifashion.data.google_crops import CropRow

    return CropRow(**base)


def _by_hand(img: np.ndarray, row, scale: float, angle: float, size: int = 224) -> np.ndarray:
    """Nearest-neighbour crop -> scale -> rotate (counter-clockwise) -> centre frame, by hand."""
    cw, ch = row.crop_width, row.crop_height
    tw, th = round(cw * scale), round(ch * scale)  # the scaled crop
    v, u = np.mgrid[0:size, 0:size]
    dx, dy = u + 0.5 - size / 2, v + 0.5 - size / 2  # from the frame centre, in pixels
    a = math.radians(angle)  # counter-clockwise on screen (y points down)
    qx = tw / 2 + math.cos(a) * dx - math.sin(a) * dy
    qy = th / 2 + math.sin(a) * dx + math.cos(a) * dy
    ix, iy = np.floor(qx).astype(int), np.floor(qy).astype(int)  # pixel of the scaled crop
    jx = np.floor((ix + 0.5) * cw / tw).astype(int)  # back to the crop (nearest resize)
    jy = np.floor((iy + 0.5) * ch / th).astype(int)
    return img[row.crop_y + jy, row.crop_x + jx]


@pytest.mark.parametrize("scale", [0.9975, 1.71])
def test_crops_match_hand_computation(photo, scale):
    # odd crop sides scaled to even ones: no pixel lies exactly on a nearest-neighbour tie
    row = _row(photo, crop_width=401, crop_height=503, scales=(scale,))
    frames = apply_crop_row(photo, row, resample=NEAREST)
    assert len(frames) == 12 and all(f.size == (224, 224) and f.mode == "RGB" for f in frames)
    arr = np.asarray(photo)
    for angle, frame in zip(ANGLES, frames):
        got, want = np.asarray(frame), _by_hand(arr, row, scale, angle)
        same = (got == want).all(-1).mean()
        # exact up to floating-point ties on pixel borders (a handful at oblique angles)
        assert same == 1.0 if angle % 90 == 0 else same > 0.998, (angle, same)


def test_rotation_is_counter_clockwise_and_scale_is_a_resize(photo):
    row = _row(photo, scales=(0.9,))  # 400x500 -> 360x450, both even: the frame is pixel-aligned
    frames = [np.asarray(f) for f in apply_crop_row(photo, row)]  # bicubic, the default
    for k in (1, 2, 3):  # 90, 180, 270 degrees are exact pixel rotations
        assert np.array_equal(frames[3 * k], np.rot90(frames[0], k))
    crop = photo.crop((37, 101, 437, 601)).resize((360, 450), Image.Resampling.BICUBIC)
    centre = np.asarray(crop)[225 - 112 : 225 + 112, 180 - 112 : 180 + 112]
    diff = np.abs(frames[0].astype(int) - centre)
    # only the reachable part of the crop is resized (PIL's box resize): equal up to rounding
    assert (diff <= 1).mean() > 0.998 and diff.mean() < 0.25


def test_served_resolution_does_not_matter(photo):
    row = _row(photo, scales=(0.5,))
    full = np.asarray(apply_crop_row(photo, row, angles=[30])[0], dtype=float)
    half_img = photo.resize((photo.width // 2, photo.height // 2), Image.Resampling.LANCZOS)
    half = np.asarray(apply_crop_row(half_img, row, angles=[30])[0], dtype=float)
    other = np.asarray(apply_crop_row(photo, replace(row, crop_x=120), angles=[30])[0], dtype=float)
    # the same view of the fabric from a smaller file: far closer than a window moved by 83 px
    assert np.abs(full - half).mean() < 0.25 * np.abs(full - other).mean()


def test_padding_only_when_the_crop_is_too_small(photo):
    row = _row(photo, crop_width=300, crop_height=300, scales=(224 * math.sqrt(2) / 300, 0.5))
    frames = apply_crop_row(photo, row, angles=[45], fill=(255, 0, 255))
    magenta = [int((np.asarray(f) == [255, 0, 255]).all(-1).sum()) for f in frames]
    assert magenta[0] == 0  # the CSV's smallest scale: the frame fits at 45 degrees
    assert magenta[1] > 1000  # 150x150 scaled crop in a 224 frame: padded
    mean = apply_crop_row(photo, row, angles=[0])[1]
    corner = np.asarray(mean)[0, 0]
    crop = np.asarray(photo.crop((37, 101, 337, 401)), dtype=float).reshape(-1, 3).mean(0)
    assert np.abs(corner - crop).max() <= 3  # default fill: the crop's mean colour


def test_rebuild_from_local_server(google_csv, fingercamera_dir, tmp_path):
    lines = google_csv.read_text().splitlines()
    rows, _ = parse_crop_csv(google_csv)
    picked = []
    for cls in ("dotted", "striped", "zigzag"):
        picked.append(next(r for r in rows if r.class_name == cls and len(r.scales) == 1))
    missing = next(r for r in rows if r.class_name == "floral" and len(r.scales) == 1)
    text = [lines[0]] + [lines[r.line - 1] for r in picked + [missing]] + ["solid,not a url,1,1,0,0,1,1,1"]
    path = tmp_path / "small.csv"
    path.write_text("\n".join(text) + "\n")

    photos = sorted((fingercamera_dir / "floral").glob("*.jpg"))
    routes = {f"/{r.line}": photos[i].read_bytes() for i, r in enumerate(picked)}
    with LocalServer(routes) as server:
        rewrite_map = {r.url: f"{server.url}/{r.line}" for r in picked}
        rewrite_map[missing.url] = f"{server.url}/missing"
        kw = dict(
            raw_dir=tmp_path / "raw",
            url_rewrite=rewrite_map.__getitem__,
            workers=2,
            progress=False,
            timeout=2.0,
            retries=0,
        )
        out = tmp_path / "out"
        manifest = rebuild_google_set(path, out, **kw)
        assert manifest["counts"] == {"dotted": 12, "striped": 12, "zigzag": 12}
        assert [b["line"] for b in manifest["bad_rows"]] == [6]
        assert [(f["line"], f["url"]) for f in manifest["failed"]] == [(5, missing.url)]
        assert "HTTP 404" in manifest["failed"][0]["reason"]
        folder = scan_pattern_folder(out)
        assert folder.counts() == manifest["counts"]
        names = sorted(p.name for p in (out / "zigzag").iterdir())
        assert names == sorted(f"row00004_s0_r{a:03d}.jpg" for a in ANGLES)
        with Image.open(out / "zigzag" / names[0]) as im:
            assert im.size == (224, 224) and im.mode == "RGB"

        stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.jpg")}
        hits = dict(server.hits)
        again = rebuild_google_set(path, out, **kw)
        assert again["counts"] == manifest["counts"]
        assert dict(server.hits) == {**hits, "/missing": 2}  # only the failed row is retried
        assert {p: p.stat().st_mtime_ns for p in out.rglob("*.jpg")} == stamps  # nothing redone

        only = rebuild_google_set(path, tmp_path / "only", classes=["striped"], **kw)
        assert only["counts"] == {"striped": 12} and only["rows"] == 1
        with pytest.raises(ValueError, match="classes in the CSV"):
            rebuild_google_set(path, tmp_path / "x", classes=["paisley"], **kw)
