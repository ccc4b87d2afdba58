"""``aifashion dashboard``: serve ``notebooks/04_tryon_dashboard.ipynb`` with Voila on 127.0.0.1.

Voila starts one kernel per browser page, so every user gets their own ``TryOnApp`` -- and every
kernel holds torch, the generator and the segmenter (~0.6-0.9 GB). This module keeps that bounded:

- **Closed pages**: Voila's page asks the server to shut its kernel down when it unloads
  (``beforeunload`` -> ``/voila/api/shutdown/<id>``); when that never arrives (a crashed tab, a
  lost network, a browser killed), :class:`DashboardKernelManager` shuts down a kernel whose page
  has had no websocket for ``disconnect_grace`` seconds.
- **Idle pages**: jupyter_server's culler (``cull_idle_timeout``, ``cull_connected=True``) ends a
  session nobody has used for the idle timeout, open tab or not.
- **A cap**: at most ``max_sessions`` kernels; one page more gets :data:`FULL_PAGE` (HTTP 503,
  ``Retry-After``) instead of a kernel (:class:`CappedVoilaHandler`).

``GET /aifashion/status`` returns ``{"sessions": n, "max_sessions": N, ...}`` (no kernel ids), for
tests, benchmarks and a proxy's health check. Options reach the notebook's kernels through
environment variables (``AIFASHION_GENERATOR``, ``AIFASHION_SEGMENTER_WEIGHTS``,
``AIFASHION_DASHBOARD_SAMPLES``), which the kernels inherit.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import uuid
from pathlib import Path

NOTEBOOK_NAME = "04_tryon_dashboard.ipynb"
#: Largest websocket message Voila accepts: uploads travel as one message (20 MB cap + margin).
MAX_WEBSOCKET_MESSAGE = 128 * 1024 * 1024
#: Resident memory of one dashboard session (kernel with torch, generator and segmenter loaded
#: and a photo segmented), measured by ``bench/dashboard_kernels.py``; sizes the default cap.
SESSION_MB = 900
STATUS_PATH = "/aifashion/status"
FULL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="60">
<title>aifashion try-on: full</title>
<style>body{{font-family:system-ui,sans-serif;color:#222;max-width:36em;margin:4em auto;padding:0 1em}}
h1{{font-size:1.4em;border-bottom:2px solid #c8306a}}</style></head>
<body><h1>The dashboard is full</h1>
<p>All {max_sessions} sessions are in use. Please try again in a minute: this page reloads by itself
every 60 seconds, and a place frees up as soon as someone closes their tab.</p></body></html>
"""


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
    """Voila's command line for the dashboard: one page (the app, no sources), light theme, and
    the kernel settings above. ``disconnect_grace`` defaults to ``min(60, idle_timeout)``; the
    culler looks every ``max(2, min(60, grace // 2))`` seconds."""
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
        f"--VoilaConfiguration.multi_kernel_manager_class=aifashion.dashboard.serve.{km}",
        f"--{km}.max_sessions={max_sessions}",
        f"--{km}.disconnect_grace={grace}",
        f"--{km}.cull_idle_timeout={idle_timeout}",
        f"--{km}.cull_interval={interval}",
        f"--{km}.cull_connected=True",  # an open but unused tab is idle too
        f"--{km}.cull_busy=False",  # never end a session in the middle of a computation
    ]
    if no_browser:
        argv.append("--no-browser")
    return argv


# The classes below import jupyter_server / Voila (heavy) while the CLI and every kernel import
# this module, so they are built once, on first use (``serve.DashboardKernelManager`` etc.).
@functools.cache
def _classes() -> dict:
    from jupyter_server._tz import utcnow
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from tornado import web
    from traitlets import Float, Integer
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler

    class SessionsFull(RuntimeError):
        """Raised by :meth:`DashboardKernelManager.start_kernel` when every session is taken."""

    class DashboardKernelManager(AsyncMappingKernelManager):
        """jupyter_server's kernel manager plus a session cap and a quick end for kernels whose
        page is gone; idle culling itself is jupyter_server's (``cull_idle_timeout`` etc.)."""

        max_sessions = Integer(0, config=True, help="At most this many kernels (0: no cap).")
        disconnect_grace = Integer(
            60,
            config=True,
            help=(
                "Shut down a kernel whose page has had no websocket for this many seconds (a closed "
                "tab whose unload request never came); the grace covers a reconnect after a network blip."
            ),
        )
        slot_wait = Float(
            5.0,
            config=True,
            help=(
                "When full, wait this long for a place before refusing: a reloaded page's old kernel "
                "is still shutting down when the new page asks for one."
            ),
        )

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._reserved: set[str] = set()  # ids of kernels being started
            self._gone_since: dict = {}  # kernel id -> when its last websocket closed

        def live_sessions(self) -> int:
            return len(set(self.list_kernel_ids()) | self._reserved)

        async def start_kernel(self, *args, kernel_id=None, **kwargs):
            if self.max_sessions > 0 and kernel_id is None:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + self.slot_wait
                while self.live_sessions() >= self.max_sessions:
                    if loop.time() >= deadline:
                        raise SessionsFull(self.max_sessions)
                    await asyncio.sleep(0.25)
                kernel_id = str(uuid.uuid4())
                self._reserved.add(kernel_id)  # no await between the check and this: atomic
            try:
                return await super().start_kernel(*args, kernel_id=kernel_id, **kwargs)
            finally:
                self._reserved.discard(kernel_id)

        def notify_connect(self, kernel_id):
            super().notify_connect(kernel_id)
            self._gone_since.pop(kernel_id, None)

        def notify_disconnect(self, kernel_id):
            super().notify_disconnect(kernel_id)
            if self._kernel_connections.get(kernel_id, 1) == 0:
                self._gone_since[kernel_id] = utcnow()
                asyncio.get_running_loop().call_later(
                    self.disconnect_grace + 0.5, lambda: asyncio.ensure_future(self._shutdown_if_gone(kernel_id))
                )

        def _gone(self, kernel_id) -> bool:
            """No websocket for ``disconnect_grace`` seconds (counted from the last disconnect, or
            from the last kernel message for a page that never connected), and not computing."""
            kernel = self._kernels.get(kernel_id)
            if kernel is None or kernel_id in self._pending_kernels or self._kernel_connections.get(kernel_id, 1):
                return False
            if getattr(kernel, "execution_state", None) == "busy" or not hasattr(kernel, "last_activity"):
                return False
            since = max(self._gone_since.get(kernel_id, kernel.last_activity), kernel.last_activity)
            return (utcnow() - since).total_seconds() > self.disconnect_grace

        async def _shutdown_if_gone(self, kernel_id) -> bool:
            if not self._gone(kernel_id):
                return False
            self.log.info("Shutting down kernel %s: its page has been gone for %s s", kernel_id, self.disconnect_grace)
            self._gone_since.pop(kernel_id, None)
            await self.shutdown_kernel(kernel_id)
            return True

        async def cull_kernel_if_idle(self, kernel_id):
            # Also catches kernels whose page never connected (a render aborted half-way).
            if not await self._shutdown_if_gone(kernel_id):
                await super().cull_kernel_if_idle(kernel_id)

    class CappedVoilaHandler(TornadoVoilaHandler):
        """Voila's page handler; when the kernel manager refuses a kernel, the full page instead.
        (Nothing has been written when ``start_kernel`` raises, so the status can still be set.)

        It also sets the ``_xsrf`` cookie: Voila's page posts it with its shutdown-on-unload
        request, and without the cookie (token-less server) that request fails with 403 and every
        closed page's kernel lives on."""

        async def get(self, path=None):
            self.xsrf_token  # noqa: B018 -- reading it sets the cookie
            try:
                await super().get(path)
            except SessionsFull as exc:
                self.clear()
                self.set_status(503)
                self.set_header("Retry-After", "60")
                self.set_header("Cache-Control", "no-store")
                self.finish(FULL_PAGE.format(max_sessions=exc.args[0]))

    class StatusHandler(web.RequestHandler):
        """``{"sessions", "max_sessions", "idle_timeout", "disconnect_grace", "rss_mb",
        "kernel_processes"}``: counts and the resident memory of the server + its kernels, no ids."""

        def get(self):
            km = self.settings["kernel_manager"]
            live = km.live_sessions() if hasattr(km, "live_sessions") else len(km.list_kernel_ids())
            tree = process_tree(os.getpid())
            self.set_header("Content-Type", "application/json")
            self.set_header("Cache-Control", "no-store")
            status = {
                "sessions": live,
                "max_sessions": getattr(km, "max_sessions", 0),
                "idle_timeout": km.cull_idle_timeout,
                "disconnect_grace": getattr(km, "disconnect_grace", None),
                "rss_mb": round(sum(rss for rss, _ in tree.values()) / 2**20, 1) if tree else None,
                "kernel_processes": sum("ipykernel" in cmd for _, cmd in tree.values()),
            }
            self.finish(json.dumps(status))

    class DashboardVoila(Voila):
        """Voila with :class:`CappedVoilaHandler` for the page and ``/aifashion/status``."""

        def init_handlers(self):
            from jupyter_server.utils import url_path_join

            handlers = [(url_path_join(self.server_url, STATUS_PATH), StatusHandler)]
            for h in super().init_handlers():
                if len(h) > 1 and h[1] is TornadoVoilaHandler:
                    h = (h[0], CappedVoilaHandler, *h[2:])
                handlers.append(h)
            return handlers

    return {
        "SessionsFull": SessionsFull,
        "DashboardKernelManager": DashboardKernelManager,
        "CappedVoilaHandler": CappedVoilaHandler,
        "StatusHandler": StatusHandler,
        "DashboardVoila": DashboardVoila,
    }


_LAZY = ("SessionsFull", "DashboardKernelManager", "CappedVoilaHandler", "StatusHandler", "DashboardVoila")


def __getattr__(name: str):
    if name in _LAZY:
        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    _classes()["DashboardVoila"].launch_instance(
        argv=argv, tornado_settings={"websocket_max_message_size": MAX_WEBSOCKET_MESSAGE}
    )
