"""``aifashion dashboard``: serve ``notebooks/04_tryon_dashboard.ipynb`` with Voila on 127.0.0.1.

Voila starts one kernel per browser page, so every user gets their own ``TryOnApp`` -- and every
kernel holds torch, the generator and the segmenter (~0.6-0.9 GB). The server
(:mod:`aifashion.dashboard.voila_server`, imported only when it starts) keeps that bounded:

- **Closed pages**: Voila's page asks the server to shut its kernel down when it unloads
  (``beforeunload`` -> ``/voila/api/shutdown/<id>``); when that never arrives (a crashed tab, a
  lost network, a browser killed), ``DashboardKernelManager`` shuts down a kernel whose page
  has had no websocket for ``disconnect_grace`` seconds.
- **Idle pages**: jupyter_server's culler (``MappingKernelManager.cull_idle_timeout``,
  ``cull_connected=True``) ends a session nobody has used for the idle timeout, open tab or not.
- **A cap**: at most ``max_sessions`` kernels; one page more gets a "dashboard is full" page (HTTP
  503, ``Retry-After``) instead of a kernel (``CappedVoilaHandler``).

``GET /aifashion/status`` returns ``{"sessions": n, "max_sessions": N, ...}`` (no kernel ids), for
tests, benchmarks and a proxy's health check. Options reach the notebook's kernels through
environment variables (``AIFASHION_GENERATOR``, ``AIFASHION_SEGMENTER_WEIGHTS``,
``AIFASHION_DASHBOARD_SAMPLES``), which the kernels inherit. This module itself is light (the CLI
and every kernel import it).
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

NOTEBOOK_NAME = "04_tryon_dashboard.ipynb"
#: Largest websocket message Voila accepts: uploads travel as one message (20 MB cap + margin).
MAX_WEBSOCKET_MESSAGE = 128 * 1024 * 1024
#: Resident memory of one dashboard session (kernel with torch, generator and segmenter loaded
#: and a photo segmented), measured by ``bench/dashboard_kernels.py``; sizes the default cap.
SESSION_MB = 900
STATUS_PATH = "/aifashion/status"


def find_notebook(explicit: str | os.PathLike | None = None) -> Path:
    """The dashboard notebook: ``explicit`` if given, else ``<repo>/notebooks/04_tryon_dashboard.ipynb``
    beside the package (an editable install or a clone). Raises ``FileNotFoundError`` saying how
    to get it."""
    if explicit is not None:
        p = Path(explicit).expanduser().resolve()
        if not p.is_file():
            raise FileNotFoundError(f"dashboard notebook {p} does not exist")
        return p
    import aifashion

    p = Path(aifashion.__file__).resolve().parents[1] / "notebooks" / NOTEBOOK_NAME
    if not p.is_file():
        raise FileNotFoundError(
            f"the dashboard notebook {NOTEBOOK_NAME} was not found at {p}; run from a clone of the "
            "repository (pip install -e .) or pass --notebook PATH"
        )
    return p


def check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be between 1 and 65535, not {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise ValueError(f"port {port} on 127.0.0.1 is already in use; pass another with --port") from None


def default_max_sessions(session_mb: int = SESSION_MB) -> int:
    """Sessions that fit in half of this machine's memory (2..16): the rest stays for the server,
    the OS and the peaks of big uploads."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4
    return max(2, min(16, int(total * 0.5 / (session_mb * 2**20))))


def process_tree(pid: int) -> dict[int, tuple[int, str]]:
    """``{pid: (resident bytes, command line)}`` for ``pid`` and all its descendants, from /proc
    (Linux; empty elsewhere or when ``pid`` is gone). The dashboard's tree is the server and its
    kernels."""
    parents: dict[int, int] = {}
    for d in Path("/proc").glob("[0-9]*"):
        try:
            stat = (d / "stat").read_text()
            parents[int(d.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError):
            continue
    tree, todo = [], [pid] if pid in parents else []
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += [c for c, pp in parents.items() if pp == p]
    out = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for p in tree:
        try:
            rss = int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError, IndexError):
            continue
        out[p] = (rss, cmd)
    return out


def voila_argv(
    notebook: Path,
    port: int,
    *,
    max_sessions: int,
    idle_timeout: int,
    disconnect_grace: int | None = None,
    no_browser: bool = False,
) -> list[str]:
    """Voila's command line for the dashboard: one page (the app, no sources), light theme, the
    session cap and the grace of :class:`~aifashion.dashboard.voila_server.DashboardKernelManager`,
    and jupyter_server's idle culler. ``disconnect_grace`` defaults to ``min(60, idle_timeout)``;
    the culler looks every ``max(2, min(60, grace // 2))`` seconds."""
    grace = min(60, idle_timeout) if disconnect_grace is None else disconnect_grace
    interval = max(2, min(60, grace // 2))
    km = "DashboardKernelManager"
    argv = [
        str(notebook),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--theme=light",
        "--strip_sources=True",
        f"--VoilaConfiguration.multi_kernel_manager_class=aifashion.dashboard.voila_server.{km}",
        f"--{km}.max_sessions={max_sessions}",
        f"--{km}.disconnect_grace={grace}",
        f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
        f"--MappingKernelManager.cull_interval={interval}",
        "--MappingKernelManager.cull_connected=True",  # an open but unused tab is idle too
        "--MappingKernelManager.cull_busy=False",  # never end a session in the middle of a computation
    ]
    if no_browser:
        argv.append("--no-browser")
    return argv


def serve(args: argparse.Namespace, notebook: Path) -> None:
    """Run the dashboard server until interrupted (blocking)."""
    argv = voila_argv(
        notebook,
        args.port,
        max_sessions=args.max_sessions,
        idle_timeout=args.idle_timeout,
        disconnect_grace=getattr(args, "disconnect_grace", None),
        no_browser=args.no_browser,
    )
    from aifashion.dashboard.voila_server import DashboardVoila

    DashboardVoila.launch_instance(argv=argv, tornado_settings={"websocket_max_message_size": MAX_WEBSOCKET_MESSAGE})
