"""What ``TryOnApp`` loads: the generator, the segmenter (lazily, on the first photo) and the
sample photos offered in the picker, with their names. No widgets, no module state."""

from __future__ import annotations

import os
from pathlib import Path

#: sample-photo classes that are no place for a textile pattern
NOT_GARMENTS = frozenset({"shoes", "hat"})


def default_sample_folder(explicit: str | Path | None = None) -> Path | None:
    """The folder of sample garment photos: ``explicit``, else ``$AIFASHION_DASHBOARD_SAMPLES``
    (set by ``aifashion dashboard --samples``), else ``$AIFASHION_DATA/clothing-dataset-small``
    when it exists, else None (drawn flats only)."""
    explicit = explicit if explicit is not None else (os.environ.get("AIFASHION_DASHBOARD_SAMPLES") or None)
    if explicit is not None:
        p = Path(explicit).expanduser()
        if not p.is_dir():
            raise FileNotFoundError(f"sample folder {p} does not exist")
        return p
    from aifashion.paths import CLOTHING_SMALL, data_root

    try:
        root = data_root()
    except FileNotFoundError:
        return None
    if root is None or not (root / CLOTHING_SMALL).is_dir():
        return None
    return root / CLOTHING_SMALL


def sample_labels(photos: list[Path]) -> dict[Path, str]:
    """A readable name per sample photo: its class folder and its number in that class, in the
    order given (``clothing-dataset-small/<split>/t-shirt/<uuid>.jpg`` -> ``"t-shirt 3"``)."""
    counts: dict[str, int] = {}
    out: dict[Path, str] = {}
    for p in photos:
        cls = p.parent.name.replace("_", " ") or "photo"
        counts[cls] = counts.get(cls, 0) + 1
        out[p] = f"{cls} {counts[cls]}"
    return out


def load_generator_arg(generator, device: str):
    """A ``PatternGenerator`` as is; else a path (None: ``$AIFASHION_GENERATOR`` or the shipped
    weights) loaded on ``device``."""
    if generator is not None and hasattr(generator, "render"):
        return generator
    from aifashion.gan.generate import load_generator

    path = generator if generator is not None else (os.environ.get("AIFASHION_GENERATOR") or None)
    return load_generator(path, device=device)


def segmenter_factory(segmenter, weights, device: str):
    """A ``Segmenter`` or None as is; else a zero-argument loader of the named segmenter (weights
    None: ``$AIFASHION_SEGMENTER_WEIGHTS`` or the shipped ones), called on the first photo."""
    if segmenter is None or hasattr(segmenter, "predict"):
        return segmenter
    name = str(segmenter)
    weights = weights if weights is not None else (os.environ.get("AIFASHION_SEGMENTER_WEIGHTS") or None)

    def load():
        from aifashion.segment import load_segmenter

        return load_segmenter(name, weights=weights, device=device)

    return load


def round_robin(photos: list[Path], limit: int) -> list[Path]:
    """Up to ``limit`` photos, taking one per class folder in turn (sorted, deterministic)."""
    by_class: dict[str, list[Path]] = {}
    for p in sorted(photos):
        by_class.setdefault(p.parent.name, []).append(p)
    out: list[Path] = []
    i = 0
    while len(out) < limit and any(i < len(v) for v in by_class.values()):
        out += [v[i] for v in by_class.values() if i < len(v)][: limit - len(out)]
        i += 1
    return out


def pick_samples(samples, limit: int) -> list[Path]:
    """Up to ``limit`` sample photos (garment classes only, one class after another) from
    ``samples`` (a folder; None or True: :func:`default_sample_folder`; False: none)."""
    if samples is False:
        return []
    folder = default_sample_folder(samples if samples not in (None, True) else None)
    if folder is None:
        return []
    from aifashion.garments import sample_photos

    return round_robin([p for p in sample_photos(folder) if p.parent.name not in NOT_GARMENTS], limit)
