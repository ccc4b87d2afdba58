"""``aifashion dashboard``: serve ``notebooks/04_tryon_dashboard.ipynb`` with Voila on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from aifashion.dashboard.serve import SESSION_MB, check_port, default_max_sessions, find_notebook, serve

DEFAULT_IDLE_TIMEOUT = 900


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument(
        "--generator", type=Path, default=None, help="exported generator.safetensors (default: the shipped weights)"
    )
    parser.add_argument(
        "--segmenter-weights", type=Path, default=None, help="segmenter weights (default: the shipped weights)"
    )
    parser.add_argument(
        "--samples",
        type=Path,
        default=None,
        help="folder of sample garment photos (default: $AIFASHION_DATA/clothing-dataset-small if present)",
    )
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=None,
        metavar="N",
        help="at most N pages at once; one more gets a 'dashboard is full' page (default: as many "
        f"as fit in half this machine's memory at ~{SESSION_MB} MB each, 2..16)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=int,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="S",
        help="end a session unused for S seconds, open tab or not; a closed tab's session ends "
        f"after min(60, S) s (default {DEFAULT_IDLE_TIMEOUT})",
    )
    parser.add_argument("--disconnect-grace", type=int, default=None, help=argparse.SUPPRESS)  # tests
    parser.add_argument("--notebook", type=Path, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Serve the dashboard until interrupted (Ctrl-C)."""
    notebook = find_notebook(args.notebook)
    check_port(args.port)
    if args.max_sessions is None:
        args.max_sessions = default_max_sessions()
    if args.max_sessions < 1:
        raise ValueError(f"--max-sessions must be at least 1, not {args.max_sessions}")
    if args.idle_timeout < 10:
        raise ValueError(f"--idle-timeout must be at least 10 seconds, not {args.idle_timeout}")
    for flag, var in (
        ("generator", "AIFASHION_GENERATOR"),
        ("segmenter_weights", "AIFASHION_SEGMENTER_WEIGHTS"),
        ("samples", "AIFASHION_DASHBOARD_SAMPLES"),
    ):
        value = getattr(args, flag)
        if value is not None:
            if not Path(value).exists():
                raise FileNotFoundError(f"--{flag.replace('_', '-')}: {value} does not exist")
            os.environ[var] = str(Path(value).expanduser().resolve())  # inherited by the kernels
    if args.generator is None and not os.environ.get("AIFASHION_GENERATOR"):
        from aifashion.paths import WEIGHTS_DIR

        shipped = WEIGHTS_DIR / "generator.safetensors"
        if not shipped.is_file():
            raise FileNotFoundError(
                f"the shipped generator {shipped} is missing; pass --generator FILE "
                "(an export of `aifashion train-gan`)"
            )
    os.environ["AIFASHION_DASHBOARD_IDLE_TIMEOUT"] = str(args.idle_timeout)  # the page's help line says it
    print(
        f"aifashion dashboard: serving {notebook.name} on http://127.0.0.1:{args.port}/ "
        f"(at most {args.max_sessions} sessions, idle ones end after {args.idle_timeout} s; Ctrl-C stops)",
        flush=True,
    )
    serve(args, notebook)
    return 0
