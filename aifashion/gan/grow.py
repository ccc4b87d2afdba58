"""Checkpoint surgery that the shipped recipe used: grow a trained tileable generator by zigzag
waves without changing what it draws, then resume training with them.

The shipped generator's phase 3 is phase 2's checkpoint grown by 8 zigzag-wave channels
(``aifashion/weights/GENERATOR_CARD.md``)::

    from aifashion.gan.grow import add_zigzag_waves
    add_zigzag_waves("runs/gan/checkpoint.pt", "runs/gan/checkpoint.pt", 8)
    # then resume in runs/gan with the phase-2 settings plus --model-config n_zigzags=8;
    # `aifashion train-gan --recipe tileable-3` does both (aifashion.gan.recipes)
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import torch

from aifashion.atomic import atomic_save
from aifashion.gan.checkpoint import load_checkpoint
from aifashion.gan.models import build_model, make_config

__all__ = ["add_zigzag_waves", "grow_if_without_waves"]


@torch.no_grad()
def add_zigzag_waves(checkpoint: str | os.PathLike, out_path: str | os.PathLike, n_zigzags: int, seed: int = 0) -> Path:
    """Grow a trained tileable generator's checkpoint by ``n_zigzags`` zigzag-wave channels
    (:func:`aifashion.gan.models.tileable.zigzag_waves`) without changing what it draws.

    The new channels join the end of every level's input; their input weights start at zero, so
    the grown generator renders exactly what the old one did (for the same noise and phases;
    the new phases are appended). The zigzag MLP gets a seeded fresh init. The generator's Adam
    moments carry over by parameter name (zeros for the new input channels; none yet for the
    new MLP). Resume the result with ``--model-config n_zigzags=N`` (``train-gan`` in a run
    folder that holds it as ``checkpoint.pt``). The checkpoint's ``grown`` record gets
    ``{"step", "seed", "n_zigzags"}``.

    Args:
        checkpoint: a ``train_gan`` checkpoint of the tileable model without zigzag waves.
        out_path: where the grown checkpoint goes (written atomically; may be ``checkpoint``).
        n_zigzags: how many zigzag waves to add (> 0).
        seed: seeds the new MLP's init (the global RNG is left alone).

    Returns:
        ``out_path`` as a ``Path``.
    """
    ck = load_checkpoint(checkpoint)
    if ck.get("model") != "tileable":
        raise ValueError(f"{checkpoint} is not a tileable-generator checkpoint")
    old_cfg = make_config("tileable", ck["model_config"])
    if n_zigzags <= 0 or old_cfg.n_zigzags != 0:
        raise ValueError(
            f"grows a generator without zigzag waves by n_zigzags > 0 "
            f"(it has {old_cfg.n_zigzags}, asked for {n_zigzags})"
        )
    new_cfg = make_config("tileable", {**asdict(old_cfg), "n_zigzags": int(n_zigzags)})
    with torch.random.fork_rng(devices=[]):  # seeded init; the global RNG is left alone
        torch.manual_seed(seed)
        G_new = build_model("tileable", **asdict(new_cfg)).generator
        old_G = build_model("tileable", **asdict(old_cfg)).generator  # for its parameter names only
    old_names = [n for n, _ in old_G.named_parameters()]
    new_names = [n for n, _ in G_new.named_parameters()]
    template = G_new.state_dict()
    for key in ("G", "G_ema"):  # old tensors grown into the new shapes; the new MLP keeps its init
        ck[key] = {**template, **{name: _grow_inputs(t.cpu(), template[name]) for name, t in ck[key].items()}}
    # Adam moments by name: the new MLP's parameters come first in the new order
    opt = ck["optG"]
    by_name = {old_names[i]: st for i, st in opt["state"].items()}
    new_state = {}
    for j, name in enumerate(new_names):
        if name in by_name:
            st = by_name[name]
            moments = {m: _grow_inputs(st[m].cpu(), template[name]) for m in ("exp_avg", "exp_avg_sq") if m in st}
            new_state[j] = {**st, **moments}
    opt["state"] = new_state
    opt["param_groups"][0]["params"] = list(range(len(new_names)))
    ck["model_config"] = asdict(new_cfg)
    ck["grown"] = list(ck.get("grown", [])) + [{"step": ck["step"], "seed": seed, "n_zigzags": int(n_zigzags)}]
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(out, lambda p: torch.save(ck, p))
    return out


def _grow_inputs(old: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``old`` with zero weights appended for new input channels (dim 1) to match ``like``."""
    if old.shape == like.shape:
        return old.clone()
    if (
        old.dim() == 4
        and old.shape[0] == like.shape[0]
        and old.shape[2:] == like.shape[2:]
        and old.shape[1] < like.shape[1]
    ):
        out = torch.zeros(like.shape, dtype=old.dtype)
        out[:, : old.shape[1]] = old
        return out
    raise ValueError(f"cannot grow a tensor of shape {tuple(old.shape)} into {tuple(like.shape)}")


def grow_if_without_waves(checkpoint: str | os.PathLike, n_zigzags: int) -> bool:
    """Grow ``checkpoint`` in place by ``n_zigzags`` waves when it has none (so a phase-3 command
    may be repeated; ``TrainConfig.grow_waves``). Returns whether it grew."""
    if n_zigzags <= 0 or load_checkpoint(checkpoint)["model_config"].get("n_zigzags", 0) != 0:
        return False
    add_zigzag_waves(checkpoint, checkpoint, n_zigzags)
    print(f"grew {checkpoint} by {n_zigzags} zigzag waves", flush=True)
    return True
