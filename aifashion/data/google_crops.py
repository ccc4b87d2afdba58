"""The upstream crop list, ``googleClothingDataset.csv``, turned into a pattern data set.

Each CSV row is ``Class Name, URL, Original Width, Original Height, Crop X, Crop Y, Crop Width,
Crop Height, Scales`` (scales separated by ``;``). Upstream says: download each URL, crop to the
window, centre the crop in a 224x224 frame at each listed scale, make 12 rotations in 30 degree
steps.

Our reading of "scale", checked against all 2,748 rows: the crop is resized by the factor
``scale`` (``Crop Width * scale`` by ``Crop Height * scale`` pixels) and the 224x224 frame is cut
from its centre. In every row the smallest scale makes the crop's shorter side exactly
``224 * sqrt(2)`` (= 316.8 px, the frame's diagonal; true to 1e-6), and each further scale
doubles it: so at every scale and every rotation the frame lies wholly inside the rotated crop.
The scales are a zoom pyramid, coarse to fine, with no padding needed.

Details we had to decide (documented, tested):

- Coordinates are in pixels of the *original* image (``Original Width x Original Height``).
  When a server returns another size, the window and the scale are mapped by
  ``actual / original`` per axis, so the output looks the same at any served resolution.
- A window that runs past the image edge (76 rows, by a few pixels) is clipped to the image.
- Rotation is counter-clockwise by 0, 30, ..., 330 degrees about the centre of the scaled crop.
- Any part of the frame that falls outside the scaled crop (only for scales smaller than the
  CSV lists, or a clipped window at 45-ish degrees) is padded with ``fill``; the default,
  ``"mean"``, is the crop's mean colour, the least visible choice for a texture.
- Resampling is bicubic (antialiased when shrinking); only the part of the scaled crop that
  the frame can reach is computed, so large upscales stay cheap.
- The CSV class ``"zig zag"`` becomes ``"zigzag"``, as in the FingerCamera folders.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import random
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from aifashion import paths
from aifashion.atomic import atomic_save, atomic_write_text
from aifashion.data.download import DownloadJob, download_files
from aifashion.imageio import ImageError, open_image

COLUMNS = (
    "Class Name",
    "URL",
    "Original Width",
    "Original Height",
    "Crop X",
    "Crop Y",
    "Crop Width",
    "Crop Height",
    "Scales",
)
FRAME = 224
ANGLES = tuple(range(0, 360, 30))
CLASS_RENAMES = {"zig zag": "zigzag"}
MANIFEST_NAME = "rebuild_manifest.json"
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"}


@dataclass(frozen=True)
class CropRow:
    """One valid CSV row. ``line`` is its line number in the file (header = 1), a stable id."""

    line: int
    class_name: str
    url: str
    original_width: int
    original_height: int
    crop_x: int
    crop_y: int
    crop_width: int
    crop_height: int
    scales: tuple[float, ...]

    @property
    def stem(self) -> str:
        """File-name stem for this row's outputs: ``row01234``."""
        return f"row{self.line:05d}"


def _parse_row(line: int, rec: dict[str, str]) -> CropRow:
    if None in rec or any(rec.get(c) is None for c in COLUMNS):
        raise ValueError(f"expected {len(COLUMNS)} columns")
    cls = rec["Class Name"].strip().lower()
    if not cls:
        raise ValueError("empty class name")
    url = rec["URL"].strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    ints = {}
    for col in COLUMNS[2:8]:
        try:
            ints[col] = int(rec[col].strip())
        except ValueError:
            raise ValueError(f"{col} is not an integer: {rec[col]!r}") from None
        if ints[col] < 0:
            raise ValueError(f"{col} is negative")
    if min(ints["Original Width"], ints["Original Height"], ints["Crop Width"], ints["Crop Height"]) < 1:
        raise ValueError("image and crop sizes must be >= 1")
    if ints["Crop X"] >= ints["Original Width"] or ints["Crop Y"] >= ints["Original Height"]:
        raise ValueError("the crop window starts outside the image")
    try:
        scales = tuple(float(s) for s in rec["Scales"].split(";") if s.strip())
    except ValueError:
        raise ValueError(f"Scales is not a ;-separated list of numbers: {rec['Scales']!r}") from None
    if not scales or not all(math.isfinite(s) and s > 0 for s in scales):
        raise ValueError(f"Scales must be positive numbers: {rec['Scales']!r}")
    return CropRow(
        line=line,
        class_name=CLASS_RENAMES.get(cls, cls),
        url=url,
        original_width=ints["Original Width"],
        original_height=ints["Original Height"],
        crop_x=ints["Crop X"],
        crop_y=ints["Crop Y"],
        crop_width=ints["Crop Width"],
        crop_height=ints["Crop Height"],
        scales=scales,
    )


def parse_crop_csv(path: str | os.PathLike) -> tuple[list[CropRow], list[tuple[int, str]]]:
    """Read a crop-list CSV.

    Returns:
        ``(rows, bad_rows)``: the valid rows in file order, and ``(line number, reason)`` for each
        row that could not be used (never fatal).

    Raises:
        FileNotFoundError: no such file. ValueError: the header is not the upstream one.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"crop-list CSV {path} does not exist")
    rows: list[CropRow] = []
    bad: list[tuple[int, str]] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = tuple(h.strip() for h in (reader.fieldnames or ()))
        if header != COLUMNS:
            raise ValueError(f"{path.name} does not have the crop-list header {','.join(COLUMNS)}")
        reader.fieldnames = list(COLUMNS)
        for rec in reader:
            line = reader.line_num
            if not any((v or "").strip() for k, v in rec.items() if k is not None):
                continue  # blank line
            try:
                rows.append(_parse_row(line, rec))
            except ValueError as exc:
                bad.append((line, str(exc)))
    return rows, bad


def _mean_colour(img: Image.Image) -> tuple[int, int, int]:
    small = img.resize((min(img.width, 32), min(img.height, 32)), Image.Resampling.BOX)
    return tuple(int(round(v)) for v in np.asarray(small, dtype=np.float64).reshape(-1, 3).mean(0))


def apply_crop_row(
    image: Image.Image,
    row: CropRow,
    *,
    size: int = FRAME,
    angles: Sequence[float] = ANGLES,
    fill: str | tuple[int, int, int] = "mean",
    resample: Image.Resampling = Image.Resampling.BICUBIC,
) -> list[Image.Image]:
    """Crop, scale, rotate and frame one downloaded image by its CSV row.

    Args:
        image: the downloaded image (any size; mapped to the row's original size per axis).
        row: its :class:`CropRow`.
        size: the frame side (upstream: 224).
        angles: rotations in degrees, counter-clockwise (upstream: 0, 30, ..., 330).
        fill: ``"mean"`` (the crop's mean colour) or an RGB tuple for frame pixels that fall
            outside the scaled crop.
        resample: the filter for both the scaling and the rotation.

    Returns:
        ``len(row.scales) * len(angles)`` RGB PIL images of ``size x size``, ordered scale-major
        (all angles of the first scale, then the next scale).

    Raises:
        ValueError: the crop window does not overlap the image.
    """
    img = open_image(image)
    fx, fy = img.width / row.original_width, img.height / row.original_height
    # the window in pixels of the served image, clipped to it
    left, top = max(0.0, row.crop_x * fx), max(0.0, row.crop_y * fy)
    right = min(float(img.width), (row.crop_x + row.crop_width) * fx)
    bottom = min(float(img.height), (row.crop_y + row.crop_height) * fy)
    box = (round(left), round(top), round(right), round(bottom))
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        raise ValueError(f"row {row.line}: the crop window lies outside the {img.width}x{img.height} image")
    crop = img.crop(box)
    cw, ch = crop.size
    colour = _mean_colour(crop) if fill == "mean" else tuple(fill)
    reach = size / math.sqrt(2) + 3  # half the frame's diagonal, plus filter support
    out = []
    for scale in row.scales:
        # size of the whole scaled crop: crop pixels -> original pixels -> times scale
        tw, th = max(1, round(cw / fx * scale)), max(1, round(ch / fy * scale))
        # only the part of it the frame can reach at any angle
        x0, x1 = max(0, math.floor(tw / 2 - reach)), min(tw, math.ceil(tw / 2 + reach))
        y0, y1 = max(0, math.floor(th / 2 - reach)), min(th, math.ceil(th / 2 + reach))
        sx, sy = cw / tw, ch / th
        part = crop.resize((x1 - x0, y1 - y0), resample, box=(x0 * sx, y0 * sy, x1 * sx, y1 * sy))
        cx, cy = tw / 2 - x0, th / 2 - y0  # centre of the scaled crop inside ``part``
        for angle in angles:
            a = -math.radians(angle)
            m00, m01 = round(math.cos(a), 15), round(math.sin(a), 15)
            m10, m11 = -m01, m00
            h = size / 2
            # output point p -> input  centre + M (p - h), as Image.rotate does
            data = (m00, m01, cx - m00 * h - m01 * h, m10, m11, cy - m10 * h - m11 * h)
            out.append(part.transform((size, size), Image.Transform.AFFINE, data, resample=resample, fillcolor=colour))
    return out


def _suffix(url: str) -> str:
    suffix = Path(urllib.parse.urlsplit(url).path).suffix.lower()
    return suffix if suffix in _IMAGE_SUFFIXES else ".img"


def _outputs(row: CropRow, out_dir: Path, angles: Sequence[float], ext: str) -> list[Path]:
    return [
        out_dir / row.class_name / f"{row.stem}_s{k}_r{int(round(angle)):03d}{ext}"
        for k in range(len(row.scales))
        for angle in angles
    ]


def rebuild_google_set(
    csv_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    raw_dir: str | os.PathLike | None = None,
    cache: str | os.PathLike | None = None,
    url_rewrite: Callable[[str], str] | None = None,
    classes: Sequence[str] | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    size: int = FRAME,
    angles: Sequence[float] = ANGLES,
    image_format: str = "jpg",
    workers: int = 8,
    progress: bool = True,
    **download_kwargs,
) -> dict:
    """Rebuild the Google pattern set: download every row's URL, then crop, scale and rotate each.

    Args:
        csv_path: ``googleClothingDataset.csv`` (see :func:`parse_crop_csv`).
        out_dir: the pattern folder to write: ``<out_dir>/<class>/row<line>_s<k>_r<deg>.<fmt>``
            plus ``rebuild_manifest.json``.
        raw_dir: where the downloaded originals go (default ``<cache>/google-clothing-raw``).
        cache: the cache root (default ``$AIFASHION_CACHE`` or ``~/.cache/aifashion``).
        url_rewrite: maps each CSV URL to the URL actually fetched (tests use a local server;
            a user may use a mirror).
        classes: keep only these classes (after ``zig zag`` -> ``zigzag``).
        max_rows: keep this many rows, a random sample drawn with ``seed`` (smoke runs).
        size, angles: frame side and rotations (upstream: 224 and 0..330 step 30).
        image_format: ``"jpg"`` (quality 95; ~25 kB each) or ``"png"``.
        workers: download threads, also used to crop.
        progress: tqdm bars.
        **download_kwargs: passed to :func:`aifashion.data.download.download_files`
            (timeouts, retries, per-host limit, size cap ...).

    Resumable: downloads resume (see the downloader), and a row whose outputs all exist is not
    recomputed.

    Returns:
        The manifest dict (also written to ``rebuild_manifest.json``): ``counts`` per class,
        ``rows`` used, ``bad_rows`` (line, reason), ``failed`` downloads and crop failures
        (line, url, reason), ``csv_sha256``.
    """
    fmt = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}.get(image_format.lower())
    if fmt is None:
        raise ValueError(f"image_format must be jpg or png, not {image_format!r}")
    ext = ".png" if fmt == "PNG" else ".jpg"
    csv_path = Path(csv_path)
    rows, bad_rows = parse_crop_csv(csv_path)
    if classes is not None:
        found = sorted({r.class_name for r in rows})
        unknown = sorted(set(classes) - set(found))
        if unknown:
            raise ValueError(f"unknown class(es) {', '.join(unknown)}; classes in the CSV: {', '.join(found)}")
        rows = [r for r in rows if r.class_name in set(classes)]
    if max_rows is not None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1, not {max_rows}")
        if max_rows < len(rows):
            rows = sorted(random.Random(seed).sample(rows, max_rows), key=lambda r: r.line)
    out_dir = Path(out_dir).expanduser().resolve()
    raw = (
        Path(raw_dir).expanduser().resolve() if raw_dir is not None else paths.cache_dir(cache) / "google-clothing-raw"
    )
    rewrite = url_rewrite or (lambda u: u)
    raw_name = {r.line: f"{r.stem}{_suffix(r.url)}" for r in rows}

    todo = [r for r in rows if not all(p.is_file() for p in _outputs(r, out_dir, angles, ext))]
    report = download_files(
        [DownloadJob(rewrite(r.url), raw_name[r.line]) for r in todo],
        raw,
        workers=workers,
        progress=progress,
        **download_kwargs,
    )
    by_dest = {f.dest: f for f in report.failed}
    failed = [
        {"line": r.line, "url": r.url, "reason": by_dest[raw_name[r.line]].reason}
        for r in todo
        if raw_name[r.line] in by_dest
    ]
    ready = [r for r in todo if raw_name[r.line] not in by_dest]

    def make(row: CropRow) -> str | None:
        try:
            frames = apply_crop_row(open_image(raw / raw_name[row.line]), row, size=size, angles=angles)
        except (ImageError, ValueError) as exc:
            return str(exc)
        for img, path in zip(frames, _outputs(row, out_dir, angles, ext)):
            save = {"format": fmt, "quality": 95} if fmt == "JPEG" else {"format": fmt}
            atomic_save(path, lambda tmp, img=img, save=save: img.save(tmp, **save))
        return None

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(tqdm(pool.map(make, ready), total=len(ready), desc="crops", unit="row", disable=not progress))
    failed += [{"line": r.line, "url": r.url, "reason": e} for r, e in zip(ready, results) if e is not None]
    failed.sort(key=lambda f: f["line"])

    bad_lines = {f["line"] for f in failed}
    done = [r for r in rows if r.line not in bad_lines]
    counts: dict[str, int] = {}
    for r in done:
        counts[r.class_name] = counts.get(r.class_name, 0) + len(r.scales) * len(angles)
    manifest = {
        "source": "googleClothingDataset.csv crop list (lstearns86/clothing-pattern-dataset)",
        "csv": str(csv_path.resolve()),
        "csv_sha256": hashlib.sha256(csv_path.read_bytes()).hexdigest(),
        "size": size,
        "angles": list(angles),
        "format": fmt,
        "rows": len(rows),
        "rows_done": len(done),
        "counts": dict(sorted(counts.items())),
        "bad_rows": [{"line": line, "reason": reason} for line, reason in bad_rows],
        "failed": failed,
        "raw_dir": str(raw),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / MANIFEST_NAME, json.dumps(manifest, indent=1) + "\n")
    return manifest


__all__ = ["ANGLES", "COLUMNS", "FRAME", "CropRow", "apply_crop_row", "parse_crop_csv", "rebuild_google_set"]
