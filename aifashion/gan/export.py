"""The generator file format: ``generator.safetensors`` + ``generator.json`` (``EXPORT_FORMAT``).

- :func:`export_generator` turns a training checkpoint into that pair (EMA weights, BatchNorm
  statistics re-estimated, the training record in the JSON).
- :func:`save_generator` writes any generator ``state_dict`` in the format;
  :func:`aifashion.gan.generate.load_generator` reads it. Nothing here imports the training loop.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from aifashion.atomic import atomic_save, atomic_write_text
from aifashion.gan.checkpoint import load_checkpoint

EXPORT_FORMAT = "aifashion-generator/1"


def recompute_bn_stats(
    G: nn.Module, n_classes: int, size: int, batches: int = 32, batch: int = 64, seed: int = 0
) -> int:
    """ "Standing statistics": re-estimate every BatchNorm's running mean/var for these weights.

    The EMA generator's weights are an average, but its BatchNorm statistics are copies of the
    raw generator's; rendering (eval mode) uses them. This runs ``batches`` random batches
    (class-balanced labels, canvas ``size``) in train mode with a cumulative average
    (``momentum=None``) and leaves ``G`` in eval mode. Returns the number of BatchNorm layers.
    """
    bns = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return 0
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    g = torch.Generator().manual_seed(seed)
    dev = next(G.parameters()).device
    G.train()
    for _ in range(batches):
        noise = G.make_noise(batch, size, g, device="cpu")
        y = torch.randint(0, n_classes, (batch,), generator=g)
        G(**{k: v.to(dev) for k, v in noise.items()}, y=y.to(dev))
    for m, mom in zip(bns, saved):
        m.momentum = mom
    G.eval()
    return len(bns)


def export_generator(
    checkpoint: str | os.PathLike,
    out_path: str | os.PathLike,
    dtype: str = "float32",
    ema: bool = True,
    extra: dict | None = None,
    bn_batches: int = 8,
    critic: bool = False,
    candidates: int = 1,
    colour_gains: Sequence[float] | None = None,
) -> Path:
    """Write a checkpoint's (EMA) generator as ``out_path`` (safetensors) + ``out_path.json``.

    Args:
        checkpoint: a ``checkpoint.pt`` written by :func:`aifashion.gan.train.train_gan`.
        out_path: e.g. ``aifashion/weights/generator.safetensors``; the JSON config goes beside
            it with the suffix ``.json``.
        dtype: ``"float32"`` or ``"float16"`` for floating-point tensors (buffers too).
        ema: export the EMA weights (default) or the raw generator.
        extra: more JSON fields (e.g. measured metrics) under ``"extra"``.
        bn_batches: re-estimate the BatchNorm statistics of the exported weights over this many
            random batches (:func:`recompute_bn_stats`); 0 keeps the checkpoint's.
        critic: also write the discriminator (keys ``critic.*``), which lets the generator choose
            among candidates (:meth:`aifashion.gan.generate.PatternGenerator.pick_seeds`);
            the tileable model only.
        candidates: the default number of candidates recorded in the JSON (with ``critic``).
        colour_gains: per-channel gains every render is multiplied by (e.g. the training set's
            grey world, :func:`aifashion.data.colour.folder_gains`); None: none.

    Returns:
        The safetensors path. The JSON holds ``format``, ``model``, ``config`` (``asdict``),
        ``classes`` and ``training`` (the model name it was trained as, e.g. ``tileable-projected``,
        steps, images seen, seconds, device, data, train config).
    """
    if dtype not in ("float32", "float16"):
        raise ValueError(f"dtype must be 'float32' or 'float16', not {dtype!r}")
    ckpt_path = Path(checkpoint)
    if not ckpt_path.is_file():
        raise FileNotFoundError(f"checkpoint {ckpt_path} does not exist")
    ck = load_checkpoint(ckpt_path)
    from aifashion.gan.models import build_generator, generator_spec

    # the generator's name and config (retired fields at their defaults dropped); a generator
    # trained against the projected discriminator is a plain "tileable" file
    model, config = generator_spec(ck["model"], ck["model_config"])
    state = ck["G_ema" if ema else "G"]
    if bn_batches > 0:
        G = build_generator(model, config)
        G.load_state_dict(state)
        size = ck["train_config"]["image_size"]
        recompute_bn_stats(G, len(ck["classes"]), size, batches=bn_batches, seed=ck["train_config"]["seed"])
        state = G.state_dict()
    info = {
        "weights": "ema" if ema else "raw",
        "bn_stats": f"recomputed over {bn_batches} random batches" if bn_batches > 0 else "from the checkpoint",
        "training": {
            "model": ck["model"],
            "steps": ck["step"],
            "images_seen": ck["images_seen"],
            "elapsed_s": round(ck["elapsed_s"], 1),
            "device": ck.get("device"),
            "world_size": ck.get("world_size"),
            "amp_bf16": ck.get("amp_bf16"),
            "threads": ck.get("threads", ck.get("num_threads")),
            "hardware": ck.get("hardware"),
            "train_config": ck["train_config"],
        },
    }
    if extra:
        info["extra"] = extra
    if critic:
        if ck["model"] != model:
            raise ValueError(f"a {ck['model']} checkpoint's discriminator cannot be exported as a critic")
        state = {**state, **{f"critic.{k}": v for k, v in ck["D"].items()}}
        info["critic"] = "the training discriminator: best of `candidates` latents by its logit"
        info["candidates"] = int(candidates)
    elif candidates != 1:
        raise ValueError("candidates > 1 needs critic=True")
    if colour_gains is not None:
        info["colour_gains"] = _gains(colour_gains)
    return save_generator(state, model, config, ck["classes"], out_path, dtype, **info)


def _gains(gains: Sequence[float]) -> list[float]:
    g = [round(float(v), 4) for v in gains]
    if len(g) != 3 or not all(0.25 <= v <= 4 for v in g):
        raise ValueError(f"colour_gains must be 3 gains in [0.25, 4], not {list(gains)}")
    return g


def set_colour_gains(path: str | os.PathLike, gains: Sequence[float] | None) -> Path:
    """Write ``gains`` (None: remove them) into an existing export (its JSON and the safetensors'
    metadata; the weights are rewritten unchanged). Returns the safetensors path."""
    from safetensors.torch import load_file

    path = Path(path)
    meta = json.loads(path.with_suffix(".json").read_text())
    if meta.get("format") != EXPORT_FORMAT:
        raise ValueError(f"{path} is not an aifashion generator export")
    info = {k: v for k, v in meta.items() if k not in ("format", "model", "config", "classes", "dtype", "colour_gains")}
    if gains is not None:
        info["colour_gains"] = _gains(gains)
    state = load_file(str(path))
    return save_generator(state, meta["model"], meta["config"], meta["classes"], path, meta["dtype"], **info)


def save_generator(
    state: dict[str, torch.Tensor],
    model: str,
    config: dict,
    classes: Sequence[str],
    out_path: str | os.PathLike,
    dtype: str = "float32",
    **info: Any,
) -> Path:
    """Write a generator ``state_dict`` in the export format that :func:`generate.load_generator` reads.

    ``out_path`` (safetensors, floats cast to ``dtype`` "float32"/"float16", the JSON config also in
    its metadata) and ``out_path.json`` (``format``, ``model``, ``config``, ``classes``, ``dtype``
    and any ``info`` fields), both written atomically. Returns the safetensors path.
    """
    from safetensors.torch import save_file

    tdt = torch.float16 if dtype == "float16" else torch.float32
    tensors = {k: (v.to(tdt) if v.is_floating_point() else v).contiguous() for k, v in state.items()}
    out_path = Path(out_path)
    meta = {"format": EXPORT_FORMAT, "model": model, "config": config, "classes": list(classes), "dtype": dtype, **info}
    atomic_save(out_path, lambda p: save_file(tensors, str(p), metadata={"aifashion": json.dumps(meta)}))
    atomic_write_text(out_path.with_suffix(".json"), json.dumps(meta, indent=2) + "\n")
    return out_path
