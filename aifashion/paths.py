"""Where data, caches and shipped weights live.

Nothing here reads the current directory: every path comes from an explicit argument,
an environment variable, or the package's own location.

- ``AIFASHION_DATA``: a local folder that holds the data sets (on the dev machines and
  in CI this is ``../shared/data`` beside the checkout).
- ``AIFASHION_CACHE``: where downloads and prepared sets go (default
  ``~/.cache/aifashion``).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
WEIGHTS_DIR = PACKAGE_DIR / "weights"
#: the repository's docs/ (figures and committed bench results); absent in a non-editable install
DOCS_DIR = PACKAGE_DIR.parent / "docs"

#: Data-set folder names, relative to a data root.
FINGERCAMERA = "clothing-patterns-fingercamera"
GOOGLE_CSV = "googleClothingDataset.csv"
CCP = "clothing-co-parsing"
CLOTHING_SMALL = "clothing-dataset-small"


def data_root(explicit: str | os.PathLike | None = None) -> Path | None:
    """Return the local data root: ``explicit`` if given, else ``$AIFASHION_DATA``, else None.

    The folder must exist; a given-but-missing folder raises ``FileNotFoundError`` so that a
    typo is reported instead of silently triggering a download.
    """
    value = explicit if explicit is not None else os.environ.get("AIFASHION_DATA")
    if value in (None, ""):
        return None
    root = Path(value).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {root} does not exist")
    return root


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Return (and create) the cache folder for downloads and prepared sets."""
    value = explicit if explicit is not None else os.environ.get("AIFASHION_CACHE")
    root = Path(value).expanduser() if value else Path.home() / ".cache" / "aifashion"
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()
