"""notebooks/01_data.ipynb runs top to bottom under papermill with smoke parameters."""

from __future__ import annotations

import json

import pytest

from aifashion.data.prepare import verify_prepared


def test_notebook_01_smoke(repo_root, fingercamera_dir, tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out"
    papermill.execute_notebook(
        str(repo_root / "notebooks" / "01_data.ipynb"),
        str(tmp_path / "01_executed.ipynb"),
        kernel_name="python3",
        parameters=dict(
            data_dir=str(fingercamera_dir), out_dir=str(out), image_size=64, classes=None, seed=0, max_images=3
        ),
        cwd=str(tmp_path),
        progress_bar=False,
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {c: 3 for c in ["checkered", "dotted", "floral", "solid", "striped", "zigzag"]}
    assert manifest["size"] == 64 and manifest["total"] == 18
    assert verify_prepared(out) == []
    for name in (
        "class_counts.png",
        "samples_source.png",
        "samples_prepared.png",
        "colour_balance.png",
        "crops_demo.png",
    ):
        assert (out / name).stat().st_size > 5000, name
    executed = json.loads((tmp_path / "01_executed.ipynb").read_text())
    images = [
        o
        for c in executed["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(images) == 5  # every figure is shown inline too
