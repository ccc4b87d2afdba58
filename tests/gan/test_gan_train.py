"""aifashion.gan.train, .checkpoint, .grow: tiny real training runs, exact resume after a kill, config
compatibility of old checkpoints, growing zigzag waves, export/load round trip."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from aifashion.cli import main as cli_main
from aifashion.gan.export import export_generator
from aifashion.gan.grow import add_zigzag_waves
from aifashion.gan.models import RETIRED_IN, RetiredFieldError
from aifashion.gan.train import TrainConfig, train_gan

TINY_MODEL = {"ngf": 8, "max_ch": 32, "ndf": 8, "nz_local": 8, "nz_global": 8, "n_waves": 4, "emb_dim": 8}


def tiny_cfg(data_dir: Path, out_dir: Path, **kw) -> TrainConfig:
    base = dict(
        out_dir=str(out_dir),
        data_dir=str(data_dir),
        model="tileable",
        model_config=dict(TINY_MODEL),
        max_per_class=2,
        data_size=64,
        image_size=32,
        batch_size=4,
        steps=4,
        ckpt_every=2,
        sample_every=2,
        log_every=1,
        threads=1,
        progress=False,
        loss="hinge",
        seed=3,
    )
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture
def one_thread():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_tiny_tileable_run_on_real_data_writes_everything(fingercamera_dir, tmp_path, one_thread):
    res = train_gan(tiny_cfg(fingercamera_dir, tmp_path))
    assert res.step == 4 and res.images_seen == 16
    for name in (
        "checkpoint.pt",
        "losses.csv",
        "losses.png",
        "config.json",
        "samples/latest.png",
        "samples/step_0000002.png",
        "samples/step_0000004.png",
    ):
        assert (tmp_path / name).is_file(), name
    rows = (tmp_path / "losses.csv").read_text().splitlines()
    assert rows[0].startswith("step,loss_d,loss_g") and len(rows) == 5
    assert all(torch.isfinite(torch.tensor([h["loss_d"], h["loss_g"]])).all() for h in res.history)
    ck = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert ck["step"] == 4 and ck["model"] == "tileable" and ck["model_config"]["n_classes"] == 6
    assert set(ck) >= {"G", "D", "G_ema", "optG", "optD", "rng", "history", "train_config"}
    # the sample grid: one row per class, 8 columns of 32 px (+2 px padding)
    from PIL import Image

    grid = Image.open(tmp_path / "samples" / "latest.png")
    assert grid.size == (8 * 34 + 2, 6 * 34 + 2)


def test_dcgan_baseline_trains_with_bce(fingercamera_dir, tmp_path, one_thread):
    cfg = tiny_cfg(
        fingercamera_dir, tmp_path, model="dcgan", model_config={"ngf": 8, "ndf": 8}, image_size=64, loss="bce", steps=2
    )
    res = train_gan(cfg)
    assert res.step == 2
    before = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert before["model_config"]["ngf"] == 8 and before["model"] == "dcgan"


def test_bad_config_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="loss"):
        TrainConfig(out_dir=str(tmp_path), loss="wasserstein")
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(out_dir=str(tmp_path), steps=0)


def test_cli_unknown_model_exits_2(tmp_path, capsys):
    rc = cli_main(["train-gan", "--out-dir", str(tmp_path), "--model", "vae", "--dry-run"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "dcgan, tileable" in err and len(err.strip().splitlines()) == 1


def test_cli_retired_model_config_exits_2_naming_the_commit(fingercamera_dir, tmp_path, capsys, one_thread):
    common = ["train-gan", "--data-dir", str(fingercamera_dir), "--dry-run", "--no-progress", "--threads", "1"]
    rc = cli_main(common + ["--out-dir", str(tmp_path / "bad"), "--model-config", "wave_gate=true"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "wave_gate=True" in err and RETIRED_IN in err and len(err.strip().splitlines()) == 1
    # the retired field at its old default is accepted (old scripts) and dropped
    assert cli_main(common + ["--out-dir", str(tmp_path / "ok"), "--model-config", "wave_gate=false"]) == 0
    assert "wave_gate" not in torch.load(tmp_path / "ok" / "checkpoint.pt", weights_only=False)["model_config"]


def _state(ck: dict) -> dict:
    out = {}
    for part in ("G", "D", "G_ema"):
        for k, v in ck[part].items():
            out[f"{part}.{k}"] = v
    return out


def test_killed_run_resumes_to_the_same_result(fingercamera_dir, tmp_path, one_thread):
    """Kill a training process (SIGKILL) after a checkpoint, resume it, and compare with a run
    that was never interrupted: identical weights, EMA, optimiser step and loss history."""
    steps = 30
    killed = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "aifashion.cli",
        "train-gan",
        "--out-dir",
        str(killed),
        "--data-dir",
        str(fingercamera_dir),
        "--steps",
        "100000",
        "--ckpt-every",
        "5",
        "--sample-every",
        "1000",
        "--batch",
        "4",
        "--image-size",
        "32",
        "--data-size",
        "64",
        "--threads",
        "1",
        "--no-progress",
        "--loss",
        "hinge",
        "--seed",
        "3",
        "--max-per-class",
        "4",
    ] + [a for k, v in TINY_MODEL.items() for a in ("--model-config", f"{k}={v}")]
    env = dict(os.environ)
    proc = subprocess.Popen(cmd + ["--no-resume"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ckpt = killed / "checkpoint.pt"
    deadline = time.time() + 120
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ckpt.exists(), proc.stderr.read().decode()[-2000:]
    at_kill = torch.load(ckpt, weights_only=False)["step"]
    assert 0 < at_kill < steps  # really interrupted, before the end of the run compared below

    cfg = dict(
        model_config=dict(TINY_MODEL), max_per_class=4, ckpt_every=5, sample_every=1000, steps=steps, log_every=10
    )
    resumed = train_gan(tiny_cfg(fingercamera_dir, killed, **cfg))
    assert resumed.resumed_from == at_kill and resumed.step == steps
    straight = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "straight", **cfg))
    assert straight.resumed_from == 0 and straight.step == steps
    a = torch.load(killed / "checkpoint.pt", weights_only=False)
    b = torch.load(tmp_path / "straight" / "checkpoint.pt", weights_only=False)
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    assert a["optG"]["state"][0]["step"] == b["optG"]["state"][0]["step"] == steps
    strip = lambda h: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in h]  # noqa: E731
    assert strip(a["history"]) == strip(b["history"])
    # and different from a run with another seed: the comparison can fail
    other = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "other", **{**cfg, "steps": 5, "seed": 4}))
    c = torch.load(other.checkpoint, weights_only=False)
    assert not torch.equal(c["G"]["to_rgb.weight"], b["G"]["to_rgb.weight"])


def test_resume_accepts_a_checkpoint_from_before_a_new_config_field(fingercamera_dir, tmp_path, one_thread):
    """A checkpoint written before a config field existed (here: n_zigzags) resumes, since the
    field's default rebuilds the same model; a checkpoint whose config differs, or names a field
    the class does not know, is refused."""
    cfg = tiny_cfg(fingercamera_dir, tmp_path, steps=2)
    train_gan(cfg)
    path = tmp_path / "checkpoint.pt"
    ck = torch.load(path, weights_only=False)
    assert ck["model_config"].pop("n_zigzags") == 0
    torch.save(ck, path)
    res = train_gan(tiny_cfg(fingercamera_dir, tmp_path, steps=3))
    assert res.resumed_from == 2 and res.step == 3
    for change in ({"ngf": 4}, {"no_such_field": 1}):
        ck = torch.load(path, weights_only=False)
        ck["model_config"].update(change)
        torch.save(ck, path)
        with pytest.raises(ValueError, match="different model or config"):
            train_gan(tiny_cfg(fingercamera_dir, tmp_path, steps=4))


def test_resume_drops_retired_fields_at_their_old_default_and_refuses_others(fingercamera_dir, tmp_path, one_thread):
    """Checkpoints from before the retirement hold the retired fields: at their old defaults
    (what every shipped run used) they resume; set otherwise, a one-line error names the commit
    that has their code."""
    train_gan(tiny_cfg(fingercamera_dir, tmp_path, steps=2))
    path = tmp_path / "checkpoint.pt"
    ck = torch.load(path, weights_only=False)
    current = dict(ck["model_config"])
    ck["model_config"].update(wave_gate=False, zigzag_max_freq=0.0, paint_waves=False)
    ck["train_config"].update(class_weights=None, class_scale=None)
    torch.save(ck, path)
    res = train_gan(tiny_cfg(fingercamera_dir, tmp_path, steps=3))
    assert res.resumed_from == 2 and res.step == 3
    after = torch.load(res.checkpoint, weights_only=False)
    assert after["model_config"] == current and "class_weights" not in after["train_config"]
    for part, change in (
        ("model_config", {"wave_gate": True}),
        ("model_config", {"paint_waves": True}),
        ("model_config", {"zigzag_max_freq": 1.0}),
        ("train_config", {"class_weights": {"zigzag": 3}}),
        ("train_config", {"class_scale": {"zigzag": [0.7, 1.0]}}),
    ):
        ck = copy.deepcopy(after)
        ck[part].update(change)
        torch.save(ck, path)
        (key,) = change
        with pytest.raises(RetiredFieldError, match=f"{key}=.*retired.*{RETIRED_IN}") as err:
            train_gan(tiny_cfg(fingercamera_dir, tmp_path, steps=4))
        assert "\n" not in str(err.value)
    with pytest.raises(TypeError):  # and the trainer no longer has the knobs
        TrainConfig(out_dir=str(tmp_path), class_weights={"zigzag": 3})


def test_diffaugment_run_resumes_exactly_and_changes_training(fingercamera_dir, tmp_path, one_thread):
    """With DiffAugment on, its random draws are part of the checkpointed streams: 2 steps +
    resume to 4 equals 4 straight steps; and the augmentation really changes what D learns."""
    cfg = dict(augment="color,translation,cutout", max_per_class=2, steps=4)
    train_gan(tiny_cfg(fingercamera_dir, tmp_path / "split", **{**cfg, "steps": 2}))
    resumed = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "split", **cfg))
    straight = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "straight", **cfg))
    plain = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "plain", **{**cfg, "augment": ""}))
    assert resumed.resumed_from == 2
    a, b, c = (_state(torch.load(r.checkpoint, weights_only=False)) for r in (resumed, straight, plain))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(b["G.to_rgb.weight"], c["G.to_rgb.weight"])
    ck = torch.load(straight.checkpoint, weights_only=False)
    assert ck["train_config"]["augment"] == "color,translation,cutout"


def test_adding_zigzag_waves_keeps_the_generator_and_training_resumes(fingercamera_dir, tmp_path, one_thread):
    """A trained run grows zigzag-wave channels: the grown generator draws exactly what the old
    one drew, optimiser moments carry over by name, and training resumes with them and uses them."""
    from aifashion.gan.models import build_model

    train_gan(tiny_cfg(fingercamera_dir, tmp_path / "run", steps=2))
    src = tmp_path / "run" / "checkpoint.pt"
    old = torch.load(src, weights_only=False)
    grown_path = add_zigzag_waves(src, tmp_path / "grown" / "checkpoint.pt", 2, seed=1)
    new = torch.load(grown_path, weights_only=False)
    assert new["model_config"]["n_zigzags"] == 2 and new["step"] == 2 and new["grown"][0]["n_zigzags"] == 2
    G_old = build_model("tileable", **old["model_config"]).generator.eval()
    G_old.load_state_dict(old["G_ema"])
    G_new = build_model("tileable", **new["model_config"]).generator.eval()
    G_new.load_state_dict(new["G_ema"])
    z = G_new.sample_latent(3, 2, 2, torch.Generator().manual_seed(0))
    y = torch.tensor([0, 4, 5])
    with torch.no_grad():
        before = G_old(**dict(z, phase=z["phase"][:, :4]), y=y)
        assert torch.equal(G_new(**z, y=y), before)
    # moments: the old ones for old parameters (zeros for the new input channels), none for the new MLP
    names = [n for n, _ in G_new.named_parameters()]
    st = new["optG"]["state"]
    i, i_old = names.index("convs.1.weight"), [n for n, _ in G_old.named_parameters()].index("convs.1.weight")
    assert i != i_old  # the new MLP's parameters come first: matched by name, not by position
    assert torch.equal(st[i]["exp_avg"][:, :-2], old["optG"]["state"][i_old]["exp_avg"])
    assert st[i]["exp_avg"][:, -2:].abs().sum() == 0
    assert all(j not in st for j, n in enumerate(names) if n.startswith("zigzag_mlp"))
    # resume in the grown run folder, with the grown config
    cfg = tiny_cfg(fingercamera_dir, tmp_path / "grown", steps=4, model_config={**TINY_MODEL, "n_zigzags": 2})
    res = train_gan(cfg)
    assert res.resumed_from == 2 and res.step == 4
    after = torch.load(res.checkpoint, weights_only=False)
    assert after["G"]["convs.1.weight"][:, -2:].abs().sum() > 0  # the zigzag channels are used now
    assert after["grown"] == new["grown"]  # the growth record survives the later checkpoints
    with pytest.raises(ValueError, match="n_zigzags"):
        add_zigzag_waves(grown_path, tmp_path / "again.pt", 2)
    with pytest.raises(ValueError, match="different model or config"):  # resuming without the new config
        train_gan(tiny_cfg(fingercamera_dir, tmp_path / "grown", steps=5))


def test_a_resumed_phase_runs_at_its_own_learning_rates(fingercamera_dir, tmp_path, one_thread):
    """Resuming with other ``lr`` / ``lr_d`` (a new phase of a run) trains at those rates, not at
    the ones stored in the optimiser state of the checkpoint."""
    train_gan(tiny_cfg(fingercamera_dir, tmp_path, steps=2))
    before = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert before["optG"]["param_groups"][0]["lr"] == 2e-4
    res = train_gan(tiny_cfg(fingercamera_dir, tmp_path, steps=3, lr=0.0, lr_d=1e-3))
    after = torch.load(res.checkpoint, weights_only=False)
    assert res.resumed_from == 2
    assert after["optG"]["param_groups"][0]["lr"] == 0.0 and after["optD"]["param_groups"][0]["lr"] == 1e-3
    weights = [k for k in before["G"] if "running_" not in k and "num_batches" not in k]  # not BN statistics
    for k in weights:  # lr 0: the generator's weights did not move, the discriminator's did
        assert torch.equal(after["G"][k], before["G"][k]), k
    assert any(not torch.equal(after["D"][k], v) for k, v in before["D"].items())


def test_export_load_round_trip(fingercamera_dir, tmp_path, one_thread):
    from aifashion.gan.generate import load_generator

    res = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "run", steps=2))
    out = export_generator(res.checkpoint, tmp_path / "gen.safetensors", extra={"note": "test"}, bn_batches=0)
    meta = json.loads((tmp_path / "gen.json").read_text())
    assert meta["model"] == "tileable" and meta["config"]["ngf"] == 8 and meta["extra"] == {"note": "test"}
    assert meta["classes"] == ["checkered", "dotted", "floral", "solid", "striped", "zigzag"]
    assert meta["training"]["steps"] == 2 and meta["training"]["images_seen"] == 8
    gen = load_generator(out, bf16=False)
    ck = torch.load(res.checkpoint, weights_only=False)
    for k, v in gen.model.state_dict().items():
        assert torch.equal(v, ck["G_ema"][k]), k
    # default: the same weights with BatchNorm statistics re-estimated for them
    std = load_generator(export_generator(res.checkpoint, tmp_path / "std.safetensors"), bf16=False)
    sd = std.model.state_dict()
    assert all(torch.equal(p, ck["G_ema"][k]) for k, p in std.model.named_parameters())
    means = [k for k in sd if k.endswith("running_mean")]
    assert means and all(not torch.equal(sd[k], ck["G_ema"][k]) for k in means)
    # the rendered image is the EMA generator's output for that seed
    noise = gen.latent(7, 64)
    with torch.no_grad():
        direct = gen.model(**noise, y=torch.tensor([2]))
    arr = torch.from_numpy(gen.render_array("floral", [7], 64)).permute(0, 3, 1, 2).float() / 127.5 - 1
    assert (arr - direct).abs().max() < 1 / 127.5 + 1e-6
    # half precision export: smaller, nearly the same pattern
    half = export_generator(res.checkpoint, tmp_path / "half.safetensors", dtype="float16")
    assert half.stat().st_size < out.stat().st_size * 0.6
    h = load_generator(half, bf16=False).render_array("floral", [7], 64).astype(int)
    assert abs(h - std.render_array("floral", [7], 64).astype(int)).mean() < 2
    with pytest.raises(FileNotFoundError):
        export_generator(tmp_path / "missing.pt", tmp_path / "x.safetensors")


def test_conditioning_ramp_starts_unconditional_and_resumes_exactly(fingercamera_dir, tmp_path, one_thread):
    """cond_ramp=(3, 5): steps 0-2 train an unconditional pair (no gradient reaches either class
    embedding, which keeps its initial value), then the conditioning ramps in and the embeddings
    move; 3 steps + resume to 6 equals 6 straight."""
    from aifashion.gan.models import build_model

    def embeds(state: dict) -> dict:
        return {
            k: v for k, v in state.items() if k.endswith(("G.embed.weight", "D.embed.parametrizations.weight.original"))
        }

    early = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "split", cond_ramp=(3, 5), steps=3))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)  # tiny_cfg's seed: the trainer's initialisation
        pair = build_model("tileable", **TINY_MODEL, n_classes=6, image_size=32)
    init = {f"G.{k}": v for k, v in pair.generator.state_dict().items()}
    init |= {f"D.{k}": v for k, v in pair.discriminator.state_dict().items()}
    ck = _state(torch.load(early.checkpoint, weights_only=False))
    names = embeds(ck)
    assert any(k.startswith("G.") for k in names) and any(k.startswith("D.") for k in names)
    assert all(torch.equal(ck[k], init[k]) for k in names)
    assert not torch.equal(ck["G.to_rgb.weight"], init["G.to_rgb.weight"])  # the rest trained
    resumed = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "split", cond_ramp=(3, 5), steps=6))
    straight = train_gan(tiny_cfg(fingercamera_dir, tmp_path / "straight", cond_ramp=(3, 5), steps=6))
    a, b = (_state(torch.load(r.checkpoint, weights_only=False)) for r in (resumed, straight))
    assert resumed.resumed_from == 3 and all(torch.equal(a[k], b[k]) for k in a)
    assert all(not torch.equal(b[k], init[k]) for k in names)
    with pytest.raises(ValueError, match="cond_ramp"):
        tiny_cfg(fingercamera_dir, tmp_path, cond_ramp=(5, 5))
    with pytest.raises(ValueError, match="tileable"):
        tiny_cfg(fingercamera_dir, tmp_path, model="dcgan", cond_ramp=(0, 5))
