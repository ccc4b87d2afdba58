"""aifashion.data.sources: the pinned upstream specs, local look-up, and a real download of a
FingerCamera subset from a local HTTP mirror laid out like the upstream repository."""

from __future__ import annotations

import hashlib
import io
import json
import urllib.parse

import pytest
from data_http import LocalServer
from PIL import Image

from aifashion.data.folders import load_pattern_images, scan_pattern_folder
from aifashion.data.sources import (
    FINGERCAMERA,
    GOOGLE_CSV,
    DownloadError,
    find_or_download_fingercamera,
    find_or_download_google_csv,
)

FAST = dict(timeout=2.0, retries=1, backoff=0.05, progress=False)


def test_file_list_matches_the_local_copy(fingercamera_dir):
    local = {d.name: sorted(p.stem for p in d.glob("*.jpg")) for d in fingercamera_dir.iterdir() if d.is_dir()}
    assert {c: list(v) for c, v in FINGERCAMERA.files.items()} == local
    assert len(FINGERCAMERA) == 400
    url = FINGERCAMERA.url("zigzag", "zigzagged_00356")
    assert url == (
        "https://raw.githubusercontent.com/lstearns86/clothing-pattern-dataset/"
        "24617350a977bd5095623cd4ad802f058d7d2709/FingerCamera/zig%20zag/zigzagged_00356.png"
    )


def test_google_csv_pin_matches_the_local_copy(google_csv):
    assert hashlib.sha256(google_csv.read_bytes()).hexdigest() == GOOGLE_CSV.sha256
    assert find_or_download_google_csv(google_csv.parent) == google_csv.resolve()
    assert find_or_download_google_csv(google_csv) == google_csv.resolve()


def test_local_folder_wins(fingercamera_dir, monkeypatch, tmp_path):
    assert find_or_download_fingercamera(fingercamera_dir) == fingercamera_dir.resolve()
    assert find_or_download_fingercamera(fingercamera_dir.parent) == fingercamera_dir.resolve()
    monkeypatch.setenv("AIFASHION_DATA", str(fingercamera_dir.parent))
    assert find_or_download_fingercamera(cache=tmp_path) == fingercamera_dir.resolve()
    monkeypatch.delenv("AIFASHION_DATA")
    with pytest.raises(FileNotFoundError, match="AIFASHION_DATA"):
        find_or_download_fingercamera(cache=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_or_download_fingercamera(tmp_path / "typo")


def _upstream_mirror(fingercamera_dir, spec) -> dict[str, bytes]:
    """URL path -> small RGBA PNG made from the local JPEG of the same name, at upstream paths."""
    routes = {}
    for cls in spec.classes:
        for stem in spec.files[cls]:
            img = Image.open(fingercamera_dir / cls / f"{stem}.jpg").convert("RGBA").resize((40, 40))
            buf = io.BytesIO()
            img.save(buf, "PNG")
            path = urllib.parse.urlsplit(spec.url(cls, stem, "http://mirror")).path
            routes[path] = buf.getvalue()
    return routes


def test_download_from_mirror_records_and_enforces_the_lock(fingercamera_dir, monkeypatch, tmp_path):
    monkeypatch.delenv("AIFASHION_DATA", raising=False)
    spec = FINGERCAMERA.subset(max_per_class=2)
    routes = _upstream_mirror(fingercamera_dir, spec)
    assert any("/zig%20zag/" in p for p in routes)
    cache = tmp_path / "cache"
    with LocalServer(routes) as server:
        folder = find_or_download_fingercamera(cache=cache, download=True, base_url=server.url, spec=spec, **FAST)
        assert folder == cache.resolve() / "clothing-patterns-fingercamera"
        scanned = scan_pattern_folder(folder)
        assert scanned.counts() == {c: 2 for c in FINGERCAMERA.classes}
        x, _ = load_pattern_images(scanned, 16)
        assert x.shape == (12, 16, 16, 3)
        lock = json.loads((folder / "sha256.lock.json").read_text())
        assert lock["commit"] == FINGERCAMERA.commit and len(lock["sha256"]) == 12
        assert sum(server.hits.values()) == 12

        # complete: found again without a request, even with download=False
        assert find_or_download_fingercamera(cache=cache, spec=spec) == folder
        assert sum(server.hits.values()) == 12

        # upstream content changes after the first download: the lock catches it
        victim = next(p for p in sorted(routes) if "/floral/" in p)
        routes[victim] = routes[next(p for p in sorted(routes) if "/solid/" in p)]
        server.routes = routes
        dest = folder / "floral" / victim.rsplit("/", 1)[1]
        dest.unlink()
        with pytest.raises(DownloadError, match="sha256 mismatch"):
            find_or_download_fingercamera(cache=cache, download=True, base_url=server.url, spec=spec, **FAST)
        assert not dest.exists()
        assert sum(server.hits.values()) == 13  # only the missing file was fetched


def test_download_failure_is_reported(monkeypatch, tmp_path):
    monkeypatch.delenv("AIFASHION_DATA", raising=False)
    spec = FINGERCAMERA.subset(classes=["solid"], max_per_class=2)
    with LocalServer({}) as server:  # every file answers 404
        with pytest.raises(DownloadError, match="2 of 2 FingerCamera files failed.*HTTP 404"):
            find_or_download_fingercamera(cache=tmp_path, download=True, base_url=server.url, spec=spec, **FAST)
    with pytest.raises(ValueError, match="valid: checkered"):
        FINGERCAMERA.subset(classes=["paisley"])


def test_google_csv_download_is_sha256_pinned(google_csv, monkeypatch, tmp_path):
    monkeypatch.delenv("AIFASHION_DATA", raising=False)
    body = google_csv.read_bytes()
    with LocalServer({"/googleClothingDataset.csv": body}) as server:
        path = find_or_download_google_csv(cache=tmp_path / "a", download=True, base_url=server.url, **FAST)
        assert path.read_bytes() == body
        assert find_or_download_google_csv(cache=tmp_path / "a") == path  # the verified copy, no request
        assert server.hits["/googleClothingDataset.csv"] == 1
        server.routes["/googleClothingDataset.csv"] = body.replace(b"floral", b"flowery")
        with pytest.raises(DownloadError, match="sha256 mismatch"):
            find_or_download_google_csv(cache=tmp_path / "b", download=True, base_url=server.url, **FAST)
    with pytest.raises(FileNotFoundError, match="AIFASHION_DATA"):
        find_or_download_google_csv(cache=tmp_path / "c")
