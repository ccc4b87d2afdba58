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


def check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be between 1 and 65535, not {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise ValueError(f"port {port} on 127.0.0.1 is already in use; pass another with --port") from None
