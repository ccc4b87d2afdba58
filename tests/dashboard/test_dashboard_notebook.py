"""``notebooks/04_tryon_dashboard.ipynb``, the notebook the dashboard serves, run by papermill:
it builds the app and saves the try-on shown."""

from __future__ import annotations

import pytest
from dashboard_models import generator_file, segmenter_file
from PIL import Image


def test_notebook_runs_under_papermill(tmp_path, clothing_small_dir, repo_root):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out"
    params = {"out_dir": str(out), "garment": "dress", "samples": str(clothing_small_dir)}
    gen = generator_file(tmp_path)
    seg = segmenter_file(tmp_path)
    if gen is not None:
        params["generator"] = str(gen)
    if seg is not None:
        params["segmenter_weights"] = str(seg)
    papermill.execute_notebook(
        str(repo_root / "notebooks" / "04_tryon_dashboard.ipynb"),
        str(tmp_path / "run.ipynb"),
        parameters=params,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    tryon = Image.open(out / "tryon.png")
    assert tryon.size == (1024, 1024)
    assert Image.open(out / "swatch.jpg").size == (576, 576)
