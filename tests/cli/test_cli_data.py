"""``aifashion data ...`` through the installed console script, as a user runs it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from data_http import LocalServer
from PIL import Image

from aifashion.data.sources import FINGERCAMERA

SCRIPT = Path(sys.executable).with_name("aifashion")


def aifashion(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT} is not installed (pip install -e .)")
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(SCRIPT), "data", *map(str, args)], capture_output=True, text=True, env=full_env, timeout=300
    )


def test_help_lists_the_actions():
    r = aifashion("--help")
    assert r.returncode == 0
    for action in ("prepare", "download", "rebuild", "stats"):
        assert action in r.stdout
    r = aifashion("rebuild", "--help")
    assert r.returncode == 0 and "--url-rewrite" in r.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "required: ACTION"),
        (["prepare"], "--out"),
        (["prepare", "--out", "x", "--size", "-3"], "--size: must be >= 1"),
        (["download", "imagenet"], "invalid choice"),
        (["stats", "/no/such/folder"], "does not exist"),
        (["rebuild", "--out", "x", "--url-rewrite", "nonsense"], "OLD_PREFIX=NEW_PREFIX"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message):
    r = aifashion(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert message in lines[-1] and "Traceback" not in r.stderr
    assert len(lines) <= 2  # argparse's one-line usage, then the error


def test_prepare_and_stats(fingercamera_dir, tmp_path):
    out = tmp_path / "prepared"
    r = aifashion(
        "prepare",
        "--data-dir",
        fingercamera_dir.parent,
        "--out",
        out,
        "--size",
        32,
        "--classes",
        "solid,striped",
        "--max-images",
        2,
        "--no-progress",
    )
    assert r.returncode == 0, r.stderr
    assert "prepared 4 images (solid 2, striped 2) at 32x32" in r.stdout
    r = aifashion("stats", out, "--verify", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["counts"] == {"solid": 2, "striped": 2} and info["problems"] == []
    next((out / "solid").glob("*.png")).write_bytes(b"tampered")
    r = aifashion("stats", out, "--verify")
    assert r.returncode == 1 and "differ from manifest.json" in r.stderr


def test_no_data_tells_how_to_get_it(tmp_path):
    r = aifashion("prepare", "--out", tmp_path / "o", "--cache", tmp_path / "cache", env={"AIFASHION_DATA": ""})
    assert r.returncode == 2 and "AIFASHION_DATA" in r.stderr and "--download" in r.stderr


def test_download_resumes_after_a_failure(tmp_path):
    """All 400 upstream paths on a local mirror (tiny PNGs), one of them missing at first."""
    routes = {}
    for i, cls in enumerate(FINGERCAMERA.classes):
        buf = io.BytesIO()
        Image.new("RGBA", (8, 8), (40 * i, 100, 200, 255)).save(buf, "PNG")
        for stem in FINGERCAMERA.files[cls]:
            routes[urllib.parse.urlsplit(FINGERCAMERA.url(cls, stem, "http://m")).path] = buf.getvalue()
    held_back = sorted(routes)[7]
    body = routes.pop(held_back)
    with LocalServer(routes) as server:
        args = ["download", "--base-url", server.url, "--cache", tmp_path, "--retries", 0, "--no-progress"]
        r = aifashion(*args)
        assert r.returncode == 1 and "1 files failed" in r.stderr and "Traceback" not in r.stderr
        assert "399 downloaded" in r.stdout
        folder = tmp_path / "clothing-patterns-fingercamera"
        failed = json.loads((folder / "download_manifest.json").read_text())["failed"]
        assert len(failed) == 1 and "HTTP 404" in failed[0]["reason"]
        server.routes[held_back] = body
        r = aifashion(*args)
        assert r.returncode == 0, r.stderr
        assert "1 downloaded, 399 already there, 0 failed" in r.stdout
        assert all(n == 1 for p, n in server.hits.items() if p != held_back)
        assert len(json.loads((folder / "sha256.lock.json").read_text())["sha256"]) == 400
        # the complete download is then found without AIFASHION_DATA
        r = aifashion(
            "prepare",
            "--cache",
            tmp_path,
            "--out",
            tmp_path / "p",
            "--size",
            16,
            "--max-images",
            1,
            "--no-progress",
            env={"AIFASHION_DATA": ""},
        )
        assert r.returncode == 0, r.stderr
        assert "prepared 6 images" in r.stdout


def test_rebuild_through_a_mirror(google_csv, fingercamera_dir, tmp_path):
    lines = google_csv.read_text().splitlines()
    picked = [ln for ln in lines[1:] if ln.startswith("checkered,") and ";" not in ln.rsplit(",", 1)[1]][:2]
    csv_path = tmp_path / "two.csv"
    csv_path.write_text("\n".join([lines[0], *picked]) + "\n")
    photo = sorted((fingercamera_dir / "checkered").glob("*.jpg"))[0].read_bytes()
    routes = {}
    rewrites = []
    for i, ln in enumerate(picked):
        url = ln.split(",")[1]
        routes[f"/{i}.jpg"] = photo
        rewrites += ["--url-rewrite", f"{url}=__SERVER__/{i}.jpg"]
    with LocalServer(routes) as server:
        rewrites = [a.replace("__SERVER__", server.url) for a in rewrites]
        r = aifashion(
            "rebuild",
            "--csv",
            csv_path,
            "--out",
            tmp_path / "out",
            "--raw-dir",
            tmp_path / "raw",
            "--no-progress",
            "--format",
            "png",
            *rewrites,
        )
        assert r.returncode == 0, r.stderr
        assert "rebuilt 24 frames from 2 of 2 rows" in r.stdout
        assert len(list((tmp_path / "out" / "checkered").glob("*.png"))) == 24
