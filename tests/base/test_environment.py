"""The environment: pyproject.toml and environment.yml list the same dependencies with the same
versions, and `make` checks the disk before it sets up the venv."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _norm(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def _env_yml_requirements(text: str) -> list[str]:
    """Read the dependency strings of environment.yml (conda and pip sections) without PyYAML."""
    reqs, in_deps = [], False
    for line in text.splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if in_deps and re.match(r"^\S", line):
            break
        m = re.match(r"^\s+-\s+(.+?)\s*$", line)
        if in_deps and m and not m.group(1).endswith(":"):
            reqs.append(m.group(1))
    return reqs


def test_pyproject_and_environment_yml_agree():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    py = dict(_norm(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    env = dict(_norm(r) for r in _env_yml_requirements((REPO / "environment.yml").read_text()))
    env.pop("pip")
    env_python = env.pop("python")
    assert env_python == project["requires-python"].replace(" ", "")
    assert py == env


def test_make_refuses_to_set_up_a_venv_without_the_disk_it_needs(tmp_path):
    """A fresh `make` checks free disk first and says what it needs, creating nothing, rather
    than failing half-way through installing PyTorch with "No space left on device"."""
    venv = tmp_path / "venv"
    done = subprocess.run(
        ["make", "-C", str(REPO), f"VENV={venv}", "NEED_GB=1000000", "venv"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "GB free" in done.stderr and "needs about 1000000 GB" in done.stderr
    assert not venv.exists()
