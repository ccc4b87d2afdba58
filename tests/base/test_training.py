"""The shared training pieces: EMA with warm-up, threads, precision, the checkpoint file."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from aifashion.training import (
    check_amp,
    ema_decay,
    ema_update,
    precision,
    read_checkpoint,
    save_checkpoint,
    threads,
)


def test_ema_warms_up_then_holds_its_decay():
    assert ema_decay(0, 0.999) == pytest.approx(0.1)
    assert ema_decay(90, 0.999) == pytest.approx(91 / 100)
    assert ema_decay(10**6, 0.999) == 0.999


def test_ema_update_averages_parameters_and_copies_or_averages_buffers():
    torch.manual_seed(0)
    model, ema = nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    with torch.no_grad():
        model.weight.fill_(2.0)
        model.running_mean.fill_(4.0)
    model.num_batches_tracked.fill_(7)
    ema_update(ema, model, 0.75)  # copy buffers
    assert torch.allclose(ema.weight, torch.full((3,), 1.25))  # 0.75 * 1 + 0.25 * 2
    assert torch.equal(ema.running_mean, model.running_mean) and int(ema.num_batches_tracked) == 7
    ema2 = nn.BatchNorm1d(3)
    ema_update(ema2, model, 0.75, buffers="average")
    assert torch.allclose(ema2.running_mean, torch.full((3,), 1.0))  # 0.75 * 0 + 0.25 * 4
    assert int(ema2.num_batches_tracked) == 7  # integers are copied


def test_threads_are_restored_and_amp_names_checked():
    before = torch.get_num_threads()
    with threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="auto, bf16, off"):
        check_amp("fp8", "auto")
    assert precision(torch.device("cpu"), "off", "auto") == (False, torch.contiguous_format)
    assert precision(torch.device("cpu"), "off", "on")[1] == torch.channels_last


def test_checkpoint_round_trip_and_refusal(tmp_path):
    net = nn.Linear(2, 2)
    opt = torch.optim.Adam(net.parameters())
    save_checkpoint(tmp_path / "a.pt", "demo/1", net=net, opt=opt, step=3, history=[{"step": 3}])
    ck = read_checkpoint(tmp_path / "a.pt", "demo/1")
    assert ck["step"] == 3 and set(ck["net"]) == {"weight", "bias"} and "state" in ck["opt"]
    assert ck["threads"] == torch.get_num_threads() and ck["hardware"]
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically: no leftovers
    with pytest.raises(ValueError, match="not an aifashion other checkpoint"):
        read_checkpoint(tmp_path / "a.pt", "other/1", what="other")
