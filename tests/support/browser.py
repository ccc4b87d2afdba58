"""Headless Chromium for the browser tests (Debian's /usr/bin/chromium driven by playwright) and
the ports and processes of the servers they talk to.

Never ``playwright install``; where Debian's chromium is absent the tests skip and say how to
install it.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--mute-audio",
]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float) -> None:
    """Stop a server started by a test: SIGTERM, then SIGKILL if it is still running after
    ``timeout`` seconds; returns once it has exited."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def chromium_browser():
    """A headless Chromium browser (playwright); skips the test with an instruction without it."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian chromium is not installed: run `sudo apt-get install -y chromium` "
            "(the README's system prerequisite); never `playwright install`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
