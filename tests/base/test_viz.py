"""aifashion.viz figures built from real inputs (the committed time-to-quality bench runs)."""

import json

import pytest

from aifashion import viz


@pytest.mark.parametrize("name", ["time_to_quality_3min.json", "time_to_quality_30min.json"])
def test_time_to_quality_figure_plots_every_arm(repo_root, name):
    summary = json.loads((repo_root / "docs" / name).read_text())
    fig = viz.time_to_quality_figure(summary)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == len(summary["arms"]) == 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all("Inception KID" in label for label in labels)
    projected = next(line for line in ax.lines if line.get_label().startswith("projected"))
    assert list(projected.get_xdata()) == [r["minutes"] for r in summary["arms"]["projected"]]


def test_time_to_quality_figure_refuses_a_summary_without_arms():
    with pytest.raises(ValueError, match="bench/time_to_quality.py"):
        viz.time_to_quality_figure({"minutes": 3})
