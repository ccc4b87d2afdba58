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
  bit-identical to a run that was never interrupted (same device and thread count).
- Multi-process through ``torchrun`` (DDP; gloo on CPU, nccl on CUDA): each process draws its
  own batches, gradients are averaged, rank 0 writes the files.
- :func:`export_generator` writes the EMA generator as safetensors + a JSON config from which
  :func:`aifashion.gan.generate.load_generator` rebuilds it.

CLI: ``aifashion train-gan --data-dir DIR --out-dir DIR [--model tileable] ...``
"""
from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from aifashion.atomic import atomic_save, atomic_write_text
from aifashion.gan.augment import diff_augment, parse_policy
from aifashion.device import bf16_supported, resolve_device
from aifashion.gan.checkpoint import CKPT_FORMAT
from aifashion.gan.models import build_model




@dataclass
class TrainConfig:
    """Every knob of a training run (saved in each checkpoint).

    Paths have no defaults that depend on the current directory: ``out_dir`` is required;
    ``data_dir=None`` means ``$AIFASHION_DATA/clothing-patterns-fingercamera``.
    """

    out_dir: str | None = None
    data_dir: str | None = None
    model: str = "tileable"  # "dcgan" (the tutorial baseline) or "tileable" (ours)
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
    class_weights: dict | None = None  # with class_balanced: relative draw weight per class name (others 1)
    class_scale: dict | None = None  # with class_balanced: crop scale (lo, hi) per class name (others: scale)
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
        if self.class_weights is not None:
            self.class_weights = {str(k): float(v) for k, v in dict(self.class_weights).items()}
            if any(v < 0 for v in self.class_weights.values()):
                raise ValueError(f"class_weights must be >= 0, not {self.class_weights}")
        if self.class_scale is not None:
            self.class_scale = {str(k): tuple(float(x) for x in v) for k, v in dict(self.class_scale).items()}
            for k, v in self.class_scale.items():
                if len(v) != 2 or not 0 < v[0] <= v[1] <= 1:
                    raise ValueError(f"class_scale[{k!r}] must be (lo, hi) with 0 < lo <= hi <= 1, not {v}")
            if self.class_scale and not self.class_balanced:
                raise ValueError("class_scale needs class_balanced=True")
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


def fixed_inputs(G: nn.Module, n_classes: int, cols: int, size: int, seed: int, device) -> tuple[dict, torch.Tensor]:
    """The fixed noise of the sample grids: one row per class, ``cols`` columns, seeded."""
    g = torch.Generator(device="cpu").manual_seed(seed + 7919)
    noise = G.make_noise(n_classes * cols, size, g, device="cpu")
    labels = torch.arange(n_classes).repeat_interleave(cols)
    return {k: v.to(device) for k, v in noise.items()}, labels.to(device)


def save_grid(images: torch.Tensor, path: Path, nrow: int) -> Path:
    """Save ``(B, 3, S, S)`` in [-1, 1] as one PNG grid (atomically)."""
    from torchvision.utils import make_grid

    grid = make_grid(images.float().cpu().clamp(-1, 1) * 0.5 + 0.5, nrow=nrow, padding=2, pad_value=1.0)
    arr = (grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype("uint8")
    from PIL import Image

    atomic_save(path, lambda p: Image.fromarray(arr).save(p, format="PNG"))
    return path


def write_loss_log(history: list[dict], out_dir: Path) -> None:
    """``losses.csv`` and ``losses.png`` (discriminator and generator loss per step)."""
    if not history:
        return
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(history[0]))
    w.writeheader()
    w.writerows(history)
    atomic_write_text(out_dir / "losses.csv", buf.getvalue())
    from aifashion.viz import loss_figure

    fig = loss_figure(history)
    atomic_save(out_dir / "losses.png", lambda p: fig.savefig(p, format="png", dpi=100))


def _gen_states(gens: Sequence[torch.Generator]) -> list[torch.Tensor]:
    return [g.get_state() for g in gens]


# ---------------------------------------------------------------------------- training
def _saved_config(current: Any, saved: dict) -> dict | None:
    """A checkpoint's model config as the current config class reads it: fields added to the
    class since the checkpoint was written take their defaults (so an older run can resume when
    those defaults match); ``None`` when the saved config has fields the class no longer knows."""
    try:
        return asdict(type(current)(**saved))
    except TypeError:
        return None


def _class_sampling(cfg: TrainConfig, classes: list) -> tuple[list | None, list | None]:
    """How batches draw classes: ``(class_weights, groups)``.

    ``class_weights``: one weight per class in ``classes`` order from ``cfg.class_weights``
    (others 1), or ``None``. ``groups``: with ``cfg.class_scale``, ``[(n, scale, weights), ...]``,
    one per distinct crop scale: its share ``n`` of the batch (by class weight), its ``(lo, hi)``
    and the class weights with the other groups' classes at 0; ``None`` without it (one draw per
    batch). Unknown class names: ``ValueError`` listing the data's classes.
    """
    for name in ("class_weights", "class_scale"):
        unknown = sorted(set(getattr(cfg, name) or {}) - set(classes))
        if unknown:
            raise ValueError(f"{name} names unknown classes {unknown}; the data has {classes}")
    weights = [cfg.class_weights.get(c, 1.0) for c in classes] if cfg.class_weights else None
    if not cfg.class_scale:
        return weights, None
    w = weights or [1.0] * len(classes)
    scales = [cfg.class_scale.get(c, cfg.scale) for c in classes]
    distinct = []
    for sc, wc in zip(scales, w):
        if wc > 0 and sc not in distinct:
            distinct.append(sc)
    groups, left = [], cfg.batch
    for i, sc in enumerate(distinct):
        wg = [wc if s == sc else 0.0 for s, wc in zip(scales, w)]
        n = left if i == len(distinct) - 1 else max(1, round(cfg.batch * sum(wg) / sum(w)))
        left -= n
        groups.append((n, sc, wg))
    if any(n < 1 for n, _, _ in groups):
        raise ValueError(f"batch {cfg.batch} is too small for {len(distinct)} crop-scale groups")
    return weights, groups


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
    data = ResidentPatternData.from_folder(data_dir, device, size=cfg.data_size, classes=cfg.classes,
                                           max_per_class=cfg.max_per_class, seed=cfg.seed)
    class_weights, groups = _class_sampling(cfg, data.classes)
    mconf = dict(cfg.model_config)
    if cfg.model == "tileable":
        mconf.setdefault("n_classes", len(data.classes))
        mconf.setdefault("image_size", cfg.image_size)
        if mconf["n_classes"] != len(data.classes):
            raise ValueError(f"model_config n_classes={mconf['n_classes']} but the data has {len(data.classes)} classes")
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
    optD = torch.optim.Adam(D.parameters(), lr=lr_d, betas=cfg.betas)
    data_gen = torch.Generator(device=device).manual_seed(cfg.seed * 1000 + 1 + 7 * rank)
    noise_gen = torch.Generator(device=device).manual_seed(cfg.seed * 1000 + 2 + 7 * rank)

    ckpt_path = out_dir / "checkpoint.pt"
    step, images_seen, elapsed, history, resumed_from = 0, 0, 0.0, [], 0
    grown: list = []  # add_zigzag_waves / add_paint_waves records, kept in every later checkpoint
    if cfg.resume and ckpt_path.is_file():
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ck.get("format") != CKPT_FORMAT or ck["model"] != cfg.model or _saved_config(pair.config, ck["model_config"]) != asdict(pair.config):
            raise ValueError(f"{ckpt_path} is from a different model or config; use another out_dir or resume=False")
        G.load_state_dict(ck["G"])
        D.load_state_dict(ck["D"])
        G_ema.load_state_dict(ck["G_ema"])
        optG.load_state_dict(ck["optG"])
        optD.load_state_dict(ck["optD"])
        step, images_seen, elapsed = ck["step"], ck["images_seen"], ck["elapsed_s"]
        history = list(ck["history"])
        grown = list(ck.get("grown", []))
        states = ck["rng"]
        if len(states) == world:
            data_gen.set_state(states[rank][0].cpu() if device.type == "cpu" else states[rank][0])
            noise_gen.set_state(states[rank][1].cpu() if device.type == "cpu" else states[rank][1])
        else:  # a different number of processes: fresh streams, derived from the step
            data_gen.manual_seed(cfg.seed * 1000 + 1 + 7 * rank + 1_000_003 * step)
            noise_gen.manual_seed(cfg.seed * 1000 + 2 + 7 * rank + 1_000_003 * step)
        resumed_from = step
        del ck

    G_core, D_core = G, D
    D_logits: nn.Module = _Logits(D)
    if distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        G = DDP(G, device_ids=ids, broadcast_buffers=True)
        D_logits = DDP(D_logits, device_ids=ids, broadcast_buffers=True)

    fixed_noise, fixed_labels = fixed_inputs(G_core, len(data.classes), cfg.n_sample_cols, cfg.image_size, cfg.seed, device)
    samples: list[Path] = []
    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "samples").mkdir(exist_ok=True)
        info = {"train_config": asdict(cfg), "model": cfg.model, "model_config": asdict(pair.config),
                "classes": data.classes, "counts": data.counts(), "data_dir": str(data_dir),
                "device": str(device), "amp_bf16": use_amp, "channels_last": use_cl, "world_size": world,
                "num_threads": torch.get_num_threads()}
        atomic_write_text(out_dir / "config.json", json.dumps(info, indent=2))

    def sample_grid(at: int) -> None:
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            imgs = G_ema(**fixed_noise, y=fixed_labels)
        p = save_grid(imgs, out_dir / "samples" / f"step_{at:07d}.png", cfg.n_sample_cols)
        save_grid(imgs, out_dir / "samples" / "latest.png", cfg.n_sample_cols)
        samples.append(p)

    def checkpoint(at: int) -> None:
        states = _gen_states([data_gen, noise_gen])
        if distributed:
            import torch.distributed as dist

            gathered: list = [None] * world
            dist.all_gather_object(gathered, [s.cpu() for s in states])
            states = gathered
        else:
            states = [states]
        if not main:
            return
        ck = {"format": CKPT_FORMAT, "model": cfg.model, "model_config": asdict(pair.config),
              "train_config": asdict(cfg), "classes": data.classes, "step": at, "images_seen": images_seen,
              "elapsed_s": elapsed, "G": G_core.state_dict(), "D": D_core.state_dict(), "G_ema": G_ema.state_dict(),
              "optG": optG.state_dict(), "optD": optD.state_dict(), "rng": states, "history": history,
              "grown": grown, "device": str(device), "world_size": world, "amp_bf16": use_amp,
              "hardware": f"{platform.machine()} {platform.processor() or ''}".strip(),
              "num_threads": torch.get_num_threads()}
        atomic_save(ckpt_path, lambda p: torch.save(ck, p))
        write_loss_log(history, out_dir)
        if not cfg.progress:  # a log line per checkpoint for background runs
            last = history[-1] if history else {}
            print(f"step {at}/{cfg.steps} images {images_seen} elapsed {elapsed:.0f}s "
                  f"loss_d {last.get('loss_d')} loss_g {last.get('loss_g')}", flush=True)

    bar = None
    if main and cfg.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=step, desc=f"train {cfg.model}", unit="step", dynamic_ncols=True)
    toggle_d = not distributed  # D needs no weight gradients in the G step (DDP wants them all)

    def aug(images: torch.Tensor) -> torch.Tensor:  # DiffAugment: same random transforms for real and fake
        return diff_augment(images, cfg.augment, data_gen).contiguous(memory_format=mf) if cfg.augment else images

    t_start = time.perf_counter()
    elapsed0 = elapsed
    last_saved = step
    while step < cfg.steps:
        if groups is None:
            x, y = data.sample(cfg.batch, cfg.image_size, data_gen, scale=cfg.scale, flip=cfg.flip, rot90=cfg.rot90,
                               color_jitter=cfg.color_jitter, class_balanced=cfg.class_balanced,
                               class_weights=class_weights)
        else:  # one draw per crop-scale group, each its fixed share of the batch
            parts = [data.sample(n, cfg.image_size, data_gen, scale=sc, flip=cfg.flip, rot90=cfg.rot90,
                                 color_jitter=cfg.color_jitter, class_balanced=True, class_weights=w)
                     for n, sc, w in groups]
            x, y = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
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
            D_core.requires_grad_(False)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            d_gen = D_logits(aug(fake), y).float()
        l_g = _g_loss(cfg.loss, d_gen)
        l_g.backward()
        optG.step()
        if toggle_d:
            D_core.requires_grad_(True)
        # EMA with a warm-up (the average starts short and grows to 1 / (1 - ema) steps)
        ema_update(G_ema, G_core, min(cfg.ema, (1 + step) / (10 + step)))
        step += 1
        images_seen += cfg.batch * world
        elapsed = elapsed0 + time.perf_counter() - t_start
        if step % cfg.log_every == 0 or step == cfg.steps:
            row = {"step": step, "loss_d": round(float(l_real.detach() + l_fake.detach()), 5), "loss_g": round(float(l_g.detach()), 5),
                   "d_real": round(float(d_real.detach().mean()), 5), "d_fake": round(float(d_fake.detach().mean()), 5),
                   "images_seen": images_seen, "elapsed_s": round(elapsed, 2)}
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
    return TrainResult(out_dir=out_dir, checkpoint=ckpt_path, step=step, images_seen=images_seen, elapsed_s=elapsed,
                       images_per_s=(step - resumed_from) * cfg.batch * world / run_s, history=history,
                       samples=samples, resumed_from=resumed_from)


# ---------------------------------------------------------------------------- export
@torch.no_grad()
def add_zigzag_waves(checkpoint: str | os.PathLike, out_path: str | os.PathLike, n_zigzags: int,
                     seed: int = 0, zigzag_max_freq: float = 0.0, replace: bool = False) -> Path:
    """Grow a trained tileable generator's checkpoint by ``n_zigzags`` zigzag-wave channels
    (:func:`aifashion.gan.models.tileable.zigzag_waves`) without changing what it draws.

    The new channels join the end of every level's input; their input weights start at zero, so
    the grown generator renders exactly what the old one did (for the same noise and phases;
    the new phases are appended). The zigzag MLP gets a seeded fresh init. Optimiser moments
    carry over by parameter name (zeros for the new input channels; none yet for the new MLP).
    Resume the result with ``--model-config n_zigzags=N`` (``train-gan`` in a run folder that
    holds it as ``checkpoint.pt``; add ``zigzag_max_freq=F`` when it is set).

    Args:
        checkpoint: a ``train_gan`` checkpoint of the tileable model (without zigzag waves unless
            ``replace``).
        out_path: where the grown checkpoint goes (written atomically).
        zigzag_max_freq: the new waves' frequency cap (``TileableConfig.zigzag_max_freq``).
        replace: the checkpoint has zigzag waves: drop them first (their input weights and MLP;
            this changes what it draws), then grow fresh ones.

    Returns:
        ``out_path`` as a ``Path``.
    """
    from aifashion.gan.models.tileable import TileableConfig

    ck, old_cfg = _load_tileable_checkpoint(checkpoint)
    if n_zigzags <= 0 or (old_cfg.n_zigzags != 0 and not replace):
        raise ValueError(f"grows a generator without zigzag waves by n_zigzags > 0 (it has {old_cfg.n_zigzags}, "
                         f"asked for {n_zigzags}; replace=True drops existing ones first)")
    new_cfg = TileableConfig(**{**asdict(old_cfg), "n_zigzags": int(n_zigzags), "zigzag_max_freq": float(zigzag_max_freq)})
    n_old = old_cfg.n_zigzags

    def convert(name: str, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor | None:
        if n_old and name.startswith("zigzag_mlp."):
            return None  # the old zigzag MLP goes; the new one keeps its fresh init
        if n_old and name.startswith("convs.") and t.dim() == 4:
            t = t[:, : t.shape[1] - n_old]  # the zigzag channels are the last inputs
        return _grow_inputs(t, like)

    return _regrow_generator(ck, old_cfg, new_cfg, convert, out_path, seed,
                             {"n_zigzags": int(n_zigzags), "zigzag_max_freq": float(zigzag_max_freq), "replaced": n_old})


def add_paint_waves(checkpoint: str | os.PathLike, out_path: str | os.PathLike, seed: int = 0) -> Path:
    """Grow a trained tileable generator's checkpoint so its last (RGB) layer also gets the
    waves (``TileableConfig.paint_waves``) without changing what it draws.

    The RGB layer's new input channels (one per plane and zigzag wave) start with zero weights,
    so the grown generator renders exactly what the old one did; their optimiser moments start
    at zero too. Resume the result with ``--model-config paint_waves=true`` (plus the model's
    other non-default settings, e.g. ``n_zigzags=8``) in a run folder that holds it as
    ``checkpoint.pt``.

    Returns:
        ``out_path`` as a ``Path``.
    """
    from aifashion.gan.models.tileable import TileableConfig

    ck, old_cfg = _load_tileable_checkpoint(checkpoint)
    if old_cfg.paint_waves or old_cfg.n_periodic == 0:
        raise ValueError(f"{checkpoint}: grows a generator that has waves and does not paint them yet "
                         f"(paint_waves={old_cfg.paint_waves}, {old_cfg.n_periodic} waves)")
    new_cfg = TileableConfig(**{**asdict(old_cfg), "paint_waves": True})
    return _regrow_generator(ck, old_cfg, new_cfg, lambda name, t, like: _grow_inputs(t, like),
                             out_path, seed, {"paint_waves": True})


def _load_tileable_checkpoint(checkpoint: str | os.PathLike):
    """A ``train_gan`` checkpoint of the tileable model (on the CPU) and its ``TileableConfig``."""
    from aifashion.gan.models.tileable import TileableConfig

    ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if ck.get("model") != "tileable":
        raise ValueError(f"{checkpoint} is not a tileable-generator checkpoint")
    return ck, TileableConfig(**ck["model_config"])


def _grow_inputs(old: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``old`` with zero weights appended for new input channels (dim 1) to match ``like``."""
    if old.shape == like.shape:
        return old.clone()
    if old.dim() == 4 and old.shape[0] == like.shape[0] and old.shape[2:] == like.shape[2:] and old.shape[1] < like.shape[1]:
        out = torch.zeros(like.shape, dtype=old.dtype)
        out[:, : old.shape[1]] = old
        return out
    raise ValueError(f"cannot grow a tensor of shape {tuple(old.shape)} into {tuple(like.shape)}")


def _regrow_generator(ck: dict, old_cfg, new_cfg, convert, out_path: str | os.PathLike, seed: int, note: dict) -> Path:
    """Rebuild a checkpoint's generator (raw, EMA and Adam moments, by parameter name) for
    ``new_cfg``: ``convert(name, old_tensor, new_template)`` maps each old tensor (None drops it:
    the new model's seeded init stays); write it atomically to ``out_path``."""
    with torch.random.fork_rng(devices=[]):  # seeded init; the global RNG is left alone
        torch.manual_seed(seed)
        G_new = build_model("tileable", **asdict(new_cfg)).generator
        old_G = build_model("tileable", **asdict(old_cfg)).generator  # for its parameter names only
    old_names = [n for n, _ in old_G.named_parameters()]
    new_names = [n for n, _ in G_new.named_parameters()]
    template = G_new.state_dict()
    for key in ("G", "G_ema"):
        state = dict(template)
        for name, t in ck[key].items():
            t = convert(name, t.cpu(), template[name])
            if t is not None:
                state[name] = t
        ck[key] = state
    opt = ck["optG"]
    by_name = {old_names[i]: st for i, st in opt["state"].items()}
    new_state = {}
    for j, name in enumerate(new_names):
        if name not in by_name:
            continue
        st = by_name[name]
        moments = {m: convert(name, st[m].cpu(), template[name]) for m in ("exp_avg", "exp_avg_sq") if m in st}
        if all(t is not None for t in moments.values()):  # a dropped parameter's moments go with it
            new_state[j] = {**st, **moments}
    opt["state"] = new_state
    opt["param_groups"][0]["params"] = list(range(len(new_names)))
    ck["model_config"] = asdict(new_cfg)
    ck["grown"] = list(ck.get("grown", [])) + [{"step": ck["step"], "seed": seed, **note}]
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(out, lambda p: torch.save(ck, p))
    return out
