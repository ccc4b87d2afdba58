"""Serving (``aifashion.dashboard.serve`` and ``voila_server``), without a browser: the notebook is
found, the CLI's errors are one line, Voila's options reach the kernel manager, and the CLI does
not pay for importing Voila before it serves. The server itself is exercised in
``test_dashboard_browser.py``."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def test_find_notebook_and_cli_errors(tmp_path):
    from aifashion.cli import main
    from aifashion.dashboard import find_notebook

    nb = find_notebook()
    assert nb.name == "04_tryon_dashboard.ipynb" and nb.is_file()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_notebook(tmp_path / "missing.ipynb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "aifashion.cli", "dashboard", "--no-browser", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert r.returncode == 2 and "already in use" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert main(["dashboard", "--no-browser", "--port", "8866", "--generator", str(tmp_path / "nope.safetensors")]) == 2


def test_help_line_and_voila_settings(monkeypatch, tmp_path):
    from aifashion.dashboard.serve import default_max_sessions, voila_argv
    from aifashion.dashboard.style import help_line

    monkeypatch.delenv("AIFASHION_DASHBOARD_IDLE_TIMEOUT", raising=False)
    assert "reload" not in help_line()
    monkeypatch.setenv("AIFASHION_DASHBOARD_IDLE_TIMEOUT", "900")
    assert "15 minutes" in help_line()
    argv = voila_argv(tmp_path / "nb.ipynb", 9999, max_sessions=3, idle_timeout=900)
    for flag in ("--port=9999", "--strip_sources=True", "--DashboardKernelManager.max_sessions=3",
                 "--MappingKernelManager.cull_idle_timeout=900", "--DashboardKernelManager.disconnect_grace=60",
                 "--MappingKernelManager.cull_connected=True"):  # fmt: skip
        assert flag in argv
    assert 2 <= default_max_sessions() <= 16


def test_voila_options_reach_the_kernel_manager(tmp_path):
    """Voila parses the command line; the kernel manager it is told to use takes the cap and the
    grace (its own options) and jupyter_server's culler options from that configuration."""
    pytest.importorskip("voila")
    from aifashion.dashboard.serve import voila_argv
    from aifashion.dashboard.voila_server import DashboardKernelManager, DashboardVoila

    app = DashboardVoila()
    app.parse_command_line(voila_argv(tmp_path / "nb.ipynb", 9999, max_sessions=3, idle_timeout=40))
    assert app.config.VoilaConfiguration.multi_kernel_manager_class.endswith("voila_server.DashboardKernelManager")
    km = DashboardKernelManager(config=app.config)
    assert (km.max_sessions, km.disconnect_grace) == (3, 40)
    assert (km.cull_idle_timeout, km.cull_interval, km.cull_connected, km.cull_busy) == (40, 20, True, False)
    assert km.live_sessions() == 0 and km.connections("no-such-kernel") is None


def test_the_cli_imports_voila_only_to_serve():
    code = "import sys, aifashion.cli.dashboard, aifashion.dashboard; print('voila' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert r.stdout.strip() == "False"
