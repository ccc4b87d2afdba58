"""Real networks for the dashboard tests: the shipped weights when present, otherwise a
randomly initialised model of the shipped architecture exported to a temporary file (the real
loading code runs either way; nothing is mocked)."""

from __future__ import annotations

from pathlib import Path

from aifashion.paths import WEIGHTS_DIR

SHIPPED_GENERATOR = WEIGHTS_DIR / "generator.safetensors"
SHIPPED_SEGMENTER = WEIGHTS_DIR / "segmenter.safetensors"


def generator_file(tmp: Path) -> Path | None:
    """The generator file the tests use: None means the shipped weights (present); otherwise a
    random tileable generator exported into ``tmp`` with the package's own exporter."""
    if SHIPPED_GENERATOR.is_file():
        return None
    from dataclasses import asdict

    import torch

    from aifashion.gan.export import save_generator
    from aifashion.gan.models.tileable import TileableConfig, TileableGenerator

    torch.manual_seed(0)
    cfg = TileableConfig()
    classes = ["floral", "geometric", "paisley", "plaid", "polka-dot", "striped"][: cfg.n_classes]
    return save_generator(
        TileableGenerator(cfg).state_dict(),
        "tileable",
        asdict(cfg),
        classes,
        tmp / "generator.safetensors",
        weights="random-init",
    )


def segmenter_file(tmp: Path) -> Path | None:
    """None when the shipped segmenter weights exist; else a random-init export in ``tmp``."""
    from aifashion.segment.predict import SHIPPED_CCP

    if Path(SHIPPED_CCP).is_file():
        return None
    import torch

    from aifashion.segment import export_segmenter
    from aifashion.segment.model import SegmenterConfig, build_segmenter

    torch.manual_seed(0)
    cfg = SegmenterConfig()
    return export_segmenter(build_segmenter(cfg), cfg, tmp / "segmenter.safetensors")
