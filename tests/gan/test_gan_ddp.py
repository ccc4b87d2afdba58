"""DDP: two CPU processes with the gloo backend train a few steps through torchrun."""

from __future__ import annotations

import os
import subprocess
import sys

import torch

TINY = ["ngf=8", "max_ch=32", "ndf=8", "nz_local=8", "nz_global=8", "n_waves=4", "emb_dim=8"]


def test_two_gloo_processes_train(fingercamera_dir, tmp_path):
    out = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "aifashion.cli",
        "train-gan",
        "--out-dir",
        str(out),
        "--data-dir",
        str(fingercamera_dir),
        "--model",
        "tileable",
        "--batch",
        "4",
        "--image-size",
        "32",
        "--data-size",
        "64",
        "--max-per-class",
        "2",
        "--ckpt-every",
        "2",
        "--sample-every",
        "2",
        "--threads",
        "1",
        "--no-progress",
        "--loss",
        "hinge",
        "--device",
        "cpu",
    ] + [a for kv in TINY for a in ("--model-config", kv)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd + ["--steps", "3"], env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("trained tileable to step 3") == 1  # rank 0 reports, rank 1 stays quiet
    ck = torch.load(out / "checkpoint.pt", weights_only=False)
    assert ck["world_size"] == 2 and ck["step"] == 3
    assert ck["images_seen"] == 3 * 4 * 2  # both processes' batches count
    assert len(ck["rng"]) == 2  # each rank's generator states
    # the ranks drew different batches: their data-generator states differ
    assert not torch.equal(ck["rng"][0][0], ck["rng"][1][0])
    assert (out / "samples" / "step_0000002.png").is_file()
