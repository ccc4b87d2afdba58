"""The downloader against a real HTTP server on 127.0.0.1 serving real fabric photos plus
every kind of failure: 404, a response slower than the timeout, a truncated body, a non-image,
a decompression bomb, a transient 503, a file over the size cap."""

from __future__ import annotations

import json

import pytest
from data_http import LocalServer, flaky, png_bomb, redirect, slow, truncated

from aifashion.data.download import DownloadJob, download_files

FAST = dict(timeout=0.5, deadline=5.0, retries=2, backoff=0.05, progress=False)


@pytest.fixture(scope="module")
def photos(fingercamera_dir) -> dict[str, bytes]:
    paths = (
        sorted((fingercamera_dir / "checkered").glob("*.jpg"))[:3]
        + sorted((fingercamera_dir / "dotted").glob("*.jpg"))[:2]
    )
    return {p.name: p.read_bytes() for p in paths}


def test_download_good_and_bad_then_resume(photos, tmp_path):
    names = list(photos)
    routes = {f"/img/{n}": b for n, b in photos.items()}
    routes["/slow.jpg"] = slow(photos[names[0]], 2.0)
    routes["/truncated.jpg"] = truncated(photos[names[1]])
    routes["/text.jpg"] = b"<html><body>this is not a picture</body></html>"
    routes["/bomb.png"] = png_bomb()
    routes["/flaky.jpg"] = flaky(photos[names[2]], failures=1)
    routes["/moved.jpg"] = redirect(f"/img/{names[3]}")
    routes["/sneaky.jpg"] = redirect("ftp://127.0.0.1/x.jpg")  # urllib alone would follow ftp
    with LocalServer(routes) as server:
        good = [DownloadJob(f"{server.url}/img/{n}", f"good/{n}") for n in names]
        bad = {
            "missing": DownloadJob(f"{server.url}/missing.jpg", "bad/missing.jpg"),
            "slow": DownloadJob(f"{server.url}/slow.jpg", "bad/slow.jpg"),
            "truncated": DownloadJob(f"{server.url}/truncated.jpg", "bad/truncated.jpg"),
            "text": DownloadJob(f"{server.url}/text.jpg", "bad/text.jpg"),
            "bomb": DownloadJob(f"{server.url}/bomb.png", "bad/bomb.png"),
            "scheme": DownloadJob("file:///etc/passwd", "bad/passwd.jpg"),
            "sneaky": DownloadJob(f"{server.url}/sneaky.jpg", "bad/sneaky.jpg"),
        }
        flaky_job = DownloadJob(f"{server.url}/flaky.jpg", "good/flaky.jpg")
        moved = DownloadJob(f"{server.url}/moved.jpg", "good/moved.jpg")
        jobs = good + list(bad.values()) + [flaky_job, moved]
        out = tmp_path / "out"

        report = download_files(jobs, out, workers=6, per_host=4, **FAST)

        assert sorted(report.downloaded) == sorted([j.dest for j in good] + [flaky_job.dest, moved.dest])
        assert (out / "good" / "moved.jpg").read_bytes() == photos[names[3]]  # an http redirect is followed
        for n in names:
            assert (out / "good" / n).read_bytes() == photos[n]
        assert (out / "good" / "flaky.jpg").read_bytes() == photos[names[2]]
        reasons = {f.dest: f.reason for f in report.failed}
        assert set(reasons) == {j.dest for j in bad.values()}
        assert "HTTP 404" in reasons["bad/missing.jpg"]
        assert "timed out" in reasons["bad/slow.jpg"] and "3 attempts" in reasons["bad/slow.jpg"]
        assert "truncated" in reasons["bad/truncated.jpg"]
        assert "not a usable image" in reasons["bad/text.jpg"]
        assert "8000x8000" in reasons["bad/bomb.png"]  # 64 Mpx claimed by a 1 kB file: refused before decoding
        assert "unsupported URL" in reasons["bad/passwd.jpg"]
        assert "redirect to 'ftp://127.0.0.1/x.jpg' refused" in reasons["bad/sneaky.jpg"]
        # nothing half-written: no bad file and no temporary file is left behind
        assert not (out / "bad").exists() or list((out / "bad").iterdir()) == []
        assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
        manifest = json.loads(report.manifest.read_text())
        assert manifest["downloaded"] == len(good) + 2 and manifest["present"] == 0
        assert {f["dest"]: f["reason"] for f in manifest["failed"]} == reasons
        assert server.hits["/missing.jpg"] == 1  # a 404 is final, never retried
        assert server.hits["/text.jpg"] == 1 and server.hits["/bomb.png"] == 1
        assert server.hits["/flaky.jpg"] == 2  # one 503, one retry that worked
        assert server.hits["/truncated.jpg"] == 3  # transient: retried up to the bound

        hits_before = dict(server.hits)
        (out / "good" / names[0]).write_bytes(b"corrupted by a crash")  # a damaged file is fetched again
        again = download_files(jobs, out, workers=6, per_host=4, **FAST)
        assert again.downloaded == [f"good/{names[0]}"]
        assert sorted(again.present) == sorted([j.dest for j in good[1:]] + [flaky_job.dest, moved.dest])
        assert {f.dest for f in again.failed} == set(reasons)
        for n in names[1:]:
            assert server.hits[f"/img/{n}"] == hits_before[f"/img/{n}"]  # nothing downloaded twice
        assert server.hits["/moved.jpg"] == 1
        assert server.hits[f"/img/{names[0]}"] == 2
        assert server.hits["/flaky.jpg"] == 2
        assert again.sha256 == {k: report.sha256[k] for k in again.sha256}


def test_size_cap_sha256_and_per_host_limit(photos, tmp_path):
    import hashlib

    names = list(photos)
    routes = {f"/img/{n}": b for n, b in photos.items()}
    with LocalServer(routes, delay=0.15) as server:
        big = DownloadJob(f"{server.url}/img/{names[0]}", "big.jpg")
        report = download_files([big], tmp_path / "a", max_bytes=1000, **FAST)
        assert "too large" in report.failed[0].reason and not (tmp_path / "a" / "big.jpg").exists()

        wrong = DownloadJob(f"{server.url}/img/{names[1]}", "wrong.jpg", sha256="0" * 64)
        right = DownloadJob(
            f"{server.url}/img/{names[2]}", "right.jpg", sha256=hashlib.sha256(photos[names[2]]).hexdigest()
        )
        report = download_files([wrong, right], tmp_path / "b", **FAST)
        assert report.downloaded == ["right.jpg"]
        assert "sha256 mismatch" in report.failed[0].reason

        server.max_in_flight = 0
        jobs = [DownloadJob(f"{server.url}/img/{n}", f"c/{n}") for n in names]
        report = download_files(jobs, tmp_path / "c", workers=5, per_host=2, **FAST)
        assert report.ok and len(report.downloaded) == len(names)
        assert server.max_in_flight == 2  # concurrent, but never more than per_host at once


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="inside the output folder"):
        download_files([DownloadJob("http://127.0.0.1/x.jpg", "../x.jpg")], tmp_path, progress=False)
    with pytest.raises(ValueError, match="same destination"):
        download_files(
            [DownloadJob("http://a/1", "x.jpg"), DownloadJob("http://a/2", "x.jpg")], tmp_path, progress=False
        )
