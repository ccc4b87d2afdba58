"""Shared fixtures: the local data root (``$AIFASHION_DATA``) and its data sets.

Tests that need real data skip with a clear reason when the folder is absent; the Makefile
points ``AIFASHION_DATA`` at ``../shared/data`` when that folder exists.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Test helpers shared by several folders (a local HTTP server, tiny model files).
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))


def _data_root() -> Path | None:
    value = os.environ.get("AIFASHION_DATA")
    if value:
        p = Path(value)
        return p if p.is_dir() else None
    fallback = REPO.parent / "shared" / "data"
    return fallback if fallback.is_dir() else None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = _data_root()
    if root is None:
        pytest.skip("no local data: set AIFASHION_DATA to a folder holding the data sets (see README)")
    return root


def _sub(root: Path, name: str) -> Path:
    p = root / name
    if not p.exists():
        pytest.skip(f"{name} is not in {root}")
    return p


@pytest.fixture(scope="session")
def fingercamera_dir(data_root) -> Path:
    return _sub(data_root, "clothing-patterns-fingercamera")


@pytest.fixture(scope="session")
def google_csv(data_root) -> Path:
    return _sub(data_root, "googleClothingDataset.csv")


@pytest.fixture(scope="session")
def ccp_dir(data_root) -> Path:
    return _sub(data_root, "clothing-co-parsing")


@pytest.fixture(scope="session")
def clothing_small_dir(data_root) -> Path:
    return _sub(data_root, "clothing-dataset-small")
