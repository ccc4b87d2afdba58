"""aifashion.garments: drawn flats, sample photos from a folder, verified sample-photo download."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from data_http import LocalServer

from aifashion.garments import GARMENTS, SAMPLE_PHOTOS, PhotoSpec, download_sample_photos, draw_garment, sample_photos
from aifashion.registry import UnknownNameError

REQUIRED = ("t-shirt", "dress", "skirt", "trousers", "hoodie", "tote")


@pytest.mark.parametrize("name", REQUIRED)
def test_each_flat_has_an_exact_mask_and_a_cloth_like_shading_map(name):
    g = draw_garment(name, size=192)
    assert g.name == name
    assert g.image.shape == (192, 192, 3) and g.image.dtype == np.uint8
    assert g.mask.shape == (192, 192) and g.mask.dtype == np.float32
    assert g.shading.shape == (192, 192) and g.shading.dtype == np.float32
    assert g.mask.min() >= 0.0 and g.mask.max() == 1.0
    border = np.concatenate([g.mask[0], g.mask[-1], g.mask[:, 0], g.mask[:, -1]])
    assert (border == 0).all(), "the silhouette must lie inside the canvas"
    assert 0.12 < g.mask.mean() < 0.6, f"{name} covers {g.mask.mean():.2f} of the canvas"
    soft = (g.mask > 0) & (g.mask < 1)
    assert soft.any() and soft.mean() < 0.05  # anti-aliased edge, not a blur
    inside = g.mask >= 1
    mean = float((g.shading * g.mask).sum() / g.mask.sum())
    assert abs(mean - 1.0) < 1e-3
    assert 0.02 < float(g.shading[inside].std()) < 0.2  # folds and seams, not flat, not noise
    assert g.shading[inside].min() > 0.3 and g.shading[inside].max() < 1.4
    assert (g.image[g.mask == 0] == 255).all()  # white outside
    assert 120 < g.image[inside].mean() < 235  # light grey garment


def test_flats_are_deterministic_per_seed_and_scale_with_size():
    a, b, c = draw_garment("dress", 128, seed=1), draw_garment("dress", 128, seed=1), draw_garment("dress", 128, seed=2)
    np.testing.assert_array_equal(a.shading, b.shading)
    np.testing.assert_array_equal(a.mask, c.mask)  # the silhouette is fixed
    assert not np.array_equal(a.shading, c.shading)  # folds move a little
    big = draw_garment("dress", 256, seed=1)
    assert abs(big.mask.mean() - a.mask.mean()) < 0.01


def test_unknown_garment_lists_valid_names():
    assert set(REQUIRED) <= set(GARMENTS.names())
    with pytest.raises(UnknownNameError) as err:
        draw_garment("cape", size=64)
    assert all(name in str(err.value) for name in REQUIRED)
    with pytest.raises(ValueError):
        draw_garment("tote", size=4)


def test_sample_photos_from_a_class_folder(clothing_small_dir):
    all_photos = sample_photos(clothing_small_dir / "validation")
    assert len(all_photos) == 341
    assert sample_photos(clothing_small_dir) == all_photos  # the data-set root works too
    some = sample_photos(clothing_small_dir, classes=["skirt", "dress"], per_class=2)
    assert [p.parent.name for p in some] == ["dress", "dress", "skirt", "skirt"]
    with pytest.raises(ValueError, match="t-shirt"):
        sample_photos(clothing_small_dir, classes=["capes"])
    with pytest.raises(FileNotFoundError):
        sample_photos(clothing_small_dir / "nope")


def test_sample_photo_spec_matches_the_local_copies(clothing_small_dir):
    assert SAMPLE_PHOTOS.base_url.startswith("https://raw.githubusercontent.com/alexeygrigorev/clothing-dataset-small/")
    assert len(SAMPLE_PHOTOS.files) >= 5
    for rel, sha in SAMPLE_PHOTOS.files:
        assert hashlib.sha256((clothing_small_dir / rel).read_bytes()).hexdigest() == sha


def test_download_sample_photos_verifies_sha256(clothing_small_dir, tmp_path):
    spec = PhotoSpec(SAMPLE_PHOTOS.repo, SAMPLE_PHOTOS.ref, SAMPLE_PHOTOS.license, SAMPLE_PHOTOS.files[:3])
    routes = {f"/{rel}": (clothing_small_dir / rel).read_bytes() for rel, _ in spec.files}
    with LocalServer(routes) as server:
        got = download_sample_photos(cache=tmp_path / "cache", base_url=server.url, spec=spec)
        assert [p.relative_to(tmp_path / "cache" / "clothing-dataset-small").as_posix() for p in got] == [
            rel for rel, _ in spec.files
        ]
        for path, (_, sha) in zip(got, spec.files):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        assert sum(server.hits.values()) == 3
        again = download_sample_photos(cache=tmp_path / "cache", base_url=server.url, spec=spec)
        assert again == got and sum(server.hits.values()) == 3  # verified cache: no refetch

    rel0 = spec.files[0][0]
    tampered = dict(routes)
    tampered[f"/{rel0}"] = routes[f"/{rel0}"][:-10] + b"0123456789"
    fresh = tmp_path / "fresh"
    with LocalServer(tampered) as server:
        with pytest.raises(ValueError, match="sha256"):
            download_sample_photos(cache=fresh, base_url=server.url, spec=spec)
    assert not (fresh / "clothing-dataset-small" / rel0).exists()
    assert not list(Path(fresh).rglob("*.tmp"))
    with LocalServer({}) as server:
        with pytest.raises(OSError, match="404"):
            download_sample_photos(cache=tmp_path / "empty", base_url=server.url, spec=spec)
