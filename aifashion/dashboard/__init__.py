"""The try-on dashboard: ipywidgets app (``TryOnApp``) served by Voila (``aifashion dashboard``).

``TryOnApp(...).widget`` is the whole page; ``notebooks/04_tryon_dashboard.ipynb`` shows it and
``aifashion dashboard`` serves that notebook with Voila on 127.0.0.1. Importing this package is
cheap; ``TryOnApp`` pulls in ipywidgets and (when built) torch.
"""

from __future__ import annotations

from aifashion.dashboard.serve import find_notebook

__all__ = ["TryOnApp", "TryOnSession", "find_notebook"]


def __getattr__(name: str):
    if name == "TryOnApp":
        from aifashion.dashboard.app import TryOnApp

        return TryOnApp
    if name == "TryOnSession":
        from aifashion.dashboard.session import TryOnSession

        return TryOnSession
    raise AttributeError(f"module 'aifashion.dashboard' has no attribute {name!r}")
