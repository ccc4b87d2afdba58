"""A real HTTP server on 127.0.0.1 for the download tests (ThreadingHTTPServer in a thread).

Routes map a URL path to bytes (served with Content-Length) or to a function that writes the
response itself. Every request is counted per path, and the most requests in flight at once
is recorded, so tests can check resumption and the per-host limit.
"""

from __future__ import annotations

import collections
import struct
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = bytes | Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    def __init__(self, routes: dict[str, Route] | None = None, delay: float = 0.0) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.delay = delay  # seconds every response waits (makes overlap observable)
        self.hits: collections.Counter[str] = collections.Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                with outer._lock:
                    outer.hits[self.path] += 1
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    if outer.delay:
                        time.sleep(outer.delay)
                    route = outer.routes.get(self.path)
                    if route is None:
                        self.send_error(404, "Not Found")
                    elif isinstance(route, bytes):
                        send_bytes(self, route)
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with outer._lock:
                        outer.in_flight -= 1

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):  # clients that hang up are expected
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send_bytes(handler: BaseHTTPRequestHandler, body: bytes, content_type: str = "application/octet-stream") -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def truncated(body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    """Announce the full length, send half, hang up."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    return route


def slow(body: bytes, seconds: float) -> Callable[[BaseHTTPRequestHandler], None]:
    """Wait ``seconds`` before answering (past the client's timeout)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        send_bytes(handler, body)

    return route


def flaky(body: bytes, failures: int = 1) -> Callable[[BaseHTTPRequestHandler], None]:
    """Answer 503 the first ``failures`` times, then the body."""
    count = [0]

    def route(handler: BaseHTTPRequestHandler) -> None:
        count[0] += 1
        if count[0] <= failures:
            handler.send_error(503, "Service Unavailable")
        else:
            send_bytes(handler, body)

    return route


def redirect(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    """Answer 302 with ``Location: location``."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def png_bomb(width: int = 8000, height: int = 8000) -> bytes:
    """A tiny valid-looking PNG whose header claims ``width x height`` pixels (grey, 8-bit)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
