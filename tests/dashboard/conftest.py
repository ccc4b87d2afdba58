"""The dashboard tests' networks and app: real models (the shipped weights, or random-init exports
of the shipped architectures where the weights are absent), loaded once per test run."""

from __future__ import annotations

import pytest
from dashboard_models import generator_file, segmenter_file


@pytest.fixture(scope="session")
def generator(tmp_path_factory):
    from aifashion.gan.generate import load_generator

    return load_generator(generator_file(tmp_path_factory.mktemp("gen")))


@pytest.fixture(scope="session")
def segmenter(tmp_path_factory):
    """The 3-class CCP segmenter (garment, person, background): no garment parts."""
    from aifashion.segment import load_segmenter

    return load_segmenter("aifashion-ccp", weights=segmenter_file(tmp_path_factory.mktemp("seg")))


@pytest.fixture
def app(generator, segmenter, monkeypatch):
    """A fresh dashboard on the drawn garments only (no sample photos), seed 3."""
    pytest.importorskip("ipywidgets")
    from aifashion.dashboard import TryOnApp

    monkeypatch.delenv("AIFASHION_DASHBOARD_SAMPLES", raising=False)
    return TryOnApp(generator, segmenter, samples=False, seed=3)
