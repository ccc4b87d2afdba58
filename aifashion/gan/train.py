"""GAN training: the tutorial recipe (Adam + non-saturating BCE) for either model, made fast,
resumable and multi-process.

- Data: :class:`aifashion.data.resident.ResidentPatternData` (decoded once, augmented per batch
  on the device) instead of ``ImageFolder`` + ``DataLoader``.
- Speed: bf16 autocast and channels_last where the device supports them (CPU included).
- EMA of the generator weights; a tqdm bar; a loss log (``losses.csv``) and plot
  (``losses.png``); fixed-noise sample grids (``samples/step_XXXXXXX.png``, one row per class).
- Atomic checkpoints (``checkpoint.pt``) every ``ckpt_every`` steps and an exact resume: models,
  optimisers, EMA, step, loss history and the states of the data and noise generators. Kill a
  run, start it again with the same ``out_dir``: it continues from the last checkpoint and ends
  bit-identical to a run that was never interrupted (same device and thread count). A resume
  with other ``lr`` / ``lr_d`` (a new phase) trains at those rates.
- Any model of the ``MODELS`` registry; a discriminator with frozen parts (the projected one:
  frozen ImageNet Lite0 features + fixed random projections) is optimised only over its
  trainable parameters, and only those are toggled off in the generator step.
- Multi-process through ``torchrun`` (DDP; gloo on CPU, nccl on CUDA): each process draws its
  own batches, gradients are averaged, rank 0 writes the files.

Elsewhere: the checkpoint format and resume rules (:mod:`aifashion.gan.checkpoint`), growing a
trained checkpoint by zigzag waves (:mod:`aifashion.gan.grow`), the exported file format
(:func:`aifashion.gan.export.export_generator`). Experiments are configs (``model_config``,
``augment``, ...), not code branches; the ones that were not adopted are in
``docs/experiments.md``.

CLI: ``aifashion train-gan --data-dir DIR --out-dir DIR [--model tileable] ...``
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from aifashion.atomic import atomic_write_text
from aifashion.device import bf16_supported, resolve_device
from aifashion.gan.augment import diff_augment, parse_policy
from aifashion.gan.checkpoint import load_checkpoint, restore_rng, rng_states, save_checkpoint, stream_seed
from aifashion.gan.models import build_model
from aifashion.gan.runfiles import fixed_inputs, save_grid, write_loss_log


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
    class_balanced: bool = True  # draw classes uniformly (the six classes have 48..88 photos)
    augment: str = ""  # DiffAugment policy for everything D sees, e.g. "color,translation,cutout" ("" = off)
    steps: int = 2000
    batch: int = 64  # per process
    lr: float = 2e-4  # generator learning rate (the tutorial's)
    lr_d: float | None = None  # discriminator learning rate (None = lr)
    betas: tuple = (0.5, 0.999)
    loss: str = "bce"  # "bce" (non-saturating, the tutorial) or "hinge"
    ema: float = 0.999  # EMA decay of the generator weights (0 = off: EMA = G)
    device: str = "auto"  # "auto" = cuda if available else cpu
    amp: str = "auto"  # "auto" = bf16 where supported, "bf16", "off"
    channels_last: str = "auto"  # "auto" = on where amp is on, "on", "off"
    seed: int = 0
    ckpt_every: int = 500
    sample_every: int = 500
    log_every: int = 10
    n_sample_cols: int = 8
    resume: bool = True  # continue from out_dir/checkpoint.pt when it exists
    num_threads: int | None = None  # torch.set_num_threads for this process (CPU)
    time_limit_s: float | None = None  # stop (with a checkpoint) after this much training time
    progress: bool = True  # tqdm bar
    dry_run: bool = False  # tiny: 2 steps, batch 4, 4 images per class, data_size 96

    def __post_init__(self) -> None:
        if self.loss not in ("bce", "hinge"):
            raise ValueError(f"loss must be 'bce' or 'hinge', not {self.loss!r}")
        if self.amp not in ("auto", "bf16", "off"):
            raise ValueError(f"amp must be 'auto', 'bf16' or 'off', not {self.amp!r}")
        if self.channels_last not in ("auto", "on", "off"):
            raise ValueError(f"channels_last must be 'auto', 'on' or 'off', not {self.channels_last!r}")
        for name in ("steps", "batch", "image_size", "data_size", "ckpt_every", "sample_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, not {getattr(self, name)}")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1), not {self.ema}")
        self.scale = tuple(float(s) for s in self.scale)
        self.augment = ",".join(parse_policy(self.augment))  # unknown names: error listing the valid ones
        self.betas = tuple(float(b) for b in self.betas)
        if self.dry_run:
            self.steps = min(self.steps, 2)
            self.batch = min(self.batch, 4)
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


# ---------------------------------------------------------------------------- helpers
def _dist_info() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    return world, rank, local


class _Logits(nn.Module):
    """Routes ``forward`` to ``D.logits`` so that DDP sees the call."""

    def __init__(self, d: nn.Module) -> None:
        super().__init__()
        self.d = d

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.d.logits(x, y)


def _d_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if kind == "bce":  # BCE(sigmoid(real), 1) and BCE(sigmoid(fake), 0), on logits
        return F.softplus(-real).mean(), F.softplus(fake).mean()
    return F.relu(1 - real).mean(), F.relu(1 + fake).mean()


def _g_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake).mean() if kind == "bce" else -fake.mean()


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """``ema = decay * ema + (1 - decay) * model`` for parameters; buffers are copied."""
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm.detach().to(pe.dtype), 1 - decay)
    for be, bm in zip(ema.buffers(), model.buffers()):
        be.copy_(bm)


# ---------------------------------------------------------------------------- training
def train_gan(cfg: TrainConfig) -> TrainResult:
    """Train ``cfg.model`` on ``cfg.data_dir``; resume from ``out_dir/checkpoint.pt`` if present.

    Returns a :class:`TrainResult`. Files in ``out_dir``: ``checkpoint.pt``, ``losses.csv``,
    ``losses.png``, ``samples/step_XXXXXXX.png`` and ``samples/latest.png``, ``config.json``.
    Under ``torchrun`` (``WORLD_SIZE`` > 1) each process trains on its own batches with DDP.
    """
    from aifashion.data.resident import ResidentPatternData
    from aifashion.paths import FINGERCAMERA, data_root

    if cfg.out_dir is None:
        raise ValueError("out_dir is required")
    out_dir = Path(cfg.out_dir).expanduser().resolve()
    if cfg.data_dir is None:
        root = data_root()
        if root is None:
            raise ValueError("no data_dir given and AIFASHION_DATA is not set")
        data_dir = root / FINGERCAMERA
    else:
        data_dir = Path(cfg.data_dir).expanduser().resolve()
    if cfg.num_threads:
        torch.set_num_threads(int(cfg.num_threads))

    world, rank, local_rank = _dist_info()
    device = resolve_device(cfg.device)
    distributed = world > 1
    if distributed:
        import torch.distributed as dist

        if device.type == "cuda":
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    main = rank == 0
    use_amp = cfg.amp == "bf16" or (cfg.amp == "auto" and bf16_supported(device))
    use_cl = cfg.channels_last == "on" or (cfg.channels_last == "auto" and use_amp)
    mf = torch.channels_last if use_cl else torch.contiguous_format

    # data: decoded once, on the device
    data = ResidentPatternData.from_folder(
        data_dir, device, size=cfg.data_size, classes=cfg.classes, max_per_class=cfg.max_per_class, seed=cfg.seed
    )
    mconf = dict(cfg.model_config)
    if cfg.model != "dcgan":
        mconf.setdefault("n_classes", len(data.classes))
        mconf.setdefault("image_size", cfg.image_size)
        if mconf["n_classes"] != len(data.classes):
            raise ValueError(
                f"model_config n_classes={mconf['n_classes']} but the data has {len(data.classes)} classes"
            )
    else:
        mconf.setdefault("image_size", cfg.image_size)
        mconf.setdefault("n_classes", len(data.classes))
        if mconf["image_size"] != cfg.image_size:
            raise ValueError("for dcgan, model_config image_size must equal image_size")
    with torch.random.fork_rng(devices=[]):  # seeded init without touching the global RNG
        torch.manual_seed(cfg.seed)
        pair = build_model(cfg.model, **mconf)
    G, D = pair.generator.to(device, memory_format=mf), pair.discriminator.to(device, memory_format=mf)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False)
    lr_d = cfg.lr if cfg.lr_d is None else cfg.lr_d
    optG = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=cfg.betas)
    d_params = [p for p in D.parameters() if p.requires_grad]  # a projected D's frozen features excluded
    optD = torch.optim.Adam(d_params, lr=lr_d, betas=cfg.betas)
    data_gen = torch.Generator(device=device).manual_seed(stream_seed(cfg.seed, 1, rank))
    noise_gen = torch.Generator(device=device).manual_seed(stream_seed(cfg.seed, 2, rank))

    ckpt_path = out_dir / "checkpoint.pt"
    step, images_seen, elapsed, history, resumed_from = 0, 0, 0.0, [], 0
    grown: list = []  # add_zigzag_waves records (aifashion.gan.grow), kept in every later checkpoint
    if cfg.resume and ckpt_path.is_file():
        ck = load_checkpoint(ckpt_path, device, model=cfg.model, config=pair.config)  # refuses another config
        for key, part in (("G", G), ("D", D), ("G_ema", G_ema), ("optG", optG), ("optD", optD)):
            part.load_state_dict(ck[key])
        for opt, lr_now in ((optG, cfg.lr), (optD, lr_d)):  # a resumed phase runs at its own rates
            for group in opt.param_groups:
                group["lr"] = lr_now
        step, images_seen, elapsed = ck["step"], ck["images_seen"], ck["elapsed_s"]
        history, grown = list(ck["history"]), list(ck.get("grown", []))
        restore_rng([data_gen, noise_gen], ck["rng"], rank, world, cfg.seed, step)
        resumed_from = step
        del ck

    G_core, D_core = G, D
    D_logits: nn.Module = _Logits(D)
    if distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        G = DDP(G, device_ids=ids, broadcast_buffers=True)
        D_logits = DDP(D_logits, device_ids=ids, broadcast_buffers=True)

    fixed_noise, fixed_labels = fixed_inputs(
        G_core, len(data.classes), cfg.n_sample_cols, cfg.image_size, cfg.seed, device
    )
    samples: list[Path] = []
    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "samples").mkdir(exist_ok=True)
        info = {
            "train_config": asdict(cfg),
            "model": cfg.model,
            "model_config": asdict(pair.config),
            "classes": data.classes,
            "counts": data.counts(),
            "data_dir": str(data_dir),
            "device": str(device),
            "amp_bf16": use_amp,
            "channels_last": use_cl,
            "world_size": world,
            "num_threads": torch.get_num_threads(),
        }
        atomic_write_text(out_dir / "config.json", json.dumps(info, indent=2))

    def sample_grid(at: int) -> None:
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            imgs = G_ema(**fixed_noise, y=fixed_labels)
        p = save_grid(imgs, out_dir / "samples" / f"step_{at:07d}.png", cfg.n_sample_cols)
        save_grid(imgs, out_dir / "samples" / "latest.png", cfg.n_sample_cols)
        samples.append(p)

    def checkpoint(at: int) -> None:
        states = rng_states([data_gen, noise_gen], world)  # collective under DDP: every rank calls it
        if not main:
            return
        save_checkpoint(
            ckpt_path,
            model=cfg.model,
            model_config=pair.config,
            train_config=cfg,
            classes=data.classes,
            step=at,
            images_seen=images_seen,
            elapsed_s=elapsed,
            nets={"G": G_core, "D": D_core, "G_ema": G_ema, "optG": optG, "optD": optD},
            rng=states,
            history=history,
            grown=grown,
            device=device,
            world_size=world,
            amp_bf16=use_amp,
        )
        write_loss_log(history, out_dir)
        if not cfg.progress:  # a log line per checkpoint for background runs
            last = history[-1] if history else {}
            print(
                f"step {at}/{cfg.steps} images {images_seen} elapsed {elapsed:.0f}s "
                f"loss_d {last.get('loss_d')} loss_g {last.get('loss_g')}",
                flush=True,
            )

    bar = None
    if main and cfg.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=step, desc=f"train {cfg.model}", unit="step", dynamic_ncols=True)
    toggle_d = not distributed  # D needs no weight gradients in the G step (DDP wants them all)

    def aug(images: torch.Tensor) -> torch.Tensor:  # DiffAugment: same random transforms for real and fake
        return diff_augment(images, cfg.augment, data_gen).contiguous(memory_format=mf) if cfg.augment else images

    crops = dict(scale=cfg.scale, flip=cfg.flip, rot90=cfg.rot90, color_jitter=cfg.color_jitter)
    t_start = time.perf_counter()
    elapsed0 = elapsed
    last_saved = step
    while step < cfg.steps:
        x, y = data.sample(cfg.batch, cfg.image_size, data_gen, class_balanced=cfg.class_balanced, **crops)
        x = x.contiguous(memory_format=mf)
        noise = G_core.make_noise(cfg.batch, cfg.image_size, noise_gen, device=device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            fake = G(**noise, y=y)
        # (1) D: maximise log D(x) + log(1 - D(G(z))), real and fake batches separately (tutorial)
        optD.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            d_real = D_logits(aug(x), y).float()
        l_real = _d_loss(cfg.loss, d_real, d_real)[0]
        l_real.backward()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            d_fake = D_logits(aug(fake.detach()), y).float()
        l_fake = _d_loss(cfg.loss, d_fake, d_fake)[1]
        l_fake.backward()
        optD.step()
        # (2) G: maximise log D(G(z)) (non-saturating) or -D(G(z)) (hinge)
        optG.zero_grad(set_to_none=True)
        if toggle_d:
            for p in d_params:
                p.requires_grad_(False)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            d_gen = D_logits(aug(fake), y).float()
        l_g = _g_loss(cfg.loss, d_gen)
        l_g.backward()
        optG.step()
        if toggle_d:
            for p in d_params:
                p.requires_grad_(True)
        # EMA with a warm-up (the average starts short and grows to 1 / (1 - ema) steps)
        ema_update(G_ema, G_core, min(cfg.ema, (1 + step) / (10 + step)))
        step += 1
        images_seen += cfg.batch * world
        elapsed = elapsed0 + time.perf_counter() - t_start
        if step % cfg.log_every == 0 or step == cfg.steps:
            row = {
                "step": step,
                "loss_d": round(float(l_real.detach() + l_fake.detach()), 5),
                "loss_g": round(float(l_g.detach()), 5),
                "d_real": round(float(d_real.detach().mean()), 5),
                "d_fake": round(float(d_fake.detach().mean()), 5),
                "images_seen": images_seen,
                "elapsed_s": round(elapsed, 2),
            }
            history.append(row)
            if bar is not None:
                bar.set_postfix(loss_d=row["loss_d"], loss_g=row["loss_g"])
        if bar is not None:
            bar.update(1)
        stop = cfg.time_limit_s is not None and elapsed >= cfg.time_limit_s
        if distributed:
            import torch.distributed as dist

            flag = torch.tensor([1.0 if stop else 0.0], device=device)
            dist.all_reduce(flag)
            stop = bool(flag.item() > 0)
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
    if distributed:
        import torch.distributed as dist

        dist.barrier()
    run_s = max(elapsed - elapsed0, 1e-9)
    return TrainResult(
        out_dir=out_dir,
        checkpoint=ckpt_path,
        step=step,
        images_seen=images_seen,
        elapsed_s=elapsed,
        images_per_s=(step - resumed_from) * cfg.batch * world / run_s,
        history=history,
        samples=samples,
        resumed_from=resumed_from,
    )
