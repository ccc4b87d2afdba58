"""notebooks/02_train_dcgan.ipynb runs top to bottom under papermill with smoke parameters."""

from __future__ import annotations

import json

import pytest

CLASSES = ["checkered", "dotted", "floral", "solid", "striped", "zigzag"]


#: parameters that make notebook 02 a smoke run (seconds, not minutes)
SMOKE = dict(
    steps=2,
    batch_size=4,
    data_size=96,
    max_per_class=3,
    eval_per_class=3,
    real_views=32,
    big_size=128,
    show_size=64,
    sample_every=1,
    ckpt_every=2,
    device="cpu",
    threads=1,
    probe_steps=2,
)


def _run_notebook(repo_root, tmp_path, executed: str, **parameters) -> None:
    papermill = pytest.importorskip("papermill")
    papermill.execute_notebook(
        str(repo_root / "notebooks" / "02_train_dcgan.ipynb"),
        str(tmp_path / executed),
        kernel_name="python3",
        parameters={**SMOKE, **parameters},
        cwd=str(tmp_path),
        progress_bar=False,
    )


def test_notebook_02_smoke(repo_root, fingercamera_dir, tmp_path):
    out = tmp_path / "out"
    _run_notebook(
        repo_root,
        tmp_path,
        "02_executed.ipynb",
        data_dir=str(fingercamera_dir),
        out_dir=str(out),
        model="tileable",
        baseline_export=None,  # train the baseline here too
        baseline_steps=2,
        classifier_steps=3,
        seed=0,
    )
    # both models trained, checkpointed and exported (safetensors + JSON config)
    for name in ("tileable", "dcgan"):
        assert (out / name / "checkpoint.pt").is_file(), name
        assert (out / name / "generator.safetensors").stat().st_size > 10_000, name
        meta = json.loads((out / name / "generator.json").read_text())
        assert meta["model"] == name and meta["classes"] == CLASSES
        assert meta["training"]["steps"] == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "tileable" and metrics["steps"] == 2
    ours, base = metrics["generators"]["tileable"], metrics["generators"]["dcgan baseline"]
    assert ours["n"] == 3 * 6 and base["n"] == 3 * 6
    # ours is asked for each class; the unconditional baseline cannot be
    assert set(ours["class_fidelity"]["per_class"]) == set(CLASSES)
    assert 0.0 <= ours["class_fidelity"]["overall"] <= 1.0
    assert base["class_fidelity"] is None
    assert sum(base["predicted_share"].values()) == pytest.approx(1.0)
    # circular padding makes our output tile at any training step
    assert 0.5 < ours["seam_score"]["mean"] < 1.3
    for r in (ours, base):
        assert r["kid"]["std"] >= 0 and r["frechet_distance"] >= 0
        assert 0.0 <= r["precision_recall"]["precision"] <= 1.0 and 0.0 <= r["precision_recall"]["recall"] <= 1.0
    assert ours["precision_recall"]["per_class"] == {}  # 3 samples per class: too few for k = 3 neighbours
    # regular geometry: periodicity per class, compared with real crops of the same class
    per = ours["periodicity"]
    assert set(per["w1_to_real_per_class"]) == set(CLASSES) == set(per["real_median_per_class"])
    assert all(0.0 <= v <= 1.0 for v in per["w1_to_real_per_class"].values())
    assert 0.0 <= base["periodicity"]["median"] <= 1.0 and "w1_to_real_per_class" not in base["periodicity"]
    assert 0.0 <= metrics["classifier_heldout_accuracy"] <= 1.0
    for name in (
        "real_crops.png",
        "losses_tileable.png",
        "losses_dcgan.png",
        "tiles_tileable.png",
        "tiles_baseline.png",
        "big_tileable.png",
        "mix.png",
        "metrics.png",
    ):
        assert (out / name).stat().st_size > 2000, name
    executed = json.loads((tmp_path / "02_executed.ipynb").read_text())
    images = [
        o
        for c in executed["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(images) >= 8  # figures are shown inline too
    printed = "".join(
        t
        for c in executed["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        for t in o.get("text", [])
    )
    assert "estimated training time" in printed and "s/step x 2 steps" in printed  # the estimate came first
    assert "class conditioning: none until step 0, full from step 1" in printed  # the ramp, in this run's steps
    assert "Inception KID ratio at equal time" in printed  # the committed time-to-quality run was plotted
    assert not (out / "probe").exists()  # the timing runs are thrown away


def test_notebook_02_defaults_are_sized_for_a_cpu(repo_root):
    """The parameters cell: CPU defaults with the GPU values in comments (no '=' in a comment,
    which papermill's parser warns about), and the measured run time stated in the markdown."""
    nb = json.loads((repo_root / "notebooks" / "02_train_dcgan.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    lines = [ln for ln in "".join(cell["source"]).splitlines() if ln and not ln.startswith("#")]
    assert all("=" not in ln.split("#", 1)[1] for ln in lines if "#" in ln)
    params = {ln.split("=")[0].strip(): ln.split("=")[1].split("#")[0].strip() for ln in lines}
    assert float(params["minutes"]) <= 10 and "GPU: 3000" in "".join(cell["source"])
    assert params["baseline_export"] == '"shipped"'  # the shipped baseline: no second training run
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "under papermill" in text and "negative KID" in text


def test_notebook_02_trains_against_the_projected_discriminator(repo_root, fingercamera_dir, tmp_path):
    """model="tileable-projected" (needs the Lite0 wheel of the test extra): trained, exported as a
    plain tileable generator file, evaluated beside the shipped baseline (the default: loaded, not
    trained)."""
    out = tmp_path / "out"
    _run_notebook(
        repo_root,
        tmp_path,
        "02_projected.ipynb",
        data_dir=str(fingercamera_dir),
        out_dir=str(out),
        model="tileable-projected",
    )
    meta = json.loads((out / "tileable-projected" / "generator.json").read_text())
    assert meta["model"] == "tileable" and meta["classes"] == CLASSES and meta["training"]["steps"] == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics["generators"]) == ["tileable-projected", "dcgan baseline"]
    assert metrics["generators"]["dcgan baseline"]["n"] == 3 * 6
    assert set(metrics["generators"]["tileable-projected"]["class_fidelity"]["per_class"]) == set(CLASSES)
    assert not (out / "dcgan").exists()
