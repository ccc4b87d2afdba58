"""What a training run writes beside its checkpoint: the fixed-noise sample grids
(``samples/step_XXXXXXX.png``, ``samples/latest.png``: one row per class) and the loss log
(``losses.csv`` and the ``losses.png`` plot from :func:`aifashion.viz.loss_figure`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import torch
import torch.nn as nn

from aifashion.atomic import atomic_save, atomic_write_text

__all__ = ["fixed_inputs", "save_grid", "write_loss_log"]


def fixed_inputs(G: nn.Module, n_classes: int, cols: int, size: int, seed: int, device) -> tuple[dict, torch.Tensor]:
    """The fixed noise of the sample grids: one row per class, ``cols`` columns, seeded."""
    g = torch.Generator(device="cpu").manual_seed(seed + 7919)
    noise = G.make_noise(n_classes * cols, size, g, device="cpu")
    labels = torch.arange(n_classes).repeat_interleave(cols)
    return {k: v.to(device) for k, v in noise.items()}, labels.to(device)


def save_grid(images: torch.Tensor, path: Path, nrow: int) -> Path:
    """Save ``(B, 3, S, S)`` in [-1, 1] as one PNG grid (atomically)."""
    from torchvision.utils import make_grid

    grid = make_grid(images.float().cpu().clamp(-1, 1) * 0.5 + 0.5, nrow=nrow, padding=2, pad_value=1.0)
    arr = (grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype("uint8")
    from PIL import Image

    atomic_save(path, lambda p: Image.fromarray(arr).save(p, format="PNG"))
    return path


def write_loss_log(history: list[dict], out_dir: Path) -> None:
    """``losses.csv`` and ``losses.png`` (discriminator and generator loss per step)."""
    if not history:
        return
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(history[0]))
    w.writeheader()
    w.writerows(history)
    atomic_write_text(out_dir / "losses.csv", buf.getvalue())
    from aifashion.viz import loss_figure

    fig = loss_figure(history)
    atomic_save(out_dir / "losses.png", lambda p: fig.savefig(p, format="png", dpi=100))
