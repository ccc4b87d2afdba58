"""``aifashion data prepare|download|rebuild|stats``: thin shells over :mod:`aifashion.data`.

Examples::

    aifashion data prepare --out prepared/                  # FingerCamera from AIFASHION_DATA
    aifashion data prepare --download --out prepared/       # ... or downloaded into the cache
    aifashion data download fingercamera                    # only download (resumable)
    aifashion data rebuild --out google/ --max-rows 20      # the Google CSV crop list
    aifashion data stats prepared/ --verify

Bad arguments and bad input end with exit status 2 and one line on stderr (see aifashion.cli);
downloads that partly fail end with status 1 and a line naming the failure manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _classes(text: str) -> list[str]:
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give class names separated by commas")
    return names


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, not {value}")
    return value


def _rewrite(text: str) -> tuple[str, str]:
    old, sep, new = text.partition("=")
    if not sep or not old:
        raise argparse.ArgumentTypeError("expected OLD_PREFIX=NEW_PREFIX")
    return old, new


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, help="local data root or FingerCamera folder (default: $AIFASHION_DATA)")
    p.add_argument(
        "--cache", type=Path, help="cache folder for downloads (default: $AIFASHION_CACHE or ~/.cache/aifashion)"
    )
    p.add_argument(
        "--download", action="store_true", help="download from the pinned upstream commit if not found locally"
    )
    p.add_argument("--base-url", help="replace https://raw.githubusercontent.com/<repo>/<commit> (a mirror)")


def _net_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_positive, default=8, help="download threads (default 8)")
    p.add_argument("--per-host", type=_positive, default=4, help="most requests at once per host (default 4)")
    p.add_argument("--timeout", type=_seconds, default=20.0, help="socket timeout in seconds (default 20)")
    p.add_argument(
        "--retries", type=int, choices=range(0, 11), default=3, metavar="N", help="retries per file, 0-10 (default 3)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``data`` sub-commands to ``parser``."""
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    p = sub.add_parser(
        "prepare",
        help="standardise a pattern folder to RGB PNGs + manifest.json",
        description="Standardise a pattern folder (default: the FingerCamera set) into "
        "RGB SIZExSIZE PNGs per class folder plus manifest.json.",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--src", type=Path, help="any folder of class sub-folders (default: the FingerCamera set)")
    _source_args(p)
    p.add_argument("--size", type=_positive, default=224, help="output side in pixels (default 224)")
    p.add_argument("--classes", type=_classes, help="comma-separated classes to keep")
    p.add_argument("--max-images", type=_positive, help="at most this many images per class (smoke runs)")
    p.add_argument("--seed", type=int, default=0, help="seed for --max-images (default 0)")
    _net_args(p)

    p = sub.add_parser(
        "download",
        help="download a data set into the cache (resumable)",
        description="Download the FingerCamera photos (sha256-locked on first download) "
        "or googleClothingDataset.csv (pinned sha256) into the cache.",
    )
    p.add_argument("dataset", nargs="?", choices=["fingercamera", "google-csv"], default="fingercamera")
    p.add_argument("--cache", type=Path, help="cache folder (default: $AIFASHION_CACHE or ~/.cache/aifashion)")
    p.add_argument("--base-url", help="replace https://raw.githubusercontent.com/<repo>/<commit> (a mirror)")
    _net_args(p)

    p = sub.add_parser(
        "rebuild",
        help="rebuild the Google pattern set from its CSV crop list",
        description="Download every URL of googleClothingDataset.csv, crop, scale, rotate "
        "(12 x 30 degrees) and write 224x224 frames per class.",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--csv", type=Path, help="the crop-list CSV (default: found like --data-dir, or downloaded)")
    _source_args(p)
    p.add_argument(
        "--raw-dir", type=Path, help="where the downloaded originals go (default: <cache>/google-clothing-raw)"
    )
    p.add_argument("--classes", type=_classes, help="comma-separated classes to keep")
    p.add_argument("--max-rows", type=_positive, help="use a random sample of this many rows")
    p.add_argument("--seed", type=int, default=0, help="seed for --max-rows (default 0)")
    p.add_argument("--format", choices=["jpg", "png"], default="jpg", help="output format (default jpg, quality 95)")
    p.add_argument(
        "--url-rewrite",
        type=_rewrite,
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="fetch URLs starting with OLD from NEW instead (a mirror; OLD holds no '='); repeatable",
    )
    _net_args(p)

    p = sub.add_parser(
        "stats",
        help="class counts of a pattern folder; --verify checks a prepared set",
        description="Print the class counts and skipped files of a pattern folder.",
    )
    p.add_argument("folder", type=Path)
    p.add_argument("--verify", action="store_true", help="check every file against manifest.json")
    p.add_argument("--json", action="store_true", help="print JSON")


def _dl_kwargs(args) -> dict:
    return dict(per_host=args.per_host, timeout=args.timeout, retries=args.retries)


def _fail(args, message: str) -> int:
    print(f"aifashion data {args.data_command}: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    """Run one ``data`` action; returns the exit status."""
    from aifashion.data import sources

    try:
        return _ACTIONS[args.data_command](args)
    except sources.DownloadError as exc:
        return _fail(args, str(exc))


def _prepare(args) -> int:
    from aifashion.data.prepare import prepare_pattern_set
    from aifashion.data.sources import find_or_download_fingercamera

    if args.src is not None:
        src, source = args.src, str(args.src)
    else:
        src = find_or_download_fingercamera(
            args.data_dir,
            args.cache,
            args.download,
            base_url=args.base_url,
            progress=not args.no_progress,
            workers=args.workers,
            **_dl_kwargs(args),
        )
        source = f"FingerCamera (lstearns86/clothing-pattern-dataset) from {src}"
    m = prepare_pattern_set(
        src,
        args.out,
        size=args.size,
        classes=args.classes,
        max_images=args.max_images,
        seed=args.seed,
        source=source,
        progress=not args.no_progress,
    )
    counts = ", ".join(f"{c} {n}" for c, n in m["counts"].items())
    print(f"prepared {m['total']} images ({counts}) at {m['size']}x{m['size']} in {Path(args.out).resolve()}")
    if m["skipped"]:
        print(f"skipped {len(m['skipped'])} files; see manifest.json")
    return 0


def _download(args) -> int:
    from aifashion.data import sources

    kw = dict(progress=not args.no_progress, workers=args.workers, **_dl_kwargs(args))
    if args.dataset == "google-csv":
        path = sources.find_or_download_google_csv(None, args.cache, True, base_url=args.base_url, **kw)
        print(f"{path}")
        return 0
    folder, report = sources.download_fingercamera(args.cache, base_url=args.base_url, **kw)
    print(
        f"{folder}: {len(report.downloaded)} downloaded, {len(report.present)} already there, "
        f"{len(report.failed)} failed"
    )
    if report.failed:
        return _fail(args, f"{len(report.failed)} files failed; reasons in {report.manifest}; rerun to resume")
    return 0


def _rebuild(args) -> int:
    from aifashion.data.google_crops import rebuild_google_set
    from aifashion.data.sources import find_or_download_google_csv

    csv_path = (
        args.csv
        if args.csv is not None
        else find_or_download_google_csv(
            args.data_dir, args.cache, args.download, base_url=args.base_url, progress=not args.no_progress
        )
    )
    rules = list(args.url_rewrite)

    def rewrite(url: str) -> str:
        for old, new in rules:
            if url.startswith(old):
                return new + url[len(old) :]
        return url

    m = rebuild_google_set(
        csv_path,
        args.out,
        raw_dir=args.raw_dir,
        cache=args.cache,
        url_rewrite=rewrite,
        classes=args.classes,
        max_rows=args.max_rows,
        seed=args.seed,
        image_format=args.format,
        workers=args.workers,
        progress=not args.no_progress,
        **_dl_kwargs(args),
    )
    total = sum(m["counts"].values())
    print(
        f"rebuilt {total} frames from {m['rows_done']} of {m['rows']} rows in {Path(args.out).resolve()}; "
        f"{len(m['bad_rows'])} bad rows, {len(m['failed'])} failed (see rebuild_manifest.json)"
    )
    return 0 if m["rows_done"] or not m["rows"] else _fail(args, "no row could be rebuilt; see rebuild_manifest.json")


def _stats(args) -> int:
    from aifashion.data.folders import scan_pattern_folder
    from aifashion.data.prepare import MANIFEST_NAME, load_manifest, verify_prepared

    folder = scan_pattern_folder(args.folder)
    counts = folder.counts()
    info = {
        "folder": str(folder.root),
        "counts": counts,
        "total": len(folder),
        "skipped": [{"path": str(p), "reason": r} for p, r in folder.skipped],
    }
    has_manifest = (folder.root / MANIFEST_NAME).is_file()
    if has_manifest:
        m = load_manifest(folder.root)
        info["manifest"] = {"source": m.get("source"), "size": m.get("size"), "total": m.get("total")}
    problems = None
    if args.verify:
        if not has_manifest:
            raise FileNotFoundError(f"{folder.root} has no {MANIFEST_NAME} to verify against")
        problems = verify_prepared(folder.root)
        info["problems"] = problems
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        width = max(len(c) for c in counts)
        for c, n in counts.items():
            print(f"{c:<{width}}  {n:6d}")
        print(f"{'total':<{width}}  {len(folder):6d}")
        if folder.skipped:
            print(f"{len(folder.skipped)} files skipped (not images)")
        if problems is not None:
            print("verified: all files match manifest.json" if not problems else "\n".join(problems))
    if problems:
        return _fail(args, f"{len(problems)} files differ from {MANIFEST_NAME}")
    return 0


_ACTIONS = {"prepare": _prepare, "download": _download, "rebuild": _rebuild, "stats": _stats}
