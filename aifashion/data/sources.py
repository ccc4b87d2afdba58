"""Where the pattern data comes from: the FingerCamera photos and the Google CSV crop list.

Both live in the public repository ``lstearns86/clothing-pattern-dataset`` (MIT), pinned here to
one commit so that a download always means the same files.

Integrity, said plainly: the sha256 of ``googleClothingDataset.csv`` is pinned in the code. For
the 400 FingerCamera PNGs no upstream digests could be obtained while writing this (no access
to GitHub from the development machines), so they are verified *trust on first use*: the first
download records each file's sha256 in ``sha256.lock.json`` inside the cache folder, and every
later run (a resumed download, a re-download of a deleted file) is checked against that lock.
A spec's ``sha256`` field holds the digests where they are known; pass them in to pin them.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path

from aifashion import paths
from aifashion.atomic import atomic_write_text
from aifashion.data.download import DownloadJob, DownloadReport, download_files

UPSTREAM_REPO = "lstearns86/clothing-pattern-dataset"
UPSTREAM_COMMIT = "24617350a977bd5095623cd4ad802f058d7d2709"
RAW_BASE = f"https://raw.githubusercontent.com/{UPSTREAM_REPO}/{UPSTREAM_COMMIT}"
LOCK_NAME = "sha256.lock.json"


class DownloadError(OSError):
    """A download that did not complete; the message says how many files failed and where the
    manifest of reasons is."""


def _load_file_list() -> dict[str, tuple[str, ...]]:
    doc = json.loads((Path(__file__).with_name("fingercamera_files.json")).read_text())
    return {cls: tuple(stems) for cls, stems in doc["files"].items()}


@dataclass(frozen=True)
class FingerCameraSpec:
    """The FingerCamera set upstream.

    Attributes:
        repo, commit: the upstream repository and the pinned commit.
        folder: the folder in the repository holding ``<class>/<stem>.png``.
        files: local class name -> file stems (upstream names without ``.png``).
        upstream_class: local class name -> upstream folder name, where they differ
            (upstream ``"zig zag"`` is ``"zigzag"`` here).
        suffix: upstream file suffix.
        sha256: ``"<class>/<stem>.png" -> hex digest`` where known (empty: trust on first use).
        license: the upstream licence.
    """

    repo: str = UPSTREAM_REPO
    commit: str = UPSTREAM_COMMIT
    folder: str = "FingerCamera"
    files: dict[str, tuple[str, ...]] = field(default_factory=_load_file_list)
    upstream_class: dict[str, str] = field(default_factory=lambda: {"zigzag": "zig zag"})
    suffix: str = ".png"
    sha256: dict[str, str] = field(default_factory=dict)
    license: str = "MIT"

    @property
    def classes(self) -> list[str]:
        return sorted(self.files)

    def __len__(self) -> int:
        return sum(len(v) for v in self.files.values())

    def default_base_url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}"

    def url(self, cls: str, stem: str, base_url: str | None = None) -> str:
        """Raw URL of one file: ``<base_url>/<folder>/<upstream class>/<stem><suffix>`` (quoted)."""
        base = (base_url or self.default_base_url()).rstrip("/")
        upstream = self.upstream_class.get(cls, cls)
        return f"{base}/{urllib.parse.quote(f'{self.folder}/{upstream}/{stem}{self.suffix}')}"

    def jobs(self, base_url: str | None = None, lock: dict[str, str] | None = None) -> list[DownloadJob]:
        """One :class:`DownloadJob` per file, dest ``<class>/<stem><suffix>``; the expected
        sha256 comes from ``self.sha256`` or else from ``lock``."""
        lock = lock or {}
        out = []
        for cls in self.classes:
            for stem in self.files[cls]:
                dest = f"{cls}/{stem}{self.suffix}"
                out.append(DownloadJob(self.url(cls, stem, base_url), dest, self.sha256.get(dest) or lock.get(dest)))
        return out

    def subset(self, classes: list[str] | None = None, max_per_class: int | None = None) -> FingerCameraSpec:
        """A smaller spec (the first ``max_per_class`` files of each of ``classes``), for smoke runs."""
        if classes is not None:
            unknown = sorted(set(classes) - set(self.files))
            if unknown:
                raise ValueError(
                    f"unknown FingerCamera class(es) {', '.join(unknown)}; valid: {', '.join(self.classes)}"
                )
        keep = self.classes if classes is None else sorted(set(classes))
        return replace(self, files={c: self.files[c][:max_per_class] for c in keep})


@dataclass(frozen=True)
class RemoteFile:
    """One pinned upstream file: its URL at the pinned commit, its sha256 and its local name."""

    url: str
    sha256: str
    name: str


FINGERCAMERA = FingerCameraSpec()

# The sha256 was computed from the copy in ../shared/data/googleClothingDataset.csv, assumed
# unchanged from upstream at the pinned commit (its README says it is the upstream file). The
# file's place at the repository root is likewise assumed.
GOOGLE_CSV = RemoteFile(
    url=f"{RAW_BASE}/googleClothingDataset.csv",
    sha256="a94c963f774bbcf448437e2522309120ec6d7fcf9ec3d77a9ff508fc5dbba2c7",
    name=paths.GOOGLE_CSV,
)


def _how_to_get(what: str) -> str:
    return (
        f"{what} not found: pass data_dir (CLI --data-dir), set AIFASHION_DATA to a folder that holds "
        f"{paths.FINGERCAMERA}/ and {paths.GOOGLE_CSV}, or allow a download (download=True, CLI --download)"
    )


def _read_lock(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text())
        return {str(k): str(v) for k, v in doc.get("sha256", {}).items()}
    except (json.JSONDecodeError, AttributeError):
        raise ValueError(f"{path} is damaged; delete it to record the digests again") from None


def _is_complete(folder: Path, spec: FingerCameraSpec, lock: dict[str, str]) -> bool:
    return bool(lock) and all(j.dest in lock and (folder / j.dest).is_file() for j in spec.jobs())


def download_fingercamera(
    cache: str | os.PathLike | None = None,
    *,
    base_url: str | None = None,
    spec: FingerCameraSpec = FINGERCAMERA,
    workers: int = 8,
    progress: bool = True,
    **download_kwargs,
) -> tuple[Path, DownloadReport]:
    """Download (or resume downloading) the FingerCamera PNGs into ``<cache>/clothing-patterns-fingercamera``.

    Files already recorded in the lock are verified against it; new files are recorded in it
    (trust on first use, see the module docstring). ``base_url`` replaces
    ``https://raw.githubusercontent.com/<repo>/<commit>`` (tests point it at a local server).

    Returns:
        ``(folder, report)``; the folder holds ``<class>/<stem>.png`` (640x640 RGBA upstream),
        ``sha256.lock.json`` and ``download_manifest.json`` (failures and why).
    """
    folder = paths.cache_dir(cache) / paths.FINGERCAMERA
    lock_path = folder / LOCK_NAME
    lock = _read_lock(lock_path)
    report = download_files(
        spec.jobs(base_url, lock), folder, workers=workers, progress=progress, check_image=True, **download_kwargs
    )
    merged = {**lock, **report.sha256}
    if merged != lock:
        doc = {
            "about": "sha256 of each file as first downloaded (trust on first use); later runs verify against it",
            "repo": spec.repo,
            "commit": spec.commit,
            "sha256": dict(sorted(merged.items())),
        }
        atomic_write_text(lock_path, json.dumps(doc, indent=1) + "\n")
    return folder, report


def find_or_download_fingercamera(
    data_dir: str | os.PathLike | None = None,
    cache: str | os.PathLike | None = None,
    download: bool = False,
    *,
    base_url: str | None = None,
    spec: FingerCameraSpec = FINGERCAMERA,
    progress: bool = True,
    **download_kwargs,
) -> Path:
    """Return a folder of FingerCamera class sub-folders, local if possible.

    Order: ``data_dir`` (the pattern folder itself, or a data root holding
    ``clothing-patterns-fingercamera/``); else ``$AIFASHION_DATA/clothing-patterns-fingercamera``;
    else a complete earlier download in the cache; else, when ``download`` is true, a download
    (resumed if interrupted) into ``<cache>/clothing-patterns-fingercamera``.

    Raises:
        FileNotFoundError: nothing local and ``download`` is false (the message says how to get
            the data), or ``data_dir`` does not exist.
        DownloadError: some files failed to download (see the manifest named in the message).
    """
    if data_dir is not None:
        root = paths.data_root(data_dir)
        return root / paths.FINGERCAMERA if (root / paths.FINGERCAMERA).is_dir() else root
    root = paths.data_root(None)
    if root is not None and (root / paths.FINGERCAMERA).is_dir():
        return root / paths.FINGERCAMERA
    folder = paths.cache_dir(cache) / paths.FINGERCAMERA
    if _is_complete(folder, spec, _read_lock(folder / LOCK_NAME)):
        return folder
    if not download:
        raise FileNotFoundError(_how_to_get("the FingerCamera pattern photos were"))
    folder, report = download_fingercamera(cache, base_url=base_url, spec=spec, progress=progress, **download_kwargs)
    if report.failed:
        first = report.failed[0]
        raise DownloadError(
            f"{len(report.failed)} of {len(spec)} FingerCamera files failed to download "
            f"(first: {first.dest}: {first.reason}); see {report.manifest}; rerun to resume"
        )
    return folder


def find_or_download_google_csv(
    data_dir: str | os.PathLike | None = None,
    cache: str | os.PathLike | None = None,
    download: bool = False,
    *,
    base_url: str | None = None,
    progress: bool = True,
    **download_kwargs,
) -> Path:
    """Return the path of ``googleClothingDataset.csv``: local (``data_dir`` — the file or its
    folder — or ``$AIFASHION_DATA``), else a verified copy in the cache, else downloaded from the
    pinned commit (sha256-checked) when ``download`` is true.

    Raises:
        FileNotFoundError: not found and ``download`` is false. DownloadError: the download failed.
    """
    if data_dir is not None:
        p = Path(data_dir).expanduser().resolve()
        if p.is_file():
            return p
        root = paths.data_root(p)
        if (root / GOOGLE_CSV.name).is_file():
            return root / GOOGLE_CSV.name
        raise FileNotFoundError(f"{GOOGLE_CSV.name} is not in {root}")
    root = paths.data_root(None)
    if root is not None and (root / GOOGLE_CSV.name).is_file():
        return root / GOOGLE_CSV.name
    cached = paths.cache_dir(cache) / GOOGLE_CSV.name
    if cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() == GOOGLE_CSV.sha256:
        return cached
    if not download:
        raise FileNotFoundError(_how_to_get(f"{GOOGLE_CSV.name} was"))
    url = GOOGLE_CSV.url if base_url is None else f"{base_url.rstrip('/')}/{GOOGLE_CSV.name}"
    folder = paths.cache_dir(cache)
    report = download_files(
        [DownloadJob(url, GOOGLE_CSV.name, GOOGLE_CSV.sha256)],
        folder,
        check_image=False,
        progress=progress,
        manifest_name="download_manifest_google_csv.json",
        **download_kwargs,
    )
    if report.failed:
        raise DownloadError(f"{GOOGLE_CSV.name} failed to download: {report.failed[0].reason}")
    return folder / GOOGLE_CSV.name
