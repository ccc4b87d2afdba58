"""Fixtures of the metrics tests: one torch thread, a real photo, a smooth periodic image."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small nets on a shared 2-core machine run many times faster on one torch thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_periodic_image(size: int = 96, seed: int = 0) -> np.ndarray:
    """A random smooth uint8 ``(size, size, 3)`` image, exactly periodic with period ``size``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    img = np.zeros((size, size, 3))
    for _ in range(60):
        fy, fx = rng.integers(-6, 7, size=2)
        phase = rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(3, 9, size=3)
        img += amp * np.cos(2 * np.pi * (fy * yy + fx * xx) / size + phase)[..., None]
    return np.clip(img + 128, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def periodic_image():
    """``periodic_image(size=96, seed=0)``: see :func:`make_periodic_image`."""
    return make_periodic_image


@pytest.fixture(scope="module")
def floral_photo(fingercamera_dir) -> Image.Image:
    path = sorted((fingercamera_dir / "floral").iterdir())[0]
    return Image.open(path).convert("RGB")
