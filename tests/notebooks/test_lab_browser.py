"""The course as students open it: notebooks 01 and 04 run from JupyterLab's own menu in real
headless Chromium.

One JupyterLab server (``python -m jupyterlab`` from this environment, on a free 127.0.0.1 port
with a token) serves a copy of ``notebooks/`` in a temporary folder, so the run writes no outputs
into the repository; its config, data, runtime, settings and workspace folders, the kernel's
IPython folder and the aifashion cache are temporary too, and it fetches no news. Each notebook
is opened at ``/lab/tree/<name>``, run with Run > Run All Cells, and checked: every code cell has
an execution count, the kernel is idle, nothing went to stderr or raised, and the figures and the
progress bar (01) or the app's try-on image (04) are on the page. Last, 04's "Render with Voilà"
toolbar button opens the app beside the notebook, without the notebook's markdown.

Requires Debian's chromium at /usr/bin/chromium (``apt-get install -y chromium``) and the local
data (``$AIFASHION_DATA``); the test skips with the instruction where either is absent.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import chromium_browser, free_port, stop_process
from dashboard_models import generator_file, segmenter_file
from PIL import Image

from aifashion.dashboard.serve import process_tree

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90
RUN_TIMEOUT_MS = 240_000  # a fresh kernel imports torch; 01 standardises 400 photos, 04 loads two models
ERRORS = (
    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
    " .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
)


def _api(base: str, token: str, path: str, method: str = "GET"):
    req = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def lab(tmp_path_factory, data_root, fingercamera_dir, clothing_small_dir):
    """A JupyterLab server on a copy of notebooks/; yields (base URL, token, server process)."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    shutil.copytree(REPO / "notebooks", root)
    port, token = free_port(), secrets.token_hex(16)
    settings = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no news prompt
    env = dict(
        os.environ,
        AIFASHION_DATA=str(data_root),
        AIFASHION_CACHE=str(tmp / "cache"),  # notebook 01 writes its prepared set there by default
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    for var, path in (
        ("AIFASHION_GENERATOR", generator_file(tmp)),
        ("AIFASHION_SEGMENTER_WEIGHTS", segmenter_file(tmp)),
    ):
        if path is not None:  # no shipped weights: a random-init export of the same architecture
            env[var] = str(path)
    # as `make lab` does: the project's own notebooks are trusted (Voila renders them without asking)
    subprocess.run([sys.executable, "-m", "jupyter", "trust", *map(str, root.glob("*.ipynb"))], env=env, check=True)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI runs as root; `make lab` does not pass it
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        f"--LabApp.user_settings_dir={tmp / 'settings'}",
    ]
    log = tmp / "lab.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                _api(base, token, "/api/status")
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token, proc
    finally:
        kernels = [pid for pid, (_, c) in process_tree(proc.pid).items() if "ipykernel" in c]
        stop_process(proc, timeout=30)
        for pid in kernels:  # the server shuts its kernels down; make sure none outlives the test
            with contextlib.suppress(OSError):
                if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def page(lab):
    with chromium_browser() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        p = context.new_page()
        p.set_default_timeout(60_000)
        yield p
        context.close()


def _code_cells(name: str) -> int:
    nb = json.loads((REPO / "notebooks" / name).read_text())
    return sum(c["cell_type"] == "code" for c in nb["cells"])


def _kernel_state(base: str, token: str, name: str) -> str | None:
    for s in _api(base, token, "/api/sessions"):
        if s["path"].endswith(name) and s.get("kernel"):
            return s["kernel"]["execution_state"]
    return None


def _run_all(page, lab, name: str) -> None:
    """Open ``name`` in Lab, wait for its kernel, Run > Run All Cells, wait until every code cell
    has run and the kernel is idle; fail on any error or stderr output."""
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/{name}?token={token}", timeout=RUN_TIMEOUT_MS)
    page.locator(".jp-NotebookPanel .jp-CodeCell").first.wait_for()
    deadline = time.monotonic() + START_TIMEOUT_S
    while _kernel_state(base, token, name) != "idle":
        assert time.monotonic() < deadline, f"{name}: the kernel did not start within {START_TIMEOUT_S} s"
        time.sleep(0.5)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()  # "Run All Cells"
    n = _code_cells(name)
    page.wait_for_function(
        """([n, errors]) => {
            if (document.querySelector(errors)) return true;  // fail fast below
            const visible = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt';
            const prompts = [...document.querySelectorAll(visible)];
            return prompts.length === n && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
        }""",
        arg=[n, ERRORS],
        timeout=RUN_TIMEOUT_MS,
    )
    deadline = time.monotonic() + 60
    while _kernel_state(base, token, name) != "idle":
        assert time.monotonic() < deadline, f"{name}: the kernel stayed busy"
        time.sleep(0.5)
    errors = page.locator(ERRORS).all_inner_texts()
    assert not errors, f"{name} printed errors in Lab:\n" + "\n---\n".join(errors)[-3000:]


VISIBLE = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# the app's try-on image is on screen
RESULT_SHOWN = "i => !!i && i.src.startsWith('blob:') && i.complete && i.naturalWidth > 100"


def test_notebooks_01_and_04_run_all_in_jupyterlab(lab, page, tmp_path):
    base, token, proc = lab
    # screenshots for people to look at (AIFASHION_LAB_SCREENSHOTS=/tmp keeps them)
    shots = Path(os.environ.get("AIFASHION_LAB_SCREENSHOTS") or tmp_path)

    _run_all(page, lab, "01_data.ipynb")
    panel = page.locator(VISIBLE)
    figures = panel.locator(".jp-OutputArea-output img")
    assert figures.count() >= 4  # class counts, source photos, prepared set, recipe demo
    assert all(figures.nth(i).evaluate("i => i.complete && i.naturalWidth > 100") for i in range(figures.count()))
    # standardising the photos shows a tqdm.auto progress bar, as a widget
    assert panel.locator(".jp-OutputArea-output .widget-hprogress").count() >= 1
    page.screenshot(path=str(shots / "lab_01.png"))
    for s in _api(base, token, "/api/sessions"):  # free 01's kernel: the next ones load models
        _api(base, token, f"/api/sessions/{s['id']}", method="DELETE")

    _run_all(page, lab, "04_tryon_dashboard.ipynb")
    result = page.locator(f"{VISIBLE} img.aif-result")
    result.wait_for()
    page.wait_for_function(RESULT_SHOWN, arg=result.element_handle(), timeout=RUN_TIMEOUT_MS)
    assert page.locator(f"{VISIBLE} .aif-error").count() == 0
    # its first cell says what it is and how to serve it
    about = page.locator(f"{VISIBLE} .jp-MarkdownOutput").first.inner_text()
    assert "Render with Voilà" in about and "make dashboard" in about
    result.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "lab_04.png"))
    assert Image.open(shots / "lab_04.png").width >= 1000

    # the kernel is this environment's Python (the venv's under `make lab`)
    launched = [c.split()[0] for _, c in process_tree(proc.pid).values() if "ipykernel_launcher" in c]
    assert launched and all(Path(exe) == Path(sys.executable) for exe in launched), launched

    # the toolbar's "Render with Voilà" opens the dashboard beside the notebook: the app, no markdown
    page.locator(f"{VISIBLE} [data-jp-item-name='voilaRender'] jp-button").click()
    iframe = page.locator("iframe[src*='/voila/render/04_tryon_dashboard.ipynb']")
    iframe.wait_for()
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function(f"() => ({RESULT_SHOWN})(document.querySelector('img.aif-result'))", timeout=RUN_TIMEOUT_MS)
    shown = frame.locator("body").inner_text()
    assert "Pattern" in shown and "Render with Voilà" not in shown and "Traceback" not in shown
    page.screenshot(path=str(shots / "lab_voila.png"))
