"""aifashion.gan.models: shapes, the tutorial's init, exact periodicity of our generator, class mixing."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import asdict

import pytest
import torch

from aifashion.gan.models import MODELS, RETIRED, RETIRED_IN, RetiredFieldError, build_generator, build_model
from aifashion.gan.models.dcgan import DCGANConfig
from aifashion.gan.models.tileable import TileableConfig, plane_waves, zigzag_waves
from aifashion.metrics import seam_score
from aifashion.paths import WEIGHTS_DIR
from aifashion.registry import UnknownNameError

SMALL = dict(ngf=8, max_ch=32, ndf=8, nz_local=8, nz_global=8, n_waves=4, emb_dim=8)


def test_registry_lists_the_models_and_rejects_unknown_names():
    assert MODELS.names() == ["dcgan", "tileable", "tileable-projected"]
    with pytest.raises(UnknownNameError, match="dcgan, tileable, tileable-projected"):
        build_model("stylegan")
    with pytest.raises(ValueError, match="unknown TileableConfig field"):
        build_model("tileable", ngf_typo=3)


@pytest.mark.parametrize("size", [64, 128, 256])
def test_dcgan_shapes_per_image_size(size):
    g = torch.Generator().manual_seed(0)
    pair = build_model("dcgan", image_size=size)
    G, D = pair.generator, pair.discriminator
    z = G.make_noise(2, size, g)
    assert z["z"].shape == (2, 100, 1, 1)
    x = G(**z)
    assert x.shape == (2, 3, size, size)
    assert x.min() >= -1 and x.max() <= 1
    p = D(x)
    assert p.shape == (2,) and ((p > 0) & (p < 1)).all()
    # stride-2 layers: 4 for 64 (the tutorial), one more per doubling
    n_convt = sum(isinstance(m, torch.nn.ConvTranspose2d) for m in G.modules())
    assert n_convt == int(math.log2(size)) - 1


def test_dcgan_is_the_tutorial_at_64():
    cfg = DCGANConfig()
    assert (cfg.nz, cfg.ngf, cfg.ndf, cfg.image_size) == (100, 64, 64, 64)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        pair = build_model("dcgan")
    G, D = pair.generator, pair.discriminator
    convs = [m for m in G.main if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(100, 512), (512, 256), (256, 128), (128, 64), (64, 3)]
    assert isinstance(G.main[-1], torch.nn.Tanh)
    assert isinstance(D.main[1], torch.nn.LeakyReLU) and D.main[1].negative_slope == 0.2
    w = torch.cat([c.weight.detach().flatten() for c in convs])
    assert abs(float(w.std()) - 0.02) < 0.002 and abs(float(w.mean())) < 0.001
    bn = [m for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert abs(float(torch.cat([b.weight.detach() for b in bn]).mean()) - 1.0) < 0.01
    # tutorial: ~3.58 M generator and ~2.77 M discriminator parameters
    assert sum(p.numel() for p in G.parameters()) == 3_576_704
    assert sum(p.numel() for p in D.parameters()) == 2_765_568
    with pytest.raises(ValueError, match="native size 64"):
        G.make_noise(1, 128)


@pytest.mark.parametrize("hw", [(1, 1), (2, 3), (4, 4), (8, 8)])
def test_tileable_renders_any_grid(hw):
    h, w = hw
    pair = build_model("tileable", **SMALL)
    G = pair.generator.eval()
    z = G.sample_latent(2, h, w, torch.Generator().manual_seed(1))
    x = G(**z, y=torch.tensor([0, 5]))
    assert x.shape == (2, 3, 16 * h, 16 * w)
    assert x.min() >= -1 and x.max() <= 1


@pytest.mark.parametrize("size", [32, 64, 128])
def test_projection_discriminator_any_multiple_of_16(size):
    D = build_model("tileable", **SMALL).discriminator
    out = D(torch.rand(3, 3, size, size) * 2 - 1, torch.tensor([0, 1, 2]))
    assert out.shape == (3,) and torch.isfinite(out).all()


def test_tileable_is_exactly_periodic_on_its_canvas():
    """Rolling the latent grid by one cell rolls the image by one cell (a torus), and the
    canvas tiles: its seam score is about that of any neighbouring pixels."""
    torch.manual_seed(0)
    G = build_model("tileable").generator.eval()  # the shipped architecture
    g = torch.Generator().manual_seed(3)
    z = G.sample_latent(1, 4, 6, g)
    y = torch.tensor([4])
    with torch.no_grad():
        x = G(**z, y=y)
        # roll the local noise by (1, 2) cells and move each wave's phase by the same shift
        f = G.wave_vectors(z["z_global"], G.class_weights(y), 4, 6)  # (1, K, 2) cycles per cell
        shifted = dict(z)
        shifted["z_local"] = torch.roll(z["z_local"], shifts=(1, 2), dims=(2, 3))
        shifted["phase"] = z["phase"] - 2 * math.pi * (f[..., 0] * 2 + f[..., 1] * 1)
        b = G(**shifted, y=y)
    assert torch.allclose(torch.roll(x, shifts=(16, 32), dims=(2, 3)), b, atol=1e-4)
    # waves: snapped to whole periods on the canvas, so the generator output with waves wraps
    # without a seam, like the waves themselves
    assert 0.5 < seam_score(x[0]) < 1.5


def test_waves_are_snapped_to_whole_periods():
    G = build_model("tileable").generator
    zg = torch.randn(3, G.cfg.nz_global)
    cw = torch.eye(G.cfg.n_classes)[:3]
    for h, w in [(4, 4), (3, 5), (16, 16)]:
        f = G.wave_vectors(zg, cw, h, w)
        assert f.shape == (3, G.cfg.n_waves, 2)
        cycles = f * torch.tensor([w, h])
        assert torch.allclose(cycles, cycles.round(), atol=1e-4)
        assert f.abs().max() <= G.cfg.max_freq + 1e-6
        waves = plane_waves(f, torch.rand(3, G.cfg.n_waves) * 6.28, h, w, 4)  # (3, K, 4h, 4w)
        # exactly periodic: the row/column after the last one would equal the first
        nxt = plane_waves(f, torch.zeros(3, G.cfg.n_waves), h + 1, w + 1, 4)
        first = plane_waves(f, torch.zeros(3, G.cfg.n_waves), h, w, 4)
        assert torch.allclose(nxt[..., -4:, : 4 * w], first[..., :4, :], atol=1e-4)
        assert waves.abs().max() <= 1
    # straight-through: gradients reach the MLP although rounding has none
    f = G.wave_vectors(zg, cw, 4, 4)
    f.sum().backward()
    assert G.wave_mlp[0].weight.grad is not None and G.wave_mlp[0].weight.grad.abs().sum() > 0


def test_zigzag_waves_fold_stripes_and_tile():
    f = torch.tensor([[[0.25, 0.0], [0.5, 0.25]]])  # (1, 2, 2) cycles per cell: whole periods on 4 x 4 cells
    g = torch.tensor([[[0.0, 0.5], [0.25, -0.5]]])
    phi, psi = torch.tensor([[0.3, 1.0]]), torch.tensor([[2.0, 0.1]])
    flat = zigzag_waves(f, g, torch.zeros(1, 2), phi, psi, 4, 4, 8)
    assert torch.allclose(flat, plane_waves(f, phi, 4, 4, 8), atol=1e-5)  # no fold: plane waves
    z = zigzag_waves(f, g, torch.tensor([[0.5, 1.0]]), phi, psi, 4, 4, 8)
    assert z.shape == (1, 2, 32, 32) and z.abs().max() <= 1
    # exactly periodic on the canvas: a 2x larger canvas is the same canvas tiled
    big = zigzag_waves(f, g, torch.tensor([[0.5, 1.0]]), phi, psi, 8, 8, 8)
    assert torch.allclose(big, z.repeat(1, 1, 2, 2), atol=1e-4)
    # the formula, written out for one wave: stripes along x (period 4 cells = 32 px) folded by
    # a triangle wave along y (period 2 cells = 16 px) of amplitude a = 0.5 stripe periods
    zz = zigzag_waves(f[:, :1], g[:, :1], torch.tensor([[0.5]]), torch.zeros(1, 1), torch.zeros(1, 1), 4, 4, 8)[0, 0]
    pos = (torch.arange(32) + 0.5) / 8  # pixel centres in cells
    t = 0.5 * pos  # g . x along y
    tri = 2 * (t - t.round()).abs()  # 0 at the fold's ridges, 1 half a fold period away
    assert torch.allclose(zz, torch.sin(2 * math.pi * (0.25 * pos[None, :] + 0.5 * tri[:, None])), atol=1e-5)
    assert torch.allclose(zz[0], zz[15], atol=1e-5) and not torch.allclose(zz[0], zz[8], atol=0.1)  # a zigzag


def test_tileable_with_zigzag_waves_is_periodic_and_learns_them():
    torch.manual_seed(0)
    G = build_model("tileable", **SMALL, n_zigzags=3).generator.eval()
    assert G.cfg.n_phases == 4 + 2 * 3 and G.cfg.n_periodic == 7
    assert not hasattr(build_model("tileable", **SMALL).generator, "zigzag_mlp")  # off by default (old exports load)
    z = G.sample_latent(2, 4, 4, torch.Generator().manual_seed(0))
    assert z["phase"].shape == (2, 10)
    y = torch.tensor([5, 1])
    with torch.no_grad():
        f, g, a = G.zigzag_params(z["z_global"], G.class_weights(y), 4, 4)
        cycles = torch.cat([f, g], -1) * 4
        assert torch.allclose(cycles, cycles.round(), atol=1e-4) and ((a > 0) & (a < 2)).all()
        x = G(**z, y=y)
        # a torus: roll the local noise by (1, 2) cells and move every phase by the same shift
        fw = G.wave_vectors(z["z_global"], G.class_weights(y), 4, 4)
        d = torch.tensor([2.0, 1.0])  # (x, y) cells
        shifted = dict(z, z_local=torch.roll(z["z_local"], shifts=(1, 2), dims=(2, 3)))
        shifted["phase"] = z["phase"] - 2 * math.pi * torch.cat([fw @ d, f @ d, g @ d], 1)
        b = G(**shifted, y=y)
    assert x.shape == (2, 3, 64, 64)
    assert torch.allclose(torch.roll(x, shifts=(16, 32), dims=(2, 3)), b, atol=1e-4)
    assert 0.5 < seam_score(x[0]) < 1.5
    G.train()
    G(**z, y=y).square().mean().backward()
    assert G.zigzag_mlp[0].weight.grad.abs().sum() > 0  # straight-through: the MLP learns


def test_class_weights_equal_labels_and_mix_in_between():
    torch.manual_seed(0)
    G = build_model("tileable", **SMALL).generator.eval()
    z = G.sample_latent(1, 2, 2, torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = G(**z, y=torch.tensor([1]))
        a_w = G(**z, y=torch.eye(6)[1:2])
        b = G(**z, y=torch.tensor([4]))
        m = G(**z, y=(0.7 * torch.eye(6)[1] + 0.3 * torch.eye(6)[4])[None])
    assert torch.allclose(a, a_w, atol=1e-6)
    assert not torch.allclose(a, b)
    assert not torch.allclose(m, a) and not torch.allclose(m, b)


def test_configs_rebuild_generators():
    pair = build_model("tileable", **SMALL)
    G2 = build_generator("tileable", pair.config.__dict__)
    G2.load_state_dict(pair.generator.state_dict())  # same architecture
    assert isinstance(pair.config, TileableConfig) and pair.config.cell == 16
    with pytest.raises(UnknownNameError):
        build_generator("nope", {})


def test_retired_fields_load_at_their_old_default_and_are_refused_otherwise(tmp_path):
    """The shipped generator.json predates the retirement of wave_gate (it holds ``false``): it
    still loads. A retired field set otherwise is refused in one line naming the commit that
    has its code (docs/experiments.md)."""
    from aifashion.gan.generate import load_generator

    assert set(RETIRED["tileable"]) == {"wave_gate", "zigzag_max_freq", "paint_waves"}
    meta = json.loads((WEIGHTS_DIR / "generator.json").read_text())
    assert meta["config"]["wave_gate"] is False
    G = build_generator("tileable", meta["config"])
    assert "wave_gate" not in asdict(G.cfg) and not hasattr(G, "wave_amp")
    assert G.to_rgb.in_channels == 16  # the RGB layer gets no waves (no paint_waves)
    for key, value in (("wave_gate", True), ("paint_waves", True), ("zigzag_max_freq", 1.0)):
        assert build_model("tileable", **SMALL, **{key: RETIRED["tileable"][key]}).config == TileableConfig(**SMALL)
        with pytest.raises(RetiredFieldError, match=f"TileableConfig.{key}={value}.*retired.*{RETIRED_IN}") as err:
            build_generator("tileable", {**meta["config"], key: value})
        assert "\n" not in str(err.value) and "docs/experiments.md" in str(err.value)
    # through load_generator: the shipped export loads; a copy that asks for the gate is refused
    assert load_generator(bf16=False).config == G.cfg
    shutil.copy(WEIGHTS_DIR / "generator.safetensors", tmp_path / "g.safetensors")
    (tmp_path / "g.json").write_text(json.dumps({**meta, "config": {**meta["config"], "wave_gate": True}}))
    with pytest.raises(RetiredFieldError, match=f"wave_gate=True.*{RETIRED_IN}"):
        load_generator(tmp_path / "g.safetensors")
