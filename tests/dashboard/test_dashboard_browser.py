"""End to end: the try-on dashboard in real headless Chromium against a real Voila server.

One Voila server (``aifashion dashboard`` on a free 127.0.0.1 port) serves the real notebook for
the whole module; every page load starts a kernel that imports torch, so the tests share one
page and open a second browser context only to check that sessions are independent.

Requires Debian's chromium at /usr/bin/chromium (``apt-get install -y chromium``); the tests skip
with that instruction where it is absent. Never ``playwright install``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import chromium_browser, free_port, stop_process
from dashboard_models import generator_file, segmenter_file
from PIL import Image

pytestmark = pytest.mark.browser

LOAD_TIMEOUT_MS = 180_000  # a fresh kernel imports torch and loads the generator
STEP_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def model_args(tmp_path_factory) -> list[str]:
    """CLI flags for the models: none with shipped weights, else random-init exports."""
    tmp = tmp_path_factory.mktemp("models")
    args = []
    gen, seg = generator_file(tmp), segmenter_file(tmp)
    if gen is not None:
        args += ["--generator", str(gen)]
    if seg is not None:
        args += ["--segmenter-weights", str(seg)]
    return args


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


@contextlib.contextmanager
def _serve(extra_args: list[str], data_dir: Path, log: Path):
    """``aifashion dashboard --no-browser --port N *extra_args`` as a subprocess; yields (URL, process)."""
    port = free_port()
    env = dict(os.environ, AIFASHION_DATA=str(data_dir), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "aifashion.cli", "dashboard", "--no-browser", "--port", str(port), *extra_args]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the dashboard server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the dashboard server did not listen within 60 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/", proc
    finally:
        stop_process(proc, timeout=20)


@pytest.fixture(scope="module")
def server(model_args, clothing_small_dir, tmp_path_factory):
    """The dashboard server with its default settings; yields its URL."""
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    with _serve(model_args, clothing_small_dir.parent, log) as (url, _proc):
        yield url


def _open(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(url, timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(
        "() => { const i = document.querySelector('img.aif-result'); return i && i.src.startsWith('blob:'); }",
        timeout=LOAD_TIMEOUT_MS,
    )
    return page


@pytest.fixture(scope="module")
def page(chromium, server):
    p = _open(chromium, server)
    yield p
    p.context.close()


def _src(page, cls: str) -> str:
    return page.eval_on_selector(f"img.{cls}", "e => e.src")


def _wait_new_src(page, cls: str, old: str) -> str:
    page.wait_for_function(
        "([cls, old]) => { const i = document.querySelector('img.' + cls); return i && i.src && i.src !== old; }",
        arg=[cls, old],
    )
    return _src(page, cls)


def _image(page, cls: str) -> Image.Image:
    """Decode what an <img> shows (its blob: bytes), as the browser got them."""
    b64 = page.evaluate(
        """async (cls) => { const r = await fetch(document.querySelector('img.' + cls).src);
        const b = new Uint8Array(await r.arrayBuffer()); let s = '';
        for (let i = 0; i < b.length; i += 32768) s += String.fromCharCode.apply(null, b.subarray(i, i + 32768));
        return btoa(s); }""",
        cls,
    )
    img = Image.open(io.BytesIO(base64.b64decode(b64)))
    img.load()
    return img


def _wait_status(page, text: str) -> None:
    """Wait until the try-on shown is the one for ``text`` (the status line names the garment
    and the seed of the result on screen)."""
    page.wait_for_function(
        "t => { const e = document.querySelector('.aif-status');"
        " return e && e.innerText.replace(/\\u00a0/g, ' ').includes(t); }",
        arg=text,
    )


def _select(page, label: str, option_label: str) -> None:
    page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{label}')")).locator("select").select_option(
        label=option_label
    )


def _upload(page, path: Path, cls: str = "aif-photo-upload") -> None:
    """Choose a file with an upload button (the garment photo's; ``aif-fabric-upload``: the
    fabric's), as a user does (its <input> is not in the DOM)."""
    with page.expect_file_chooser() as chooser:
        page.locator(f".{cls}").first.click()
    chooser.value.set_files(str(path))


def _photos(clothing_small_dir: Path, n: int) -> list[Path]:
    return sorted((clothing_small_dir / "validation" / "t-shirt").glob("*.jpg"))[:n]


def test_load_pick_category_and_generate(page):
    # the notebook's first cell speaks to JupyterLab users; Voila leaves it out of the page
    assert page.locator(".jp-RenderedMarkdown").count() == 0 and "Render with Voil" not in page.inner_text("body")
    options = (
        page.locator(".widget-dropdown", has=page.locator("label:text-is('Category')"))
        .locator("option")
        .all_inner_texts()
    )
    assert len(options) >= 2
    old = _src(page, "aif-swatch")
    before = _image(page, "aif-swatch")
    _select(page, "Category", options[1])
    _wait_new_src(page, "aif-swatch", old)
    after = _image(page, "aif-swatch")
    assert after.size == before.size and after.tobytes() != before.tobytes()

    _wait_status(page, f"{options[1]} seed")
    old = _src(page, "aif-swatch")
    seed = page.locator(".widget-text input").first
    seed_before = seed.input_value()
    page.get_by_role("button", name="New pattern").click()
    _wait_new_src(page, "aif-swatch", old)
    page.wait_for_function("([el, v]) => el.value !== v", arg=[seed.element_handle(), seed_before])
    _wait_status(page, f"seed {seed.input_value()} ")


def test_upload_photo_shows_result(page, clothing_small_dir):
    photo = _photos(clothing_small_dir, 1)[0]
    _upload(page, photo)
    _wait_status(page, f"Upload: {photo.name} ·")
    assert (
        page.locator(".widget-dropdown", has=page.locator("label:text-is('Garment')"))
        .locator("select option:checked")
        .inner_text()
        .replace("\xa0", " ")
        == f"Upload: {photo.name}"
    )
    shown = _image(page, "aif-result")
    with Image.open(photo) as src:
        assert abs(shown.width / shown.height - src.width / src.height) < 0.02
    assert page.locator(".aif-error").count() == 0


def _download(page, button: str, kind: str) -> Image.Image:
    old = page.locator(f".aif-download-{kind}").inner_text()
    page.get_by_role("button", name=button).click()
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel);"
        " return e && e.innerText.trim() && e.innerText !== old; }",
        arg=[f".aif-download-{kind}", old],
    )
    with page.expect_download() as info:
        page.locator(f".aif-download-{kind} a").click()
    path = info.value.path()
    img = Image.open(path)
    img.load()
    img.format_name = info.value.suggested_filename
    return img


def test_downloads_decode_at_requested_size(page):
    _select(page, "Size", "512")
    pattern = _download(page, "Render pattern file", "pattern")
    assert pattern.size == (512, 512) and pattern.format == "PNG"
    assert pattern.format_name.endswith("-512.png")
    _select(page, "Repeat", "half-drop")  # a print-ready unit, its DPI in the file
    unit = _download(page, "Render pattern file", "pattern")
    assert unit.size == (512, 512) and round(unit.info["dpi"][0]) == 300 and "-half-drop-" in unit.format_name
    _select(page, "Repeat", "straight")

    page.locator(".widget-toggle-buttons").nth(1).get_by_role("button", name="JPEG").click()
    shown = _image(page, "aif-result")
    result = _download(page, "Render result file", "result")
    assert result.format == "JPEG" and result.format_name.endswith(".jpg")
    # the result is the full working-size composite, the page shows a smaller copy
    assert result.width >= shown.width and abs(result.width / result.height - shown.width / shown.height) < 0.02


def test_invalid_upload_reports_error_then_valid_upload_works(page, clothing_small_dir, tmp_path):
    bad = tmp_path / "not-an-image.jpg"
    bad.write_bytes(b"this is text, not a JPEG\n" * 10)
    _upload(page, bad)
    err = page.locator(".aif-error")
    err.wait_for()
    assert "not-an-image.jpg" in err.inner_text() and "not an image" in err.inner_text()

    photo = _photos(clothing_small_dir, 2)[1]
    _upload(page, photo)
    _wait_status(page, f"Upload: {photo.name} ·")
    assert page.locator(".aif-error").count() == 0
    # the finished page, for people to look at (AIFASHION_DASHBOARD_SCREENSHOT=/tmp/dashboard.png)
    shot = Path(os.environ.get("AIFASHION_DASHBOARD_SCREENSHOT") or tmp_path / "dashboard.png")
    page.screenshot(path=str(shot), full_page=True)
    assert Image.open(shot).width >= 1000


def test_own_fabric_good_and_bad_file(page, fingercamera_dir, tmp_path):
    """A text file named .jpg: one line of error, nothing else changes, the app goes on; a
    FingerCamera photo: its seamless tile is worn (the result changes); then back to patterns."""
    bad = tmp_path / "fabric-notes.jpg"
    bad.write_bytes(b"this is text, not a fabric photo\n" * 10)
    _upload(page, bad, "aif-fabric-upload")
    err = page.locator(".aif-fabric-message .aif-error")
    err.wait_for()
    assert "fabric-notes.jpg" in err.inner_text() and "not an image" in err.inner_text()
    assert len(err.inner_text().strip().splitlines()) == 1
    old = _src(page, "aif-result")
    page.get_by_role("button", name="New pattern").click()  # still working
    _wait_new_src(page, "aif-result", old)

    photo = sorted((fingercamera_dir / "checkered").glob("*.jpg"))[0]
    before = _image(page, "aif-result")
    old = _src(page, "aif-result")
    _upload(page, photo, "aif-fabric-upload")
    _wait_status(page, f"fabric {photo.name} ·")
    _wait_new_src(page, "aif-result", old)
    after = _image(page, "aif-result")
    assert after.size == before.size and after.tobytes() != before.tobytes()
    assert page.locator(".aif-fabric-message .aif-error").count() == 0
    assert "seamless" in page.locator(".aif-fabric-message").inner_text()

    page.get_by_role("button", name="Generated patterns").click()
    _wait_status(page, " seed ")
    assert page.locator(".aif-error").count() == 0


def test_two_sessions_get_their_own_results(page, chromium, server):
    other = _open(chromium, server)
    try:
        seeds = {}
        for p, seed in ((page, "11"), (other, "22")):
            old = _src(p, "aif-swatch")
            box = p.locator(".widget-text input").first
            box.fill(seed)
            box.press("Enter")
            _wait_new_src(p, "aif-swatch", old)
            _wait_status(p, f"seed {seed} ")
            seeds[seed] = _image(p, "aif-swatch").tobytes()
        assert seeds["11"] != seeds["22"]
        # the first session kept its own seed and picture after the second one changed
        assert page.locator(".widget-text input").first.input_value() == "11"
        assert _image(page, "aif-swatch").tobytes() == seeds["11"]
        # the first session's upload is not in the second session's picker
        assert not any(
            t.replace("\xa0", " ").startswith("Upload:")
            for t in other.locator(".widget-dropdown", has=other.locator("label:text-is('Garment')"))
            .locator("option")
            .all_inner_texts()
        )
    finally:
        other.context.close()


# ---------------------------------------------------------------- kernels: culled, capped
def _status(url: str) -> dict:
    with urllib.request.urlopen(url + "aifashion/status", timeout=10) as r:
        return json.load(r)


def _tree(proc) -> tuple[int, float]:
    """(kernel processes, resident MB) of the server and its children, read from /proc here."""
    from aifashion.dashboard.serve import process_tree

    tree = process_tree(proc.pid)
    return sum("ipykernel" in c for _, c in tree.values()), sum(r for r, _ in tree.values()) / 2**20


def test_closed_pages_free_their_kernels_and_a_full_server_says_so(chromium, model_args, clothing_small_dir, tmp_path):
    """6 pages opened and closed one after another (half closed as a tab is, half dropped as a
    crashed tab is), one page reloaded 3 times, one page refused by a full server: within 3
    minutes at most one kernel is left and the memory is back near the baseline."""
    args = [*model_args, "--max-sessions", "2", "--idle-timeout", "20", "--disconnect-grace", "3"]
    with _serve(args, clothing_small_dir.parent, tmp_path / "voila.log") as (url, proc):
        time.sleep(1.0)
        _, baseline = _tree(proc)
        peak = 0.0

        def close(page, i):
            if i % 2 == 0:
                page.close(run_before_unload=True)  # a tab closed: Voila's unload request ends the kernel
            page.context.close()  # odd i: the connection just drops; the grace period ends the kernel

        first = _open(chromium, url)
        body = first.inner_text("body")
        assert "reload it" in first.inner_text(".aif-help") and "How it works" not in body and "8866" not in body
        assert first.locator(".jp-MarkdownCell").count() == 0
        garments = first.locator(".widget-dropdown", has=first.locator("label:text-is('Garment')"))
        photos = [t.replace("\xa0", " ") for t in garments.locator("option").all_inner_texts() if "Photo:" in t]
        assert photos and all(re.fullmatch(r"Photo: [a-z -]+ \d+", t) for t in photos), photos
        for _ in range(3):
            first.reload(timeout=LOAD_TIMEOUT_MS)
            first.wait_for_function(
                "() => { const i = document.querySelector('img.aif-result'); return i && i.src.startsWith('blob:'); }",
                timeout=LOAD_TIMEOUT_MS,
            )
            assert _status(url)["sessions"] <= 2  # the old page's kernel went with the reload
        second = _open(chromium, url)
        peak = max(peak, _tree(proc)[1])
        assert _status(url)["sessions"] == 2
        full = chromium.new_context().new_page()
        response = full.goto(url, timeout=LOAD_TIMEOUT_MS)
        assert response.status == 503 and "The dashboard is full" in full.inner_text("body")
        full.context.close()
        close(first, 0)
        close(second, 1)
        for i in range(4):
            page = _open(chromium, url)
            peak = max(peak, _tree(proc)[1])
            close(page, i)

        deadline = time.monotonic() + 180
        while (_status(url)["sessions"] or _tree(proc)[0]) and time.monotonic() < deadline:
            time.sleep(1.0)
        time.sleep(2.0)  # let the last kernel process exit
        kernels, after = _tree(proc)
        status = _status(url)
        print(f"baseline {baseline:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB, {kernels} kernels, {status}")
        assert status["sessions"] <= 1 and kernels <= 1
        assert peak > baseline + 200, "the sessions did not show in the memory measured"
        assert after < baseline + 0.5 * (peak - baseline), f"memory stayed up: {after:.0f} MB vs {baseline:.0f} MB"
