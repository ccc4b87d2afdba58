"""aifashion.gan.augment: DiffAugment transforms (shapes, gradients, seeds, what each one does)."""

from __future__ import annotations

import pytest
import torch

from aifashion.gan.augment import AUGMENTS, color, cutout, diff_augment, parse_policy, translation
from aifashion.gan.train import TrainConfig
from aifashion.registry import UnknownNameError


def _images(seed: int = 0, shape=(6, 3, 16, 16)) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_registry_and_policy_parsing():
    assert AUGMENTS.names() == ["color", "translation", "cutout"]
    assert parse_policy(" color, cutout ,") == ["color", "cutout"] and parse_policy("") == [] == parse_policy(None)
    with pytest.raises(UnknownNameError, match="valid names: color, translation, cutout"):
        parse_policy("color,blur")
    with pytest.raises(UnknownNameError, match="blur"):
        TrainConfig(out_dir="x", augment="blur")
    assert TrainConfig(out_dir="x", augment="translation, color").augment == "translation,color"


def test_empty_policy_is_the_identity_and_the_full_one_is_differentiable_and_seeded():
    x = _images()
    assert diff_augment(x, "") is x
    xr = x.clone().requires_grad_(True)
    out = diff_augment(xr, "color,translation,cutout", torch.Generator().manual_seed(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    out.square().sum().backward()
    assert xr.grad is not None and xr.grad.abs().sum() > 0
    again = diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(1))
    other = diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(2))
    assert torch.equal(out.detach(), again) and not torch.equal(again, other)
    # bf16 and channels_last inputs (the trainer's) keep their dtype
    xb = x.to(torch.bfloat16).contiguous(memory_format=torch.channels_last)
    assert diff_augment(xb, "color,translation,cutout", torch.Generator().manual_seed(1)).dtype == torch.bfloat16


def test_translation_is_an_integer_shift_with_zeros_shifted_in():
    x = _images(3) + 3.0  # strictly positive, so shifted-in zeros are recognisable
    out = translation(x, torch.Generator().manual_seed(5))
    H, W = x.shape[-2:]
    shifts = []
    for i in range(x.shape[0]):
        found = []
        for dy in range(-2, 3):  # 1/8 of 16 px = 2
            for dx in range(-2, 3):
                want = torch.zeros_like(x[i])
                ys, yd = slice(max(0, -dy), H - max(0, dy)), slice(max(0, dy), H - max(0, -dy))
                xs, xd = slice(max(0, -dx), W - max(0, dx)), slice(max(0, dx), W - max(0, -dx))
                want[:, yd, xd] = x[i][:, ys, xs]
                if torch.equal(out[i], want):
                    found.append((dy, dx))
        assert len(found) == 1, (i, found)
        shifts += found
    assert len(set(shifts)) > 1  # not the same shift for every image


def test_cutout_zeroes_one_square_and_keeps_the_rest():
    x = _images(4) + 3.0
    out = cutout(x, torch.Generator().manual_seed(6))
    for i in range(x.shape[0]):
        hole = (out[i] == 0).all(0)  # (H, W)
        assert torch.equal(out[i][:, ~hole], x[i][:, ~hole])
        rows, cols = hole.any(1).nonzero().flatten(), hole.any(0).nonzero().flatten()
        # one axis-aligned rectangle of at most 8x8 (half of 16), clipped at the border
        assert 0 < len(rows) <= 8 and 0 < len(cols) <= 8
        assert hole.sum() == len(rows) * len(cols)
        assert rows[-1] - rows[0] + 1 == len(rows) and cols[-1] - cols[0] + 1 == len(cols)


def test_color_is_a_per_image_affine_map_of_grey_images():
    """On grey images (equal channels) saturation has no effect: each output is a * x + b with
    the contrast factor a in [0.5, 1.5], and a, b differ between images."""
    grey = _images(7, (8, 1, 12, 12)).expand(8, 3, 12, 12).contiguous()
    out = color(grey, torch.Generator().manual_seed(8))
    coefs = []
    for i in range(8):
        xi, oi = grey[i, 0].flatten(), out[i, 0].flatten()
        A = torch.stack([xi, torch.ones_like(xi)], 1)
        sol = torch.linalg.lstsq(A, oi[:, None]).solution.flatten()
        assert torch.allclose(A @ sol, oi, atol=1e-5)
        assert torch.allclose(out[i, 0], out[i, 1]) and torch.allclose(out[i, 0], out[i, 2])
        coefs.append(sol)
    a = torch.stack(coefs)[:, 0]
    assert ((a >= 0.5 - 1e-4) & (a <= 1.5 + 1e-4)).all() and a.std() > 0.05
