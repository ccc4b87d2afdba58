"""Training checkpoints of the GANs: what ``checkpoint.pt`` holds, how it is written, and when a
run may resume from it.

A checkpoint is one ``torch.save`` dict tagged ``CKPT_FORMAT``: the model name and config
(``asdict``), the train config, the classes, step / images seen / training seconds, the state
dicts of ``G``, ``D``, ``G_ema``, ``optG`` and ``optD``, every process's data- and noise-stream
states (``rng``), the loss history, the growth record (``grown``, see :mod:`aifashion.gan.grow`;
kept in every later checkpoint) and where it ran. It is written atomically, so a killed run
leaves the previous one intact (the shared format: :mod:`aifashion.training`).

Resuming (:func:`load_checkpoint` with ``model`` and ``config``) needs the same model and the
same model config, read leniently: a field added to the config class since the checkpoint was
written takes its default; a retired field (``aifashion.gan.models.RETIRED``) at its old
default is dropped; a changed or unknown field is refused. The train config may change between
resumes (more steps, DiffAugment on), except that a retired train field (``RETIRED_TRAIN``) must
hold its old default.

A long run may be carried between machines as a **compact state** (:func:`pack_checkpoint`, a
folder of ``state.safetensors`` -- the weights of G, its EMA and D in float16 -- and
``state.json``, the rest but the optimiser moments and random streams); :func:`unpack_checkpoint`
turns it back into a checkpoint that training resumes from with fresh Adam moments and streams
derived from the step (so not bit-exact, unlike resuming ``checkpoint.pt``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from aifashion.gan.models import RETIRED_IN, RetiredFieldError, make_config
from aifashion.training import read_checkpoint
from aifashion.training import save_checkpoint as write_checkpoint

__all__ = [
    "CKPT_FORMAT",
    "RETIRED_TRAIN",
    "load_checkpoint",
    "save_checkpoint",
    "stream_seed",
    "rng_states",
    "restore_rng",
    "pack_checkpoint",
    "unpack_checkpoint",
]

CKPT_FORMAT = "aifashion-gan-checkpoint/1"

RETIRED_TRAIN: dict[str, Any] = {"class_weights": None, "class_scale": None}
"""Retired ``TrainConfig`` fields and their old defaults (see ``docs/experiments.md``)."""


# ---------------------------------------------------------------------------- random streams
def stream_seed(seed: int, stream: int, rank: int, step: int = 0) -> int:
    """The seed of one process's random stream (``stream`` 1 = data, 2 = noise).

    ``step`` > 0 only when a run resumes with another number of processes: the saved streams
    cannot be split, so fresh ones are derived from the step.
    """
    return seed * 1000 + stream + 7 * rank + 1_000_003 * step


def rng_states(gens: Sequence[torch.Generator], world: int) -> list[list[torch.Tensor]]:
    """Every process's generator states, ``[rank][stream]`` (a collective call under DDP)."""
    states = [g.get_state() for g in gens]
    if world == 1:
        return [states]
    import torch.distributed as dist

    gathered: list = [None] * world
    dist.all_gather_object(gathered, [s.cpu() for s in states])
    return gathered


def restore_rng(gens: Sequence[torch.Generator], states: list, rank: int, world: int, seed: int, step: int) -> None:
    """Put this process's saved stream states back (or derive fresh streams when the number of
    processes changed)."""
    if len(states) == world:
        for g, s in zip(gens, states[rank]):
            g.set_state(s.cpu())  # generator states are CPU byte tensors on every device
    else:
        for i, g in enumerate(gens):
            g.manual_seed(stream_seed(seed, i + 1, rank, step))


# ---------------------------------------------------------------------------- write / read
def save_checkpoint(
    path: Path,
    *,
    model: str,
    model_config: Any,
    train_config: Any,
    classes: Sequence[str],
    step: int,
    images_seen: int,
    elapsed_s: float,
    nets: dict[str, nn.Module | torch.optim.Optimizer],
    rng: list,
    history: list[dict],
    grown: list[dict],
    device: torch.device,
    world_size: int,
    amp_bf16: bool,
) -> None:
    """Write a checkpoint atomically (:func:`aifashion.training.save_checkpoint`). ``nets``:
    ``G``, ``D``, ``G_ema``, ``optG``, ``optD``."""
    write_checkpoint(
        path,
        CKPT_FORMAT,
        model=model,
        model_config=asdict(model_config),
        train_config=asdict(train_config),
        classes=list(classes),
        step=step,
        images_seen=images_seen,
        elapsed_s=elapsed_s,
        **nets,
        rng=rng,
        history=history,
        grown=grown,
        device=str(device),
        world_size=world_size,
        amp_bf16=amp_bf16,
    )


def load_checkpoint(
    path: str | os.PathLike, map_location: Any = "cpu", model: str | None = None, config: Any = None
) -> dict:
    """Read a checkpoint; with ``model`` and ``config`` (the run's dataclass), only one it may
    resume from.

    Raises:
        ValueError: not an aifashion GAN checkpoint; or (resuming) a different model or model
            config. :class:`aifashion.gan.models.RetiredFieldError` (a ``ValueError``): a retired
            field set away from its old default, naming the commit that has its code.
    """
    ck = read_checkpoint(path, CKPT_FORMAT, map_location, what="GAN")
    if model is None:
        return ck
    if ck.get("model") != model or _saved_config(model, ck["model_config"]) != asdict(config):
        raise ValueError(f"{path} is from a different model or config; use another out_dir or resume=False")
    for key, old in RETIRED_TRAIN.items():
        value = ck.get("train_config", {}).get(key, old)
        if value != old:
            raise RetiredFieldError(
                f"{path} was trained with TrainConfig.{key}={value!r}, a retired experiment "
                f"(docs/experiments.md); its code is in commit {RETIRED_IN}"
            )
    return ck


def _saved_config(model: str, saved: dict) -> dict | None:
    """A checkpoint's model config as the current config class reads it (``asdict``): fields
    added since it was written take their defaults, retired fields at their old default are
    dropped; ``None`` when it names a field the class does not know (or fails its checks).
    A retired field set otherwise raises :class:`RetiredFieldError`."""
    try:
        return asdict(make_config(model, saved))
    except RetiredFieldError:
        raise
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------- compact state
PACK_FORMAT = "aifashion-gan-state/1"
_PACKED = ("G", "G_ema", "D")


def pack_checkpoint(path: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Write checkpoint ``path`` as a compact state in ``out_dir`` (``state.safetensors``: the
    float weights of ``G``, ``G_ema``, ``D`` in float16, prefixed ``"G."`` etc.; ``state.json``:
    format, model, configs, classes, counters, history, growth record). Both written atomically;
    returns ``out_dir``. The shipped tileable generator packs to about 2.6 MB."""
    from safetensors.torch import save_file

    from aifashion.atomic import atomic_save, atomic_write_text

    ck = load_checkpoint(path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {
        f"{part}.{k}": (v.half() if v.is_floating_point() else v).contiguous()
        for part in _PACKED
        for k, v in ck[part].items()
    }
    keys = ("model", "model_config", "train_config", "classes", "step", "images_seen", "elapsed_s", "history", "grown")
    meta = {"format": PACK_FORMAT, **{k: ck.get(k) for k in keys}}
    atomic_save(out / "state.safetensors", lambda p: save_file(tensors, str(p)))
    atomic_write_text(out / "state.json", json.dumps(meta) + "\n")
    return out


def unpack_checkpoint(state_dir: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Turn a compact state (:func:`pack_checkpoint`) back into checkpoint ``path``: weights
    as float32, no optimiser moments (``optG``/``optD`` None: Adam starts afresh), no random
    streams (derived from the step on resume). Raises ``ValueError`` for a folder that is not one."""
    from safetensors.torch import load_file

    folder = Path(state_dir)
    try:
        meta = json.loads((folder / "state.json").read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"{folder} is not a compact GAN state ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != PACK_FORMAT:
        raise ValueError(f"{folder} is not a compact GAN state (format {meta.get('format')!r})")
    try:
        tensors = load_file(str(folder / "state.safetensors"))
    except Exception as e:  # a missing or damaged file (safetensors raises its own error type)
        raise ValueError(f"{folder} is not a compact GAN state ({e})") from None
    nets: dict[str, dict] = {part: {} for part in _PACKED}
    for k, v in tensors.items():
        part, _, name = k.partition(".")
        nets[part][name] = v.float() if v.is_floating_point() else v
    from aifashion.training import save_checkpoint as write

    fields = {k: v for k, v in meta.items() if k != "format"}
    write(Path(path), CKPT_FORMAT, **fields, **nets, optG=None, optD=None, rng=[], device="cpu", world_size=1,
          amp_bf16=None, unpacked_from=str(folder))  # fmt: skip
    return Path(path)
