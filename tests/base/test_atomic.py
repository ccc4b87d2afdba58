"""aifashion.atomic: a write either lands whole or leaves the old file untouched."""

from __future__ import annotations

import os
import stat

import pytest

from aifashion.atomic import atomic_path, atomic_save, atomic_write_bytes, atomic_write_text


def _leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_writes_create_parents_and_replace(tmp_path):
    p = tmp_path / "a" / "b" / "f.txt"
    assert atomic_write_text(p, "one") == p
    assert p.read_text() == "one"
    atomic_write_bytes(p, b"two")
    assert p.read_bytes() == b"two"
    atomic_save(p, lambda t: t.write_text("three"))
    assert p.read_text() == "three"
    assert _leftovers(p.parent) == []


def test_failure_leaves_old_file_and_no_temporary(tmp_path):
    p = tmp_path / "ckpt.pt"
    p.write_text("old")

    def writer(t):
        t.write_text("half")
        raise RuntimeError("interrupted mid-write")

    with pytest.raises(RuntimeError, match="interrupted"):
        atomic_save(p, writer)
    assert p.read_text() == "old"
    assert _leftovers(tmp_path) == []
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(p) as t:
            t.write_text("partial")
            raise KeyboardInterrupt
    assert p.read_text() == "old" and _leftovers(tmp_path) == []


def test_mode_follows_umask_not_mkstemp(tmp_path):
    p = atomic_write_text(tmp_path / "m.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600
