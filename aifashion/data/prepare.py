"""Standardised ("prepared") pattern sets: RGB ``size x size`` PNGs per class folder plus a
``manifest.json`` that says where each file came from and what its bytes are.

A prepared set is itself a pattern folder (:func:`aifashion.data.folders.scan_pattern_folder`
reads it); the manifest lets a later stage check it is training on exactly what was prepared.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm.auto import tqdm

from aifashion.atomic import atomic_write_bytes, atomic_write_text
from aifashion.data.folders import resize_center_crop, scan_pattern_folder
from aifashion.imageio import ImageError, open_image

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def _prepare_one(src: Path, size: int) -> bytes:
    img = resize_center_crop(open_image(src), size)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def prepare_pattern_set(
    src: str | os.PathLike,
    out_dir: str | os.PathLike,
    size: int = 224,
    classes: Sequence[str] | None = None,
    max_images: int | None = None,
    seed: int = 0,
    *,
    source: str | None = None,
    workers: int = 2,
    progress: bool = True,
) -> dict:
    """Standardise a pattern folder into ``out_dir``.

    Every image of ``src/<class>/`` is opened safely, made RGB, resized so its shorter side is
    ``size`` and centre-cropped to ``size x size``, and written as ``out_dir/<class>/<stem>.png``.
    Unreadable files are skipped and listed. Files that an earlier manifest in ``out_dir``
    listed but this run does not produce are removed, so the folder always matches its manifest.

    Args:
        src: a pattern folder (class sub-folders of images).
        out_dir: where to write (created).
        size: output side in pixels (>= 8).
        classes: keep only these classes (None: all).
        max_images: at most this many images *per class*, a random choice with ``seed``
            (for smoke runs); None keeps all.
        seed: seed of that choice; the output is identical for the same inputs and seed.
        source: a description of the source for the manifest (default: the ``src`` path).
        workers: threads that decode and encode.
        progress: show a tqdm bar.

    Returns:
        The manifest (also written to ``out_dir/manifest.json``)::

            {"version": 1, "source": str, "src": str, "size": int, "seed": int,
             "max_images": int | None, "format": "PNG", "classes": [str, ...],
             "counts": {class: int}, "total": int,
             "files": {"<class>/<stem>.png": {"sha256": hex, "bytes": int, "from": "<class>/<name>"}},
             "skipped": [{"path": str, "reason": str}]}
    """
    if size < 8:
        raise ValueError(f"size must be >= 8, not {size}")
    src_folder = scan_pattern_folder(src, classes=classes, max_per_class=max_images, seed=seed)
    out_dir = Path(out_dir).expanduser().resolve()
    if out_dir == src_folder.root or src_folder.root in out_dir.parents:
        raise ValueError(f"out_dir {out_dir} must not be inside the source folder {src_folder.root}")
    old = load_manifest(out_dir) if (out_dir / MANIFEST_NAME).is_file() else None

    targets = []
    for path, label in src_folder.items:
        cls = src_folder.classes[label]
        targets.append((path, f"{cls}/{path.stem}.png"))
    seen: dict[str, Path] = {}
    for path, rel in targets:
        if rel in seen:
            raise ValueError(f"{seen[rel].name} and {path.name} would both be written as {rel}")
        seen[rel] = path

    def work(job: tuple[Path, str]) -> tuple[str, bytes | str]:
        path, rel = job
        try:
            return rel, _prepare_one(path, size)
        except ImageError as exc:
            return rel, f"{exc}"

    files: dict[str, dict] = {}
    skipped = [{"path": str(p), "reason": r} for p, r in src_folder.skipped]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = pool.map(work, targets)
        for (path, rel), (_, data) in tqdm(
            zip(targets, results), total=len(targets), desc="prepare", unit="img", disable=not progress
        ):
            if isinstance(data, str):
                skipped.append({"path": str(path), "reason": data})
                continue
            atomic_write_bytes(out_dir / rel, data)
            files[rel] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "from": f"{path.parent.name}/{path.name}",
            }
    if old is not None:
        for rel in set(old.get("files", {})) - set(files):
            (out_dir / rel).unlink(missing_ok=True)
    counts = {c: 0 for c in src_folder.classes}
    for rel in files:
        counts[rel.split("/", 1)[0]] += 1
    for c in src_folder.classes:
        (out_dir / c).mkdir(parents=True, exist_ok=True)
    manifest = {
        "version": MANIFEST_VERSION,
        "source": source or str(src_folder.root),
        "src": str(src_folder.root),
        "size": size,
        "seed": seed,
        "max_images": max_images,
        "format": "PNG",
        "classes": src_folder.classes,
        "counts": counts,
        "total": len(files),
        "files": files,
        "skipped": skipped,
    }
    atomic_write_text(out_dir / MANIFEST_NAME, json.dumps(manifest, indent=1) + "\n")
    return manifest


def load_manifest(folder: str | os.PathLike) -> dict:
    """Read ``folder/manifest.json`` of a prepared set (see :func:`prepare_pattern_set`).

    Raises:
        FileNotFoundError: no manifest. ValueError: not a prepared-set manifest.
    """
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; is {folder} a prepared set?")
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not {"classes", "counts", "files", "size"} <= set(doc):
        raise ValueError(f"{path} is not a prepared-set manifest")
    return doc


def verify_prepared(folder: str | os.PathLike) -> list[str]:
    """Check a prepared set against its manifest.

    Returns:
        One line per problem (a missing file, a sha256 mismatch); empty when all is well.
    """
    folder = Path(folder)
    doc = load_manifest(folder)
    problems = []
    for rel, meta in doc["files"].items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != meta["sha256"]:
            problems.append(f"{rel}: sha256 differs from the manifest")
    return problems
