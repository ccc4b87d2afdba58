"""``aifashion dashboard``: serve ``notebooks/04_tryon_dashboard.ipynb`` with Voila on 127.0.0.1."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from aifashion.dashboard.serve import MAX_WEBSOCKET_MESSAGE, check_port, find_notebook

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument("--generator", type=Path, default=None,
                        help="exported generator.safetensors (default: the shipped weights)")
    parser.add_argument("--segmenter-weights", type=Path, default=None,
                        help="segmenter weights (default: the shipped weights)")
    parser.add_argument("--samples", type=Path, default=None,
                        help="folder of sample garment photos (default: $AIFASHION_DATA/clothing-dataset-small if present)")
    parser.add_argument("--notebook", type=Path, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Serve the dashboard until interrupted (Ctrl-C)."""
    notebook = find_notebook(args.notebook)
    check_port(args.port)
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
