"""Sample garment photos: a local folder of class sub-folders (the CC0 clothing-dataset-small
``validation`` split in ``$AIFASHION_DATA/clothing-dataset-small``) or, for a user with internet,
upstream (``SAMPLE_PHOTOS``, sha256-verified by :func:`download_sample_photos`).
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# --------------------------------------------------------------------------------------------
# sample photos
# --------------------------------------------------------------------------------------------
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def sample_photos(folder: str | Path, classes: Sequence[str] | None = None, per_class: int | None = None) -> list[Path]:
    """Garment photos in ``folder``'s class sub-folders, sorted by class then file name.

    ``folder`` is e.g. ``$AIFASHION_DATA/clothing-dataset-small/validation``; given the data set
    root (which holds ``validation/``) it descends into ``validation`` itself. ``classes``
    limits the sub-folders; ``per_class`` keeps the first n of each.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"photo folder {folder} does not exist")
    if (folder / "validation").is_dir() and not any(
        p.suffix.lower() in PHOTO_SUFFIXES
        for d in folder.iterdir()
        if d.is_dir() and d.name != "validation"
        for p in d.iterdir()
    ):
        folder = folder / "validation"
    dirs = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    if classes is not None:
        known = {d.name for d in dirs}
        missing = [c for c in classes if c not in known]
        if missing:
            raise ValueError(f"no class folder {', '.join(missing)} in {folder}; found: {', '.join(sorted(known))}")
        dirs = [d for d in dirs if d.name in set(classes)]
    out: list[Path] = []
    for d in dirs:
        files = sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        out += files[:per_class] if per_class is not None else files
    return out


@dataclass(frozen=True)
class PhotoSpec:
    """Where a user with internet gets a handful of sample garment photos.

    ``files`` are (path relative to the repository root, sha256). The sha256 values were
    computed from the local copies in ``clothing-dataset-small/validation``, whose README says
    they are upstream's ``validation`` files, unchanged (assumption: the upstream files are
    byte-identical). The raw-file ``ref`` is upstream's default branch: we could not look up a
    commit hash offline, so the sha256 values are what pins the content — a changed file is
    refused, never used.
    """

    repo: str
    ref: str
    license: str
    files: tuple[tuple[str, str], ...]

    @property
    def base_url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.ref}"


SAMPLE_PHOTOS = PhotoSpec(
    repo="alexeygrigorev/clothing-dataset-small",
    ref="master",
    license="CC0-1.0",
    files=(
        (
            "validation/t-shirt/06de9ebd-be39-4cc6-aea7-1d047ccf1a52.jpg",
            "b70b597192e172e94ae24a2de4539b2a700956842c9a5efc935f477743473605",
        ),
        (
            "validation/t-shirt/0acef3a8-51f3-42ce-8842-10e4898c0a0f.jpg",
            "1f1fc3e09df9fa807f1ba6af2350961fa7cdb74eefe3ea9197eb0029843891bc",
        ),
        (
            "validation/dress/19e4de0d-fb90-47c2-83b4-37e3652c5a16.jpg",
            "ad12c968d78857ceb68de251de0660f99792de15b6c4ca615382f00a07b46269",
        ),
        (
            "validation/dress/35f5fecb-755a-45d6-ac3d-3feb8299dc87.jpg",
            "eb0341e26b1e0ad88e3374dc0ecdafe965d32df0ed4c6c3e5169802e579d5fac",
        ),
        (
            "validation/skirt/4d5d201a-11cb-4e5c-b291-9b8c833c4ddf.jpg",
            "3003c38069002927547f50399998c9248ad35c466141c9e0f8f57deb88aff41b",
        ),
        (
            "validation/pants/0d0bb91d-01d7-45df-827d-da96bbc44b15.jpg",
            "5e7064caf66380908743677b33487b082983e4806bb2fc8daf83e14f1a8c7604",
        ),
        (
            "validation/shirt/29f8cf36-3ae6-4558-9f42-82f330c15b3d.jpg",
            "0304bd0edfd6dfd6d98ded524e27740f91ad3c1255e52f5d2fcf09bd94ae8cc2",
        ),
        (
            "validation/outwear/2160a577-406a-4812-ada2-2a3cb30c2ba8.jpg",
            "9b1dadb26340110d5a34be989c5a9221b014e62550a2bde43854bf2cfe12eadd",
        ),
    ),
)

MAX_PHOTO_BYTES = 5 * 1024 * 1024


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download_sample_photos(
    cache: str | Path | None = None, base_url: str | None = None, spec: PhotoSpec = SAMPLE_PHOTOS, timeout: float = 30.0
) -> list[Path]:
    """Fetch ``spec``'s photos into ``cache/clothing-dataset-small/`` and verify each sha256.

    Files already there with the right sha256 are not fetched again; each new file is written
    atomically, only after its sha256 matched. ``base_url`` overrides ``spec.base_url`` (a
    mirror, or a local server in tests). Returns the local paths in ``spec.files`` order.

    Raises:
        ValueError: a file's sha256 differs from the spec (nothing is written for it).
        OSError: a file cannot be fetched (``urllib.error.URLError`` is an ``OSError``).
    """
    from aifashion.atomic import atomic_write_bytes
    from aifashion.paths import CLOTHING_SMALL, cache_dir

    root = cache_dir(cache) / CLOTHING_SMALL
    base = (base_url or spec.base_url).rstrip("/")
    out = []
    for rel, sha in spec.files:
        dest = root / rel
        if dest.is_file() and _sha256(dest) == sha:
            out.append(dest)
            continue
        url = f"{base}/{rel}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                data = resp.read(MAX_PHOTO_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise OSError(f"cannot fetch {url}: HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            raise OSError(f"cannot fetch {url}: {exc.reason}") from None
        if len(data) > MAX_PHOTO_BYTES:
            raise ValueError(f"{url} is larger than {MAX_PHOTO_BYTES // 2**20} MB; refusing it")
        got = hashlib.sha256(data).hexdigest()
        if got != sha:
            raise ValueError(f"{rel}: sha256 {got[:12]}... does not match the expected {sha[:12]}...; file refused")
        atomic_write_bytes(dest, data)
        out.append(dest)
    return out
