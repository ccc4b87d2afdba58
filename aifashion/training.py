"""What every trainer shares: the EMA with its warm-up, precision and threads, the checkpoint file,
and the multi-process set-up.

Both trainers (:func:`aifashion.gan.train.train_gan`, :func:`aifashion.segment.train.train_segmenter`)
use one vocabulary for the knobs they share, the fields of their config dataclasses:
``steps``, ``batch_size`` (per process), ``lr``, ``ema_decay``, ``amp`` ('auto' = bf16 where the
device supports it, 'bf16', 'off'), ``channels_last`` ('auto' = on where amp is on, 'on', 'off'),
``threads`` (``torch.set_num_threads`` for the run; None leaves it), ``seed``, ``ckpt_every``,
``progress``.

A checkpoint is one ``torch.save`` dict tagged with its trainer's ``format`` string, written
atomically (a killed run leaves the previous file intact). Common keys: ``model_config`` and
``train_config`` (dicts), ``step``, ``elapsed_s``, ``history`` (list of dicts), the state dicts
of the trainer's networks and optimisers, its random streams, and where it ran (``hardware``,
``threads``).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import platform
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from aifashion.atomic import atomic_save
from aifashion.device import bf16_supported

__all__ = [
    "AMP_CHOICES",
    "check_amp",
    "ema_decay",
    "ema_update",
    "precision",
    "threads",
    "save_checkpoint",
    "read_checkpoint",
    "check_checkpoint",
    "dist_info",
    "distributed",
]

AMP_CHOICES = ("auto", "bf16", "off")
LAYOUT_CHOICES = ("auto", "on", "off")


def check_amp(amp: str, channels_last: str) -> None:
    """Raise ``ValueError`` unless ``amp`` is one of ``AMP_CHOICES`` and ``channels_last`` one of
    'auto', 'on', 'off' (a config's ``__post_init__`` calls it)."""
    if amp not in AMP_CHOICES:
        raise ValueError(f"amp must be one of {', '.join(AMP_CHOICES)}, not {amp!r}")
    if channels_last not in LAYOUT_CHOICES:
        raise ValueError(f"channels_last must be one of {', '.join(LAYOUT_CHOICES)}, not {channels_last!r}")


def precision(device: torch.device, amp: str, channels_last: str) -> tuple[bool, torch.memory_format]:
    """(bf16 autocast on?, the memory format of images and models) for a run on ``device``."""
    use_bf16 = amp == "bf16" or (amp == "auto" and bf16_supported(device))
    layout = channels_last == "on" or (channels_last == "auto" and use_bf16)
    return use_bf16, torch.channels_last if layout else torch.contiguous_format


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[None]:
    """``torch.set_num_threads(n)`` for the ``with`` block, restored after it (None: unchanged)."""
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def ema_decay(step: int, decay: float) -> float:
    """The EMA decay at ``step`` (0-based) with a warm-up: the average starts short and grows to
    ``1 / (1 - decay)`` steps (``min(decay, (1 + step) / (10 + step))``)."""
    return min(decay, (1 + step) / (10 + step))


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float, buffers: str = "copy") -> None:
    """``ema = decay * ema + (1 - decay) * model`` for the parameters (``lerp``); buffers are
    copied (``buffers='copy'``) or, floating ones, averaged the same way (``'average'``: batch-norm
    statistics that follow the averaged weights); integer buffers are always copied."""
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm.detach().to(pe.dtype), 1 - decay)
    for be, bm in zip(ema.buffers(), model.buffers()):
        if buffers == "average" and be.is_floating_point():
            be.lerp_(bm.detach().to(be.dtype), 1 - decay)
        else:
            be.copy_(bm)


def save_checkpoint(path: str | os.PathLike, format: str, **fields: Any) -> None:
    """Write ``{"format": format, **fields, "hardware", "threads"}`` to ``path`` atomically;
    modules and optimisers among ``fields`` are stored as their state dicts."""
    ck = {"format": format}
    for k, v in fields.items():
        ck[k] = v.state_dict() if isinstance(v, (nn.Module, torch.optim.Optimizer)) else v
    ck["hardware"] = f"{platform.machine()} {platform.processor() or ''}".strip()
    ck["threads"] = torch.get_num_threads()
    atomic_save(Path(path), lambda p: torch.save(ck, p))


def read_checkpoint(path: str | os.PathLike, format: str, map_location: Any = "cpu", what: str = "") -> dict:
    """The dict of a checkpoint written by :func:`save_checkpoint` with ``format``.

    Raises:
        ValueError: the file holds no such checkpoint (``what`` names it in the message).
    """
    try:
        ck = torch.load(path, map_location=map_location, weights_only=False)
    except (pickle.UnpicklingError, EOFError, RuntimeError) as e:  # not a torch file, or a damaged one
        raise ValueError(f"{path} is not an aifashion {what or format} checkpoint ({type(e).__name__})") from None
    return check_checkpoint(ck, format, path, what)


def check_checkpoint(ck: Any, format: str, path: str | os.PathLike = "", what: str = "") -> dict:
    """``ck`` when it is a checkpoint dict tagged ``format``, else ``ValueError`` naming ``path``."""
    if not isinstance(ck, dict) or ck.get("format") != format:
        raise ValueError(f"{path} is not an aifashion {what or format} checkpoint")
    return ck


def dist_info() -> tuple[int, int, int]:
    """(world size, rank, local rank) from ``torchrun``'s environment ((1, 0, 0) without it)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return world, int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))


@contextlib.contextmanager
def distributed(device: torch.device) -> Iterator[tuple[int, int, torch.device]]:
    """Join the ``torchrun`` process group when there is one (nccl on CUDA, each process its
    local GPU; gloo on CPU) and leave it on exit. Yields (world size, rank, this process's device).

    Leaving matters: a process that exits with the group still open can abort in the
    communication threads' teardown ("terminate called without an active exception")."""
    world, rank, local = dist_info()
    joined = False
    if world > 1:
        import torch.distributed as dist

        if device.type == "cuda":
            device = torch.device("cuda", local)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
            joined = True
    try:
        yield world, rank, device
        if joined:
            dist.barrier()  # nobody leaves while another still talks
    finally:
        if joined:
            dist.destroy_process_group()
