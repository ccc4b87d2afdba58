"""A careful concurrent downloader for data-set files (standard library ``urllib`` only).

:func:`download_files` fetches a list of :class:`DownloadJob` into a folder:

- concurrent: a thread pool (``workers``), with at most ``per_host`` requests in flight per host;
- bounded: a socket ``timeout`` per connect/read, a ``deadline`` per attempt (a server that
  trickles bytes cannot hold a worker forever), a ``max_bytes`` size cap checked against
  ``Content-Length`` and again while reading;
- retried: up to ``retries`` extra attempts with exponential backoff
  (``backoff * 2**attempt`` seconds) on timeouts, connection errors, truncated bodies,
  HTTP 408/429/5xx; other HTTP errors, non-images and sha256 mismatches are final;
- safe: only ``http``/``https`` URLs are fetched, and redirects only to such URLs;
- checked: when ``check_image`` is true the body must decode with
  :func:`aifashion.imageio.open_image` under ``max_pixels`` (decompression bombs are refused
  from the header, before any pixel is decoded); when a job carries a ``sha256`` it must match;
- atomic: a file appears under its final name only once complete and checked;
- resumable: a job whose file is already there and valid (sha256 if known, else it decodes) is
  skipped, so a rerun downloads only what is missing;
- accountable: ``download_manifest.json`` in ``out_dir`` lists every failure with its reason,
  and the returned :class:`DownloadReport` has the sha256 of every good file.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from aifashion.atomic import atomic_write_bytes, atomic_write_text
from aifashion.imageio import MAX_BYTES, MAX_PIXELS, ImageError, open_image

USER_AGENT = "aifashion-data/0.1 (dataset rebuild; +https://github.com/lstearns86/clothing-pattern-dataset)"
MANIFEST_NAME = "download_manifest.json"
_CHUNK = 64 * 1024
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class DownloadJob:
    """One file to fetch.

    Attributes:
        url: an ``http://`` or ``https://`` URL.
        dest: where to write it, a relative POSIX path under ``out_dir`` (no ``..``).
        sha256: expected hex digest, or None when unknown.
    """

    url: str
    dest: str
    sha256: str | None = None


@dataclass
class DownloadFailure:
    """A job that did not produce a good file, and why (one sentence)."""

    url: str
    dest: str
    reason: str
    attempts: int


@dataclass
class DownloadReport:
    """What :func:`download_files` did.

    Attributes:
        out_dir: the target folder.
        downloaded: dests fetched in this run.
        present: dests that were already there and valid (not fetched again).
        failed: one :class:`DownloadFailure` per job that failed.
        sha256: ``dest -> hex digest`` of every good file (downloaded or present).
        manifest: path of the JSON manifest written in ``out_dir``.
    """

    out_dir: Path
    downloaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[DownloadFailure] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)
    manifest: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s) URLs (urllib would also follow ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, f"redirect to {newurl!r} refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Final(Exception):
    """A failure that retrying will not fix."""


class _Retry(Exception):
    """A failure that may go away on another attempt."""


def _safe_dest(out_dir: Path, dest: str) -> Path:
    p = PurePosixPath(dest)
    if not dest or p.is_absolute() or ".." in p.parts or "\\" in dest:
        raise ValueError(f"download destination {dest!r} must be a relative path inside the output folder")
    return out_dir.joinpath(*p.parts)


def _check(data: bytes, job: DownloadJob, check_image: bool, max_bytes: int, max_pixels: int) -> str:
    digest = hashlib.sha256(data).hexdigest()
    if job.sha256 is not None and digest != job.sha256.lower():
        raise _Final(f"sha256 mismatch: expected {job.sha256}, got {digest}")
    if check_image:
        try:
            open_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
        except ImageError as exc:
            raise _Final(f"not a usable image: {exc}") from None
    return digest


def _fetch_once(
    opener: urllib.request.OpenerDirector, url: str, timeout: float, deadline: float, max_bytes: int, user_agent: str
) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept": "*/*"})
    start = time.monotonic()
    try:
        with opener.open(request, timeout=timeout) as resp:  # scheme checked by the caller
            length = resp.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            if expected is not None and expected > max_bytes:
                raise _Final(f"too large: {expected} bytes announced, the cap is {max_bytes}")
            chunks, got = [], 0
            while True:
                if time.monotonic() - start > deadline:
                    raise _Retry(f"timed out: the transfer took over {deadline:g} s")
                chunk = resp.read(_CHUNK)
                if not chunk:
                    break
                got += len(chunk)
                if got > max_bytes:
                    raise _Final(f"too large: over the {max_bytes}-byte cap")
                chunks.append(chunk)
            if expected is not None and got < expected:
                raise _Retry(f"truncated: got {got} of {expected} bytes")
            if got == 0:
                raise _Retry("empty response")
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        msg = f"HTTP {exc.code} {exc.reason}"
        raise (_Retry(msg) if exc.code in _RETRY_STATUS else _Final(msg)) from None
    except http.client.IncompleteRead as exc:
        raise _Retry(f"truncated: got {len(exc.partial)} bytes, {exc.expected} more expected") from None
    except TimeoutError:
        raise _Retry(f"timed out after {timeout:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise _Retry(f"timed out after {timeout:g} s") from None
        raise _Retry(f"connection failed: {exc.reason}") from None
    except (http.client.HTTPException, ConnectionError, OSError) as exc:
        raise _Retry(f"connection failed: {type(exc).__name__}: {exc}") from None


def _is_valid_file(path: Path, job: DownloadJob, check_image: bool, max_bytes: int, max_pixels: int) -> str | None:
    """The sha256 of an existing good file at ``path``, or None if absent or not valid."""
    if not path.is_file():
        return None
    try:
        data = path.read_bytes()
        return _check(data, job, check_image, max_bytes, max_pixels)
    except (_Final, OSError):
        return None


def download_files(
    jobs: Iterable[DownloadJob],
    out_dir: str | os.PathLike,
    *,
    workers: int = 8,
    per_host: int = 4,
    timeout: float = 20.0,
    deadline: float = 120.0,
    retries: int = 3,
    backoff: float = 0.5,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    check_image: bool = True,
    progress: bool = True,
    manifest_name: str = MANIFEST_NAME,
    user_agent: str = USER_AGENT,
) -> DownloadReport:
    """Download ``jobs`` into ``out_dir``; never raises for a bad URL or bad content.

    Args:
        jobs: the files to fetch; dests must be unique relative paths.
        out_dir: target folder (created).
        workers: threads in the pool (>= 1).
        per_host: most requests in flight to one host at a time (>= 1).
        timeout: socket timeout per connect / read, seconds.
        deadline: longest time one attempt may take, seconds.
        retries: extra attempts after the first for transient failures (>= 0).
        backoff: seconds before the first retry; doubles each retry.
        max_bytes: size cap per file.
        max_pixels: pixel cap for the image check (decompression-bomb guard).
        check_image: require each body to decode as an image.
        progress: show a tqdm bar.
        manifest_name: file name of the JSON manifest written in ``out_dir``.
        user_agent: the ``User-Agent`` header.

    Returns:
        A :class:`DownloadReport`; its manifest file lists counts and every failure
        (``url``, ``dest``, ``reason``, ``attempts``).

    Raises:
        ValueError: bad arguments (a dest outside ``out_dir``, duplicate dests, workers < 1 ...).
    """
    jobs = list(jobs)
    out_dir = Path(out_dir).expanduser().resolve()
    if workers < 1 or per_host < 1 or retries < 0 or timeout <= 0 or deadline <= 0 or backoff < 0:
        raise ValueError("workers and per_host must be >= 1, retries >= 0, timeout and deadline > 0, backoff >= 0")
    dests = [_safe_dest(out_dir, j.dest) for j in jobs]
    if len(set(dests)) != len(dests):
        raise ValueError("two download jobs have the same destination")
    out_dir.mkdir(parents=True, exist_ok=True)

    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    host_locks: dict[str, threading.BoundedSemaphore] = {}
    for job in jobs:
        host = urllib.parse.urlsplit(job.url).netloc.lower()
        host_locks.setdefault(host, threading.BoundedSemaphore(per_host))

    def work(job: DownloadJob, path: Path) -> tuple[str, str | DownloadFailure]:
        digest = _is_valid_file(path, job, check_image, max_bytes, max_pixels)
        if digest is not None:
            return "present", digest
        parts = urllib.parse.urlsplit(job.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "failed", DownloadFailure(job.url, job.dest, "unsupported URL: only http and https are fetched", 0)
        lock = host_locks[parts.netloc.lower()]
        reason, attempt = "", 0
        for attempt in range(1, retries + 2):
            if attempt > 1:
                time.sleep(backoff * 2 ** (attempt - 2))
            try:
                with lock:
                    data = _fetch_once(opener, job.url, timeout, deadline, max_bytes, user_agent)
                digest = _check(data, job, check_image, max_bytes, max_pixels)
                atomic_write_bytes(path, data)
                return "downloaded", digest
            except _Final as exc:
                return "failed", DownloadFailure(job.url, job.dest, str(exc), attempt)
            except _Retry as exc:
                reason = str(exc)
        return "failed", DownloadFailure(job.url, job.dest, f"{reason} (gave up after {attempt} attempts)", attempt)

    report = DownloadReport(out_dir=out_dir)
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        tqdm(total=len(jobs), desc="download", unit="file", disable=not progress) as bar,
    ):
        futures = {pool.submit(work, job, path): job for job, path in zip(jobs, dests)}
        for fut in as_completed(futures):
            job = futures[fut]
            status, value = fut.result()
            if status == "failed":
                report.failed.append(value)
            else:
                report.sha256[job.dest] = value
                (report.downloaded if status == "downloaded" else report.present).append(job.dest)
            bar.update(1)
            bar.set_postfix(failed=len(report.failed), refresh=False)
    order = {j.dest: i for i, j in enumerate(jobs)}
    report.downloaded.sort(key=order.get)
    report.present.sort(key=order.get)
    report.failed.sort(key=lambda f: order[f.dest])
    report.sha256 = dict(sorted(report.sha256.items(), key=lambda kv: order[kv[0]]))
    report.manifest = out_dir / manifest_name
    manifest = {
        "jobs": len(jobs),
        "downloaded": len(report.downloaded),
        "present": len(report.present),
        "failed": [asdict(f) for f in report.failed],
    }
    atomic_write_text(report.manifest, json.dumps(manifest, indent=1) + "\n")
    return report
