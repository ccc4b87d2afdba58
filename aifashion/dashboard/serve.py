"""``aifashion dashboard``: serve ``notebooks/04_tryon_dashboard.ipynb`` with Voila on 127.0.0.1.

Voila starts one kernel per browser session, so every user gets their own ``TryOnApp``.
Options reach the notebook's kernels through environment variables (``AIFASHION_GENERATOR``,
``AIFASHION_SEGMENTER_WEIGHTS``, ``AIFASHION_DASHBOARD_SAMPLES``), which the kernels inherit.
"""
from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

NOTEBOOK_NAME = "04_tryon_dashboard.ipynb"
#: Largest websocket message Voila accepts: uploads travel as one message (20 MB cap + margin).
MAX_WEBSOCKET_MESSAGE = 128 * 1024 * 1024


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


def _check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be between 1 and 65535, not {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise ValueError(f"port {port} on 127.0.0.1 is already in use; pass another with --port") from None


def cli_add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument("--generator", type=Path, default=None,
                        help="exported generator.safetensors (default: the shipped weights)")
    parser.add_argument("--segmenter-weights", type=Path, default=None,
                        help="segmenter weights (default: the shipped weights)")
    parser.add_argument("--samples", type=Path, default=None,
                        help="folder of sample garment photos (default: $AIFASHION_DATA/clothing-dataset-small if present)")
    parser.add_argument("--notebook", type=Path, default=None, help=argparse.SUPPRESS)


def cli_run(args: argparse.Namespace) -> int:
    """Serve the dashboard until interrupted (Ctrl-C)."""
    notebook = find_notebook(args.notebook)
    _check_port(args.port)
    for flag, var in (("generator", "AIFASHION_GENERATOR"), ("segmenter_weights", "AIFASHION_SEGMENTER_WEIGHTS"),
                      ("samples", "AIFASHION_DASHBOARD_SAMPLES")):
        value = getattr(args, flag)
        if value is not None:
            if not Path(value).exists():
                raise FileNotFoundError(f"--{flag.replace('_', '-')}: {value} does not exist")
            os.environ[var] = str(Path(value).expanduser().resolve())  # inherited by the kernels
    if args.generator is None and not os.environ.get("AIFASHION_GENERATOR"):
        from aifashion.paths import WEIGHTS_DIR

        shipped = WEIGHTS_DIR / "generator.safetensors"
        if not shipped.is_file():
            raise FileNotFoundError(f"the shipped generator {shipped} is missing; pass --generator FILE "
                                    "(an export of `aifashion train-gan`)")
    from voila.app import Voila

    argv = [
        str(notebook),
        f"--port={args.port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--theme=light",
        "--strip_sources=True",
    ]
    if args.no_browser:
        argv.append("--no-browser")
    print(f"aifashion dashboard: serving {notebook.name} on http://127.0.0.1:{args.port}/ (Ctrl-C stops)", flush=True)
    Voila.launch_instance(argv=argv, tornado_settings={"websocket_max_message_size": MAX_WEBSOCKET_MESSAGE})
    return 0
