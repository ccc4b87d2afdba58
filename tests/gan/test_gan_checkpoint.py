"""aifashion.gan.checkpoint's compact state: ``train-gan --pack DIR`` writes it, ``--init-from DIR``
continues from it in a fresh folder."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from aifashion.cli import main as cli_main
from aifashion.gan.checkpoint import pack_checkpoint, unpack_checkpoint

TINY = ["ngf=8", "max_ch=32", "ndf=8", "nz_local=8", "nz_global=8", "n_waves=4", "emb_dim=8"]


def _train(data, out, steps, *extra):
    args = ["train-gan", "--data-dir", str(data), "--out-dir", str(out), "--model", "tileable", "--loss", "hinge",
            "--batch-size", "4", "--image-size", "32", "--data-size", "64", "--max-per-class", "2",
            "--steps", str(steps), "--ckpt-every", "2", "--sample-every", "2", "--threads", "1",
            "--no-progress"]  # fmt: skip
    return cli_main(args + [a for kv in TINY for a in ("--model-config", kv)] + list(extra))


@pytest.fixture
def one_thread():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_pack_and_continue_elsewhere(fingercamera_dir, tmp_path, one_thread, capsys):
    assert _train(fingercamera_dir, tmp_path / "a", 4, "--pack", str(tmp_path / "state")) == 0
    assert "continue with --init-from" in capsys.readouterr().out
    ck = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)
    tensors = load_file(str(tmp_path / "state" / "state.safetensors"))
    meta = json.loads((tmp_path / "state" / "state.json").read_text())
    assert meta["step"] == 4 and meta["model_config"] == ck["model_config"] and meta["history"] == ck["history"]
    for part in ("G", "G_ema", "D"):  # every weight, in float16
        for k, v in ck[part].items():
            packed = tensors[f"{part}.{k}"]
            assert packed.dtype == (torch.float16 if v.is_floating_point() else v.dtype)
            assert torch.allclose(packed.float(), v.float(), rtol=1e-3, atol=1e-4)
    assert not any(k.startswith("opt") for k in tensors)

    # a fresh folder continues from the state: the counters and history go on, Adam starts afresh
    assert _train(fingercamera_dir, tmp_path / "b", 6, "--init-from", str(tmp_path / "state")) == 0
    cont = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert cont["step"] == 6 and cont["images_seen"] == 24
    n = len(ck["history"])
    assert n >= 1 and cont["history"][:n] == ck["history"] and cont["history"][-1]["step"] == 6
    assert cont["optG"]["state"][0]["step"] == 2  # two Adam steps since the state
    assert not torch.equal(cont["G"]["to_rgb.weight"], ck["G"]["to_rgb.weight"])
    # --init-from is ignored once the folder has its own checkpoint: a rerun resumes it
    assert _train(fingercamera_dir, tmp_path / "b", 6, "--init-from", str(tmp_path / "state")) == 0
    assert torch.equal(torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)["G"]["to_rgb.weight"],
                       cont["G"]["to_rgb.weight"])  # fmt: skip


def test_unpack_refuses_what_is_not_a_state(tmp_path, capsys, fingercamera_dir):
    with pytest.raises(ValueError, match="not a compact GAN state"):
        unpack_checkpoint(tmp_path, tmp_path / "ck.pt")
    (tmp_path / "state.json").write_text('{"format": "something else"}')
    (tmp_path / "state.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match="not a compact GAN state"):
        unpack_checkpoint(tmp_path, tmp_path / "ck.pt")
    assert _train(fingercamera_dir, tmp_path / "c", 2, "--init-from", str(tmp_path / "nothing")) == 2
    err = capsys.readouterr().err
    assert "not a compact GAN state" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ValueError, match="not an aifashion GAN checkpoint"):
        pack_checkpoint(tmp_path / "state.json", tmp_path / "out")
