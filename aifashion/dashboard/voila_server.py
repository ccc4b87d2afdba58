"""The Voila server behind ``aifashion dashboard``: a session cap, a quick end for kernels whose
page is gone, and ``/aifashion/status``.

Importing this module imports Voila and jupyter_server (seconds), so :func:`~aifashion.dashboard.serve.serve`
imports it only when the server starts; the CLI and the kernels import just ``serve``. Idle culling
itself is jupyter_server's, set by its options (``MappingKernelManager.cull_idle_timeout``,
``cull_interval``, ``cull_connected``, ``cull_busy``; see :func:`~aifashion.dashboard.serve.voila_argv`).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import UTC, datetime

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Float, Integer
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from aifashion.dashboard.serve import STATUS_PATH, process_tree

FULL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="60">
<title>aifashion try-on: full</title>
<style>body{{font-family:system-ui,sans-serif;color:#222;max-width:36em;margin:4em auto;padding:0 1em}}
h1{{font-size:1.4em;border-bottom:2px solid #c8306a}}</style></head>
<body><h1>The dashboard is full</h1>
<p>All {max_sessions} sessions are in use. Please try again in a minute: this page reloads by itself
every 60 seconds, and a place frees up as soon as someone closes their tab.</p></body></html>
"""


class SessionsFull(RuntimeError):
    """Raised by :meth:`DashboardKernelManager.start_kernel` when every session is taken;
    ``args[0]`` is the cap."""


class DashboardKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager plus a session cap and a quick end for kernels whose page
    is gone; idle culling itself is jupyter_server's (``cull_idle_timeout`` etc.)."""

    max_sessions = Integer(0, config=True, help="At most this many kernels (0: no cap).")
    disconnect_grace = Integer(
        60,
        config=True,
        help=(
            "Shut down a kernel whose page has had no websocket for this many seconds (a closed tab "
            "whose unload request never came); the grace covers a reconnect after a network blip."
        ),
    )
    slot_wait = Float(
        5.0,
        config=True,
        help=(
            "When full, wait this long (seconds) for a place before refusing: a reloaded page's old "
            "kernel is still shutting down when the new page asks for one."
        ),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._reserved: set[str] = set()  # ids of kernels being started
        self._closing: set[str] = set()  # ids of kernels being shut down
        self._gone_since: dict[str, datetime] = {}  # kernel id -> when its last websocket closed

    def live_sessions(self) -> int:
        """Kernels running or being started (the number the cap counts)."""
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

    async def shutdown_kernel(self, kernel_id, now=False, restart=False):
        self._closing.add(kernel_id)
        try:
            return await super().shutdown_kernel(kernel_id, now=now, restart=restart)
        finally:
            self._closing.discard(kernel_id)
            self._gone_since.pop(kernel_id, None)

    def connections(self, kernel_id) -> int | None:
        """Open websockets of a running kernel (jupyter_server's count); None for a kernel that
        is not running or is being shut down."""
        if kernel_id not in self or kernel_id in self._closing:
            return None
        return self.kernel_model(kernel_id)["connections"]

    def notify_connect(self, kernel_id):
        super().notify_connect(kernel_id)
        self._gone_since.pop(kernel_id, None)

    def notify_disconnect(self, kernel_id):
        super().notify_disconnect(kernel_id)
        if self.connections(kernel_id) == 0:
            self._gone_since[kernel_id] = datetime.now(UTC)
            asyncio.get_running_loop().call_later(
                self.disconnect_grace + 0.5, lambda: asyncio.ensure_future(self._shutdown_if_gone(kernel_id))
            )

    def _gone(self, kernel_id) -> bool:
        """No websocket for ``disconnect_grace`` seconds (counted from the last disconnect, or
        from the last kernel message for a page that never connected), and not computing."""
        if self.connections(kernel_id) != 0:
            return False
        kernel = self.get_kernel(kernel_id)
        last = getattr(kernel, "last_activity", None)  # jupyter_server sets it when the kernel starts
        if getattr(kernel, "execution_state", None) == "busy" or last is None:
            return False
        since = max(self._gone_since.get(kernel_id, last), last)
        return (datetime.now(UTC) - since).total_seconds() > self.disconnect_grace

    async def _shutdown_if_gone(self, kernel_id) -> bool:
        if not self._gone(kernel_id):
            return False
        self.log.info("Shutting down kernel %s: its page has been gone for %s s", kernel_id, self.disconnect_grace)
        await self.shutdown_kernel(kernel_id)
        return True

    async def cull_kernel_if_idle(self, kernel_id):
        # Also catches kernels whose page never connected (a render aborted half-way).
        if not await self._shutdown_if_gone(kernel_id):
            await super().cull_kernel_if_idle(kernel_id)


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler; when the kernel manager refuses a kernel, :data:`FULL_PAGE` (HTTP
    503, ``Retry-After``) instead. (Nothing has been written when ``start_kernel`` raises, so the
    status can still be set.)

    It also sets the ``_xsrf`` cookie: Voila's page posts it with its shutdown-on-unload request,
    and without the cookie (token-less server) that request fails with 403 and every closed
    page's kernel lives on."""

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
        live = km.live_sessions() if isinstance(km, DashboardKernelManager) else len(km.list_kernel_ids())
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
    """Voila with :class:`CappedVoilaHandler` for the page and :class:`StatusHandler` at
    ``/aifashion/status``."""

    def init_handlers(self):
        handlers = [(url_path_join(self.server_url, STATUS_PATH), StatusHandler)]
        for h in super().init_handlers():
            if len(h) > 1 and h[1] is TornadoVoilaHandler:
                h = (h[0], CappedVoilaHandler, *h[2:])
            handlers.append(h)
        return handlers
