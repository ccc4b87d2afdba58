"""GAN training: the tutorial recipe (Adam, D step then G step) for either model, made fast,
resumable and multi-process.

- Data decoded once and augmented per batch on the device (:mod:`aifashion.data.resident`);
  bf16 autocast and channels_last where the device supports them (CPU included).
- EMA of the generator; a tqdm bar; ``losses.csv`` / ``losses.png``; fixed-noise sample grids.
- Atomic checkpoints every ``ckpt_every`` steps and an exact resume (models, optimisers, EMA,
  step, history, random streams): a killed run started again with the same ``out_dir`` ends
  bit-identical to one never interrupted (same device and threads). A resume with other rates
  or settings (a new phase, :mod:`aifashion.gan.recipes`) trains with those.
- Any ``MODELS`` entry; a discriminator's frozen parts (the projected one's Lite0 features) are
  neither optimised nor toggled. Multi-process through ``torchrun`` (DDP; rank 0 writes files).

Elsewhere: the shared pieces (:mod:`aifashion.training`), checkpoint rules
(:mod:`aifashion.gan.checkpoint`), growing by zigzag waves (:mod:`aifashion.gan.grow`), the export
(:mod:`aifashion.gan.export`). Experiments are configs; those not adopted are in
``docs/experiments.md``. CLI: ``aifashion train-gan --recipe NAME --out-dir DIR``.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from aifashion.atomic import atomic_write_text
from aifashion.device import resolve_device
from aifashion.gan.augment import diff_augment, parse_policy
from aifashion.gan.checkpoint import (
    load_checkpoint,
    restore_rng,
    rng_states,
    save_checkpoint,
    stream_seed,
    unpack_checkpoint,
)
from aifashion.gan.grow import grow_if_without_waves
from aifashion.gan.models import build_model
from aifashion.gan.runfiles import fixed_inputs, save_grid, write_loss_log
from aifashion.training import check_amp, distributed, ema_decay, ema_update, precision, threads


@dataclass
class TrainConfig:
    """Every knob of a training run (saved in each checkpoint).

    Paths have no defaults that depend on the current directory: ``out_dir`` is required;
    ``data_dir=None`` means ``$AIFASHION_DATA/clothing-patterns-fingercamera``.
    """

    out_dir: str | None = None
    data_dir: str | None = None
    model: str = "tileable"  # "dcgan" (tutorial baseline), "tileable" (ours), "tileable-projected" (projected D)
    model_config: dict = field(default_factory=dict)  # overrides of the model's config fields
    classes: list | None = None  # train on these classes only (None = all)
    max_per_class: int | None = None
    image_size: int = 64  # training crop side
    data_size: int = 256  # images are held at this side; crops are cut from it
    scale: tuple = (0.35, 0.75)  # crop side as a fraction of data_size (so of the photo)
    flip: bool = True
    rot90: bool = True
    color_jitter: float = 0.0
    white_balance: bool = False  # balance the photo set's colour as a whole (the camera's cast out)
    class_balanced: bool = True  # draw classes uniformly (the six classes have 48..88 photos)
    augment: str = ""  # DiffAugment policy for everything D sees, e.g. "color,translation,cutout" ("" = off)
    cond_ramp: tuple | None = None  # (start, end) steps: unconditional before start, conditioning full at end
    steps: int = 2000
    batch_size: int = 64  # per process
    lr: float = 2e-4  # generator learning rate (the tutorial's)
    lr_d: float | None = None  # discriminator learning rate (None = lr)
    betas: tuple = (0.5, 0.999)
    loss: str = "bce"  # "bce" (non-saturating, the tutorial) or "hinge"
    ema_decay: float = 0.999  # EMA decay of the generator weights (0 = off: EMA = G)
    device: str = "auto"  # "auto" = cuda if available else cpu
    amp: str = "auto"  # "auto" = bf16 where supported, "bf16", "off"
    channels_last: str = "auto"  # "auto" = on where amp is on, "on", "off"
    seed: int = 0
    ckpt_every: int = 500
    sample_every: int = 500
    log_every: int = 10
    n_sample_cols: int = 8
    resume: bool = True  # continue from out_dir/checkpoint.pt when it exists
    threads: int | None = None  # torch.set_num_threads for this process (CPU), restored after
    time_limit_s: float | None = None  # stop (with a checkpoint) after this much training time (<= 0: none)
    grow_waves: bool = False  # a checkpoint without zigzag waves is first grown by model_config's n_zigzags
    init_from: str | None = None  # a compact state folder (gan.checkpoint.pack_checkpoint) to start from
    progress: bool = True  # tqdm bar
    dry_run: bool = False  # tiny: 2 steps, batch 4, 4 images per class, data_size 96

    def __post_init__(self) -> None:
        if self.loss not in ("bce", "hinge"):
            raise ValueError(f"loss must be 'bce' or 'hinge', not {self.loss!r}")
        check_amp(self.amp, self.channels_last)
        for name in ("steps", "batch_size", "image_size", "data_size", "ckpt_every", "sample_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, not {getattr(self, name)}")
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            self.time_limit_s = None
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), not {self.ema_decay}")
        self.scale = tuple(float(s) for s in self.scale)
        self.augment = ",".join(parse_policy(self.augment))  # unknown names: error listing the valid ones
        self.betas = tuple(float(b) for b in self.betas)
        if self.cond_ramp is not None:
            self.cond_ramp = tuple(int(s) for s in self.cond_ramp)
            if len(self.cond_ramp) != 2 or not 0 <= self.cond_ramp[0] < self.cond_ramp[1]:
                raise ValueError(f"cond_ramp must be (start, end) steps with 0 <= start < end, not {self.cond_ramp}")
            if self.model != "tileable":
                raise ValueError(f"cond_ramp needs the tileable model's discriminator, not {self.model!r}")
        if self.dry_run:
            self.steps = min(self.steps, 2)
            self.batch_size = min(self.batch_size, 4)
            self.max_per_class = min(self.max_per_class or 4, 4)
            self.data_size = min(self.data_size, 96)
            self.ckpt_every = min(self.ckpt_every, 2)
            self.sample_every = min(self.sample_every, 2)
            self.log_every = 1


@dataclass
class TrainResult:
    """What :func:`train_gan` did. ``history`` rows: step, loss_d, loss_g, d_real, d_fake,
    images_seen, elapsed_s."""

    out_dir: Path
    checkpoint: Path
    step: int
    images_seen: int
    elapsed_s: float
    images_per_s: float
    history: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    resumed_from: int = 0


# ---------------------------------------------------------------------------- the two updates
class _Logits(nn.Module):
    """Routes ``forward`` to ``D.logits`` so that DDP sees the call."""

    def __init__(self, d: nn.Module) -> None:
        super().__init__()
        self.d = d

    def forward(self, x: torch.Tensor, y: torch.Tensor, cond: float | None = None) -> torch.Tensor:
        return self.d.logits(x, y) if cond is None else self.d.logits(x, y, cond=cond)


@dataclass
class _Nets:
    """What a training step touches: G and D (wrapped by DDP when distributed; ``*_core`` the
    bare modules), the EMA generator, the optimisers, D's trainable parameters, precision."""

    G: nn.Module
    D_logits: nn.Module
    G_core: nn.Module
    D_core: nn.Module
    G_ema: nn.Module
    optG: torch.optim.Optimizer
    optD: torch.optim.Optimizer
    d_params: list
    device: torch.device
    bf16: bool
    toggle_d: bool  # D needs no weight gradients in the G step (DDP wants them all)

    def autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)


def _d_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if kind == "bce":  # BCE(sigmoid(real), 1) and BCE(sigmoid(fake), 0), on logits
        return F.softplus(-real).mean(), F.softplus(fake).mean()
    return F.relu(1 - real).mean(), F.relu(1 + fake).mean()


def _g_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake).mean() if kind == "bce" else -fake.mean()


def cond_weight(step: int, ramp: tuple | None) -> float:
    """Weight of the class conditioning at ``step`` in [0, 1]: 1 without a ramp; with ``ramp``
    = (start, end) 0 up to start, then linear to 1 at end (conditioning ramped in after an
    unconditional start, against collapse by conditioning on small data)."""
    if ramp is None:
        return 1.0
    start, end = ramp
    return min(max((step - start) / (end - start), 0.0), 1.0)


def d_step(n: _Nets, loss: str, aug, x: torch.Tensor, fake: torch.Tensor, y: torch.Tensor, cond=None) -> dict:
    """(1) Update D: maximise log D(x) + log(1 - D(G(z))), real and fake batches separately (the
    tutorial), or the hinge loss. ``cond``: weight of D's class term (None: D's own, full).
    Returns the detached loss and mean logits (for the log)."""
    n.optD.zero_grad(set_to_none=True)
    with n.autocast():
        d_real = n.D_logits(aug(x), y, cond).float()
    l_real = _d_loss(loss, d_real, d_real)[0]
    l_real.backward()
    with n.autocast():
        d_fake = n.D_logits(aug(fake.detach()), y, cond).float()
    l_fake = _d_loss(loss, d_fake, d_fake)[1]
    l_fake.backward()
    n.optD.step()
    out = {"loss_d": l_real + l_fake, "d_real": d_real.mean(), "d_fake": d_fake.mean()}
    return {k: v.detach() for k, v in out.items()}


def g_step(n: _Nets, loss: str, aug, fake: torch.Tensor, y: torch.Tensor, cond=None) -> torch.Tensor:
    """(2) Update G: maximise log D(G(z)) (non-saturating) or -D(G(z)) (hinge), D's weights
    frozen for the step. Returns the detached loss."""
    n.optG.zero_grad(set_to_none=True)
    if n.toggle_d:
        for p in n.d_params:
            p.requires_grad_(False)
    with n.autocast():
        d_gen = n.D_logits(aug(fake), y, cond).float()
    l_g = _g_loss(loss, d_gen)
    l_g.backward()
    n.optG.step()
    if n.toggle_d:
        for p in n.d_params:
            p.requires_grad_(True)
    return l_g.detach()


# ---------------------------------------------------------------------------- set-up
def _data_dir(cfg: TrainConfig) -> Path:
    from aifashion.paths import FINGERCAMERA, data_root

    if cfg.data_dir is not None:
        return Path(cfg.data_dir).expanduser().resolve()
    root = data_root()
    if root is None:
        raise ValueError("no data_dir given and AIFASHION_DATA is not set")
    return root / FINGERCAMERA


def _model_config(cfg: TrainConfig, n_classes: int) -> dict:
    """The model config fields of a run: ``cfg.model_config`` with the data's class count and
    the crop size filled in (checked against them)."""
    mconf = dict(cfg.model_config)
    mconf.setdefault("n_classes", n_classes)
    mconf.setdefault("image_size", cfg.image_size)
    if cfg.model != "dcgan" and mconf["n_classes"] != n_classes:
        raise ValueError(f"model_config n_classes={mconf['n_classes']} but the data has {n_classes} classes")
    if cfg.model == "dcgan" and mconf["image_size"] != cfg.image_size:
        raise ValueError("for dcgan, model_config image_size must equal image_size")
    return mconf


def _build(cfg: TrainConfig, n_classes: int, device: torch.device, mf, bf16: bool, distributed: bool):
    """(model pair, :class:`_Nets`): seeded init (the global RNG untouched), optimisers over the
    trainable parameters (a projected D's frozen features excluded), DDP wrapping."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        pair = build_model(cfg.model, **_model_config(cfg, n_classes))
    G, D = pair.generator.to(device, memory_format=mf), pair.discriminator.to(device, memory_format=mf)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False)
    optG = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=cfg.betas)
    d_params = [p for p in D.parameters() if p.requires_grad]
    optD = torch.optim.Adam(d_params, lr=cfg.lr if cfg.lr_d is None else cfg.lr_d, betas=cfg.betas)
    G_run, D_logits = G, _Logits(D)
    if distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        G_run = DDP(G, device_ids=ids, broadcast_buffers=True)
        D_logits = DDP(D_logits, device_ids=ids, broadcast_buffers=True)
    nets = _Nets(G_run, D_logits, G, D, G_ema, optG, optD, d_params, device, bf16, toggle_d=not distributed)
    return pair, nets


# ---------------------------------------------------------------------------- training
def train_gan(cfg: TrainConfig) -> TrainResult:
    """Train ``cfg.model`` on ``cfg.data_dir``; resume from ``out_dir/checkpoint.pt`` if present.

    Returns a :class:`TrainResult`. Files in ``out_dir``: ``checkpoint.pt``, ``losses.csv``,
    ``losses.png``, ``samples/step_XXXXXXX.png`` and ``samples/latest.png``, ``config.json``.
    Under ``torchrun`` (``WORLD_SIZE`` > 1) each process trains on its own batches with DDP.
    """
    if cfg.out_dir is None:
        raise ValueError("out_dir is required")
    with threads(cfg.threads), distributed(resolve_device(cfg.device)) as (world, rank, device):
        return _train(cfg, Path(cfg.out_dir).expanduser().resolve(), _data_dir(cfg), world, rank, device)


def _train(cfg: TrainConfig, out_dir: Path, data_dir: Path, world: int, rank: int, device: torch.device) -> TrainResult:
    from aifashion.data.resident import ResidentPatternData

    distributed, main = world > 1, rank == 0
    bf16, mf = precision(device, cfg.amp, cfg.channels_last)
    ckpt_path = out_dir / "checkpoint.pt"
    if cfg.init_from and cfg.resume and not ckpt_path.is_file():
        if main:
            unpack_checkpoint(cfg.init_from, ckpt_path)
        _agree(False, distributed, device)  # the other processes wait for the file
    if cfg.grow_waves and cfg.resume and ckpt_path.is_file():
        if main:
            grow_if_without_waves(ckpt_path, int(cfg.model_config.get("n_zigzags", 0)))
        _agree(False, distributed, device)  # the other processes wait for the grown file
    data = ResidentPatternData.from_folder(  # decoded once, on the device
        data_dir, device, size=cfg.data_size, classes=cfg.classes, max_per_class=cfg.max_per_class, seed=cfg.seed,
        white_balance=cfg.white_balance,
    )  # fmt: skip
    pair, n = _build(cfg, len(data.classes), device, mf, bf16, distributed)
    data_gen = torch.Generator(device=device).manual_seed(stream_seed(cfg.seed, 1, rank))
    noise_gen = torch.Generator(device=device).manual_seed(stream_seed(cfg.seed, 2, rank))

    step, images_seen, elapsed, history, grown = 0, 0, 0.0, [], []  # grown: aifashion.gan.grow records
    if cfg.resume and ckpt_path.is_file():
        ck = load_checkpoint(ckpt_path, device, model=cfg.model, config=pair.config)  # refuses another config
        for key in ("G_core", "D_core", "G_ema", "optG", "optD"):
            if ck[key.replace("_core", "")] is not None:  # optimisers: None in an unpacked compact state
                getattr(n, key).load_state_dict(ck[key.replace("_core", "")])
        for opt, lr_now in ((n.optG, cfg.lr), (n.optD, cfg.lr if cfg.lr_d is None else cfg.lr_d)):
            for group in opt.param_groups:  # a resumed phase runs at its own rates
                group["lr"] = lr_now
        step, images_seen, elapsed = ck["step"], ck["images_seen"], ck["elapsed_s"]
        history, grown = list(ck["history"]), list(ck.get("grown", []))
        restore_rng([data_gen, noise_gen], ck["rng"], rank, world, cfg.seed, step)
        del ck
    resumed_from = step

    n_classes, cols = len(data.classes), cfg.n_sample_cols
    fixed_noise, fixed_labels = fixed_inputs(n.G_core, n_classes, cols, cfg.image_size, cfg.seed, device)
    samples: list[Path] = []
    if main:
        (out_dir / "samples").mkdir(parents=True, exist_ok=True)
        info = {
            "train_config": asdict(cfg),
            "model": cfg.model,
            "model_config": asdict(pair.config),
            "classes": data.classes,
            "counts": data.counts(),
            "colour_gains": data.colour_gains,
            "data_dir": str(data_dir),
            "device": str(device),
            "amp_bf16": bf16,
            "channels_last": mf == torch.channels_last,
            "world_size": world,
            "threads": torch.get_num_threads(),
        }
        atomic_write_text(out_dir / "config.json", json.dumps(info, indent=2))

    def conditioning(labels: torch.Tensor, at: int) -> tuple[torch.Tensor, float | None]:
        """G's input for ``labels`` (ramped one-hot weights while the ramp runs) and D's weight."""
        lam = cond_weight(at, cfg.cond_ramp)
        if lam >= 1:
            return labels, None
        return lam * F.one_hot(labels, n_classes).float(), lam

    def sample_grid(at: int) -> None:
        with torch.no_grad(), n.autocast():
            imgs = n.G_ema(**fixed_noise, y=conditioning(fixed_labels, at)[0])
        samples.append(save_grid(imgs, out_dir / "samples" / f"step_{at:07d}.png", cfg.n_sample_cols))
        save_grid(imgs, out_dir / "samples" / "latest.png", cfg.n_sample_cols)

    def checkpoint(at: int) -> None:
        states = rng_states([data_gen, noise_gen], world)  # collective under DDP: every rank calls it
        if not main:
            return
        nets = {"G": n.G_core, "D": n.D_core, "G_ema": n.G_ema, "optG": n.optG, "optD": n.optD}
        save_checkpoint(
            ckpt_path, model=cfg.model, model_config=pair.config, train_config=cfg, classes=data.classes,
            step=at, images_seen=images_seen, elapsed_s=elapsed, nets=nets, rng=states, history=history,
            grown=grown, device=device, world_size=world, amp_bf16=bf16,
        )  # fmt: skip
        write_loss_log(history, out_dir)
        if not cfg.progress:  # a log line per checkpoint for background runs
            last = history[-1] if history else {}
            print(f"step {at}/{cfg.steps} images {images_seen} elapsed {elapsed:.0f}s "
                  f"loss_d {last.get('loss_d')} loss_g {last.get('loss_g')}", flush=True)  # fmt: skip

    def aug(images: torch.Tensor) -> torch.Tensor:  # DiffAugment: the same random transforms for real and fake
        return diff_augment(images, cfg.augment, data_gen).contiguous(memory_format=mf) if cfg.augment else images

    bar = None
    if main and cfg.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=step, desc=f"train {cfg.model}", unit="step", dynamic_ncols=True)
    crops = dict(scale=cfg.scale, flip=cfg.flip, rot90=cfg.rot90, color_jitter=cfg.color_jitter)
    t_start, elapsed0, last_saved = time.perf_counter(), elapsed, step
    while step < cfg.steps:
        x, y = data.sample(cfg.batch_size, cfg.image_size, data_gen, class_balanced=cfg.class_balanced, **crops)
        x = x.contiguous(memory_format=mf)
        noise = n.G_core.make_noise(cfg.batch_size, cfg.image_size, noise_gen, device=device)
        y_g, cond = conditioning(y, step)
        with n.autocast():
            fake = n.G(**noise, y=y_g)
        d = d_step(n, cfg.loss, aug, x, fake, y, cond)  # (1) D
        loss_g = g_step(n, cfg.loss, aug, fake, y, cond)  # (2) G
        ema_update(n.G_ema, n.G_core, ema_decay(step, cfg.ema_decay))
        step += 1
        images_seen += cfg.batch_size * world
        elapsed = elapsed0 + time.perf_counter() - t_start
        if step % cfg.log_every == 0 or step == cfg.steps:
            row = {"step": step, "loss_d": d["loss_d"], "loss_g": loss_g, "d_real": d["d_real"], "d_fake": d["d_fake"]}
            row = {k: v if k == "step" else round(float(v), 5) for k, v in row.items()}
            history.append({**row, "images_seen": images_seen, "elapsed_s": round(elapsed, 2)})
            if bar is not None:
                bar.set_postfix(loss_d=row["loss_d"], loss_g=row["loss_g"])
        if bar is not None:
            bar.update(1)
        stop = _agree(cfg.time_limit_s is not None and elapsed >= cfg.time_limit_s, distributed, device)
        if main and (step % cfg.sample_every == 0 or step == cfg.steps or stop):
            sample_grid(step)
        if step % cfg.ckpt_every == 0 or step == cfg.steps or stop:
            checkpoint(step)
            last_saved = step
        if stop:
            break
    if last_saved != step:  # e.g. resumed at cfg.steps: nothing to do, still leave a checkpoint
        checkpoint(step)
    if step == resumed_from and main and not samples:
        sample_grid(step)
    if bar is not None:
        bar.close()
    _agree(False, distributed, device)  # every process has finished writing
    run_s = max(elapsed - elapsed0, 1e-9)
    return TrainResult(
        out_dir=out_dir, checkpoint=ckpt_path, step=step, images_seen=images_seen, elapsed_s=elapsed,
        images_per_s=(step - resumed_from) * cfg.batch_size * world / run_s, history=history, samples=samples,
        resumed_from=resumed_from,
    )  # fmt: skip


def _agree(stop: bool, distributed: bool, device: torch.device) -> bool:
    """Whether any process wants to stop (an all-reduce under DDP, which also synchronises)."""
    if not distributed:
        return stop
    import torch.distributed as dist

    flag = torch.tensor([1.0 if stop else 0.0], device=device)
    dist.all_reduce(flag)
    return bool(flag.item() > 0)
