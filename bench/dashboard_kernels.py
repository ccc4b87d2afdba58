"""Dashboard kernels over time: pages opened and closed in real headless Chromium against a real
``aifashion dashboard`` server; prints the live sessions, kernel processes and the resident
memory of the server + its kernels (from /proc) and saves a figure.

12 pages in 3 waves of 4 open at once (each picks a sample photo, so its kernel has segmented
one), closed half as a tab is closed (Voila's unload request) and half as a dropped connection
(ended after the grace period); then one page reloaded 5 times. Memory per session = (peak -
baseline) / kernels, at most, while every kernel belongs to a live page.

    .venv/bin/python bench/dashboard_kernels.py [--out docs/dashboard_kernels.png] [--grace 10]

Run by hand; ``make bench`` leaves it out: it needs Chromium (the browser tests' prerequisite) and
the default ``--out`` redraws the committed figure.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from aifashion.dashboard.serve import process_tree

CHROMIUM = "/usr/bin/chromium"
LOADED = "() => { const i = document.querySelector('img.aif-result'); return i && i.src.startsWith('blob:'); }"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/dashboard_kernels.png"))
    ap.add_argument("--grace", type=int, default=10, help="--disconnect-grace for the server (default 10 s)")
    ap.add_argument("--idle-timeout", type=int, default=120)
    ap.add_argument("--wave", type=int, default=4, help="pages open at once")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    cmd = [sys.executable, "-m", "aifashion.cli", "dashboard", "--no-browser", "--port", str(port),
           "--max-sessions", str(args.wave + 1), "--idle-timeout", str(args.idle_timeout),
           "--disconnect-grace", str(args.grace)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    samples: list[tuple[float, int, int, float]] = []
    events: list[tuple[float, str]] = []
    stop = threading.Event()
    t0 = time.monotonic()

    def status() -> dict:
        with urllib.request.urlopen(url + "aifashion/status", timeout=10) as r:
            return json.load(r)

    def sample() -> None:
        while not stop.is_set():
            try:
                live = status()["sessions"]
            except OSError:
                live = 0
            tree = process_tree(proc.pid)
            kernels = sum("ipykernel" in c for _, c in tree.values())
            samples.append((time.monotonic() - t0, live, kernels, sum(r for r, _ in tree.values()) / 2**20))
            stop.wait(0.5)

    def mark(text: str) -> None:
        events.append((time.monotonic() - t0, text))
        s = samples[-1] if samples else (0, 0, 0, 0.0)
        print(f"{s[0]:6.1f} s  sessions {s[1]:2d}  kernels {s[2]:2d}  RSS {s[3]:7.0f} MB  | {text}", flush=True)

    from playwright.sync_api import sync_playwright

    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        threading.Thread(target=sample, daemon=True).start()
        time.sleep(3)
        baseline = samples[-1][3]
        mark("server up, no page")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

            def open_page():
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.goto(url, timeout=180_000)
                page.wait_for_function(LOADED, timeout=180_000)
                return page

            def pick_photo(page):
                sel = page.locator(".widget-dropdown", has=page.locator("label:text-is('Garment')")).locator("select")
                photos = [t for t in sel.locator("option").all_inner_texts() if "Photo:" in t]
                if photos:
                    sel.select_option(label=photos[0])
                    shown = "t => document.querySelector('.aif-status').innerText.replace(/\\u00a0/g, ' ').includes(t)"
                    name = photos[0].replace("\xa0", " ").split(": ", 1)[1]
                    page.wait_for_function(shown, arg=name, timeout=180_000)

            n = 0
            for wave in range(3):
                pages = []
                for _ in range(args.wave):
                    pages.append(open_page())
                    pick_photo(pages[-1])
                    n += 1
                    mark(f"page {n} open")
                time.sleep(2)
                mark(f"wave {wave + 1}: {args.wave} pages open")
                for i, page in enumerate(pages):
                    if i % 2 == 0:
                        page.close(run_before_unload=True)
                    page.context.close()
                mark(f"wave {wave + 1} closed (half as tabs, half dropped)")
            page = open_page()
            mark("page 13 open (to reload)")
            for r in range(5):
                page.reload(timeout=180_000)
                page.wait_for_function(LOADED, timeout=180_000)
                mark(f"reload {r + 1}")
            page.close(run_before_unload=True)
            page.context.close()
            mark("closed")
            browser.close()
        deadline = time.monotonic() + args.grace + 60
        while samples[-1][1] or samples[-1][2]:
            if time.monotonic() > deadline:
                break
            time.sleep(1)
        time.sleep(3)
        mark("all closed")
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=30)
    peak = max(samples, key=lambda s: s[3])
    # per session: the most memory per kernel while every kernel belonged to a live page (a kernel
    # still starting or shutting down would count as a share of one)
    per = max(((s[3] - baseline) / s[2] for s in samples if s[2] and s[2] == s[1]), default=0.0)
    print(f"baseline {baseline:.0f} MB; peak {peak[3]:.0f} MB with {peak[2]} kernels; ~{per:.0f} MB per session; "
          f"at the end {samples[-1][3]:.0f} MB with {samples[-1][2]} kernels")  # fmt: skip
    _figure(samples, events, args.out, baseline, per)
    print(f"figure: {args.out}")
    return 0


def _figure(samples, events, out: Path, baseline: float, per: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s[0] for s in samples]
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    ax.plot(t, [s[3] / 1024 for s in samples], color="#c8306a", label="resident memory, server + kernels (GB)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("GB", color="#c8306a")
    ax2 = ax.twinx()
    ax2.step(t, [s[2] for s in samples], where="post", color="#1a5fb4", label="kernels")
    ax2.set_ylabel("kernels", color="#1a5fb4")
    ax2.set_ylim(0, max(s[2] for s in samples) + 1)
    for x, text in events:
        if text.startswith(("wave", "reload 1")) and "open" not in text:
            ax.axvline(x, color="#999", lw=0.6, ls=":")
    ax.set_title(f"12 pages in 3 waves + 1 page reloaded 5 times: ~{per:.0f} MB per session, "
                 f"back to {samples[-1][3]:.0f} MB (baseline {baseline:.0f})", fontsize=9)  # fmt: skip
    fig.legend(loc="upper right", fontsize=8, bbox_to_anchor=(0.88, 0.86))
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)


if __name__ == "__main__":
    raise SystemExit(main())
