"""Every matplotlib figure of the package, built as bare ``matplotlib.figure.Figure`` objects
(no pyplot, no global figure state: a notebook displays them, a script calls ``fig.savefig``).

- data: :func:`image_grid`, :func:`class_count_figure`, :func:`sample_grid_figure`
- training: :func:`loss_figure`
- metrics: :func:`seam_figure`, :func:`metrics_figure`, :func:`time_to_quality_figure`
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
from PIL import Image

from aifashion.data.folders import PatternFolder, resize_center_crop
from aifashion.imageio import ImageError, image_to_array, open_image


def image_grid(
    images: Sequence[Image.Image | np.ndarray],
    ncols: int,
    *,
    titles: Sequence[str] | None = None,
    row_labels: Sequence[str] | None = None,
    cell_inches: float = 1.3,
    suptitle: str | None = None,
):
    """Lay images out in a grid.

    Args:
        images: PIL images or uint8 ``HxWx3`` arrays, row-major; the last row may be short.
        ncols: images per row.
        titles: one small title per image (optional).
        row_labels: one label per row, written left of the row (optional).
        cell_inches: size of one cell in inches.
        suptitle: a title over the whole figure.

    Returns:
        A ``matplotlib.figure.Figure`` (display it in a notebook, or ``fig.savefig(path)``).
    """
    from matplotlib.figure import Figure

    if ncols < 1:
        raise ValueError("ncols must be >= 1")
    n = max(1, len(images))
    nrows = (n + ncols - 1) // ncols
    fig = Figure(
        figsize=(ncols * cell_inches + (1.0 if row_labels else 0.0), nrows * cell_inches + 0.4), layout="constrained"
    )
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if i < len(images):
            ax.imshow(np.asarray(images[i]))
            if titles is not None:
                ax.set_title(titles[i], fontsize=7)
        if row_labels is not None and i % ncols == 0 and i // ncols < len(row_labels):
            ax.set_ylabel(row_labels[i // ncols], rotation=0, ha="right", va="center", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def class_count_figure(counts: dict[str, int], *, title: str = "images per class"):
    """A bar chart of ``{class: count}`` with the count written on each bar.

    Returns:
        A ``matplotlib.figure.Figure``.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.0 + 0.9 * max(1, len(counts)), 3.2), layout="constrained")
    ax = fig.subplots()
    names, values = list(counts), list(counts.values())
    bars = ax.bar(names, values, color="#4c72b0")
    ax.bar_label(bars, fontsize=8)
    ax.set_ylabel("images")
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelrotation=30)
    return fig


def sample_grid_figure(
    folder: PatternFolder, per_class: int = 6, *, seed: int = 0, size: int = 96, title: str | None = None
):
    """One row per class of ``per_class`` images drawn at random (``seed``), ``size`` px each.

    Returns:
        A ``matplotlib.figure.Figure``; rows are labelled with the class names.
    """
    rng = random.Random(seed)
    images, labels = [], []
    for label, name in enumerate(folder.classes):
        paths = [p for p, y in folder.items if y == label]
        picks = sorted(rng.sample(paths, min(per_class, len(paths))))
        row = []
        for p in picks:
            try:
                row.append(image_to_array(resize_center_crop(open_image(p), size)))
            except ImageError:
                continue
        row += [np.full((size, size, 3), 255, np.uint8)] * (per_class - len(row))
        images += row
        labels.append(f"{name}\n({folder.counts()[name]})")
    return image_grid(images, per_class, row_labels=labels, suptitle=title)


def loss_figure(history: Sequence[dict]):
    """Discriminator and generator loss per step.

    Args:
        history: rows with ``step``, ``loss_d`` and ``loss_g`` (``losses.csv`` of a GAN run).

    Returns:
        A ``matplotlib.figure.Figure``.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    steps = [h["step"] for h in history]
    ax.plot(steps, [h["loss_d"] for h in history], label="D loss", lw=1)
    ax.plot(steps, [h["loss_g"] for h in history], label="G loss", lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend()
    fig.tight_layout()
    return fig


def seam_figure(images: dict, reps: int = 2):
    """Each image tiled ``reps x reps`` side by side, titled with its seam score.

    Args:
        images: title -> a PIL image, uint8 ``HxWx3`` array or ``(3,H,W)`` tensor in [-1, 1].

    Returns:
        A matplotlib ``Figure`` (not shown; display or save it).
    """
    import torch
    from matplotlib.figure import Figure

    from aifashion.metrics.images import _to_hwc_float
    from aifashion.metrics.texture import seam_score

    fig = Figure(figsize=(3.2 * len(images), 3.6))
    for i, (title, img) in enumerate(images.items()):
        a = _to_hwc_float(img)
        if isinstance(img, torch.Tensor):
            a = (a + 1) * 127.5
        a = np.clip(a, 0, 255).astype(np.uint8)
        ax = fig.add_subplot(1, len(images), i + 1)
        ax.imshow(np.tile(a, (reps, reps, 1)), interpolation="nearest")
        h, w = a.shape[:2]
        for k in range(1, reps):  # mark where the copies meet
            ax.axhline(k * h - 0.5, color="w", lw=0.6, ls=":")
            ax.axvline(k * w - 0.5, color="w", lw=0.6, ls=":")
        ax.set_title(f"{title}\nseam score {seam_score(a):.2f}", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


def metrics_figure(reports: dict):
    """Bar charts comparing generators: class fidelity per class, KID, mean seam score, and —
    where the reports have them — the periodicity gap to real photos and the recall (coverage of
    the real crops, :func:`precision_recall`) per class.

    Args:
        reports: name -> a dict from :func:`evaluate_samples`.

    Returns:
        A matplotlib ``Figure``.
    """
    from matplotlib.figure import Figure

    names = list(reports)
    w1s = {n: reports[n].get("periodicity", {}).get("w1_to_real_per_class") for n in names}
    w1s = {n: v for n, v in w1s.items() if v}
    recalls = {
        n: {c: v["recall"] for c, v in reports[n].get("precision_recall", {}).get("per_class", {}).items()}
        for n in names
    }
    recalls = {n: v for n, v in recalls.items() if v}
    panels = 3 + bool(w1s) + bool(recalls)
    fig = Figure(figsize=(4 * panels, 3.6))

    def per_class_bars(ax, values: dict, title: str, ylim=None):
        classes = sorted({c for v in values.values() for c in v})
        width = 0.8 / max(1, len(values))
        for i, (n, v) in enumerate(values.items()):
            ax.bar(np.arange(len(classes)) + i * width, [v.get(c, 0) for c in classes], width, label=n)
        ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2, classes, rotation=30, fontsize=8)
        if ylim:
            ax.set_ylim(*ylim)
        ax.set_title(title, fontsize=10)
        if classes:
            ax.legend(fontsize=8)

    fid = {n: reports[n]["class_fidelity"]["per_class"] for n in names if reports[n].get("class_fidelity")}
    per_class_bars(fig.add_subplot(1, panels, 1), fid, "class fidelity (higher is better)", (0, 1))
    ax = fig.add_subplot(1, panels, 2)
    ax.bar(names, [reports[n]["kid"]["mean"] for n in names], yerr=[reports[n]["kid"]["std"] for n in names])
    ax.set_title("KID to real photos (lower is better)", fontsize=10)
    ax = fig.add_subplot(1, panels, 3)
    ax.bar(names, [reports[n]["seam_score"]["mean"] for n in names])
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_title("seam score (1 = seamless)", fontsize=10)
    if w1s:
        per_class_bars(fig.add_subplot(1, panels, 4), w1s, "periodicity gap to real, W1 (lower is better)")
    if recalls:
        per_class_bars(
            fig.add_subplot(1, panels, panels), recalls, "recall: real crops covered (higher is better)", (0, 1)
        )
    fig.tight_layout()
    return fig


def time_to_quality_figure(summary: dict):
    """KID against training minutes for each arm of a ``bench/time_to_quality.py`` run.

    Args:
        summary: the bench's JSON: ``{"minutes": M, "machine": str, "arms": {name: [row, ...]}}``;
            each row has ``minutes`` (training time, >= 0) and ``kid`` (the project classifier's
            KID, lower is better); the last row of an arm may add ``inception_kid``.

    Returns:
        A matplotlib ``Figure``: classifier KID per arm on a log axis (an estimate below 1e-3 —
        KID is unbiased, so it can be negative — is drawn at 1e-3), the final Inception KID (the
        independent evaluator) in the legend.
    """
    from matplotlib.figure import Figure

    arms = summary.get("arms") or {}
    if not arms:
        raise ValueError("summary has no arms; pass the JSON written by bench/time_to_quality.py")
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    for name, rows in arms.items():
        rows = [r for r in rows if r.get("kid") is not None]
        if not rows:
            continue
        label = name
        incep = rows[-1].get("inception_kid")
        if incep is not None:
            label += f" (Inception KID {incep:.3f} at {rows[-1]['minutes']:.1f} min)"
        ax.plot([r["minutes"] for r in rows], [max(r["kid"], 1e-3) for r in rows], "o-", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("training minutes (same machine, one arm after another)")
    ax.set_ylabel("classifier KID (lower is better)")
    ax.set_title(f"time to quality, {summary.get('minutes', '?')} min per arm", fontsize=10)
    ax.legend(fontsize=8)
    if summary.get("machine"):
        fig.text(0.01, 0.01, summary["machine"][:110], fontsize=6, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig
