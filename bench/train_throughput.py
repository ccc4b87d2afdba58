"""End-to-end GAN training throughput: the PyTorch DCGAN tutorial's recipe against ours, on the
same nets and data, side by side in one run; plus pattern-generation speed.

- **tutorial**: ``ImageFolder`` + ``Resize(64)/CenterCrop(64)/ToTensor/Normalize`` +
  ``DataLoader(batch 128, shuffle, 2 workers)``, fp32, the tutorial's nets
  (:mod:`aifashion.gan.models.dcgan`, which *are* the tutorial's), Adam(2e-4, betas 0.5/0.999),
  ``BCELoss`` on the Sigmoid output, the tutorial's D-real / D-fake / G step, written out here
  as in the tutorial.
- **ours**: :func:`aifashion.gan.train.train_gan` with ``model="dcgan"`` (the same nets), batch
  128: device-resident data (:class:`~aifashion.data.resident.ResidentPatternData`, crops
  augmented per batch on the device), bf16 autocast and channels_last where the device
  supports them, BCE-with-logits (the same maths), plus an EMA of G (extra work, kept in).
  Its images/s is ``TrainResult.images_per_s`` (training loop only; the one-off decode of the
  folder is printed separately).

Generation (skip with ``--skip-generate``): time to render one 256x256 pattern (median of
``--repeats``) and one seamless 2048x2048 pattern with its seam score, with the shipped
generator (``aifashion/weights/generator.safetensors``), ``--generator FILE``, or — if there is
none — a randomly initialised tileable generator of the default config (same cost; said so).

Usage::

    python bench/train_throughput.py [--device cpu|cuda] [--steps N] [--quick]

Prints the machine, each figure, and the training ratio ours / tutorial last. A third run (ours
in fp32 with contiguous tensors; ``--no-decompose`` skips it) splits the ratio into what the
device-resident data gives and what bf16 + channels_last give. A fourth (``--no-ceiling`` skips
it) times ours' step alone on one fixed batch already on the device (no data draw, no EMA): the
most any data pipeline could make the ratio on this machine with these nets and this precision.
An ``arithmetic`` line turns each images/s into sustained GFLOP/s (2.48 GFLOP per training image,
counted by torch), so the ratio can be read against what the hardware can do: on a CPU the
convolutions bound the step, and bf16 (AVX512-BF16 without AMX) at most doubles a core's
multiply-add rate over fp32.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn as nn
from _common import machine, pattern_folder, pick_device, sync, tutorial_dataset  # bench/ is on sys.path

from aifashion.paths import FINGERCAMERA


def tutorial_step(device: torch.device, seed: int = 0):
    """The tutorial's nets, optimizers and training step; returns ``step(data)`` (data: (B, 3, 64, 64)
    in [-1, 1]), written out as in the tutorial."""
    from aifashion.gan.models.dcgan import DCGANConfig, Discriminator, Generator

    cfg = DCGANConfig()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        netG, netD = Generator(cfg).to(device), Discriminator(cfg).to(device)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    noise_gen = torch.Generator(device=device).manual_seed(seed)
    real_label, fake_label = 1.0, 0.0

    def step(data: torch.Tensor) -> None:
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        real_cpu = data.to(device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        noise = torch.randn(b_size, cfg.nz, 1, 1, device=device, generator=noise_gen)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        optD.step()
        # (2) Update G network: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        optG.step()

    return step


def step_gflop_per_image(device: torch.device, batch: int = 4) -> float:
    """Floating-point work of one tutorial training step per image (forward and backward of every
    layer, as counted by ``torch.utils.flop_counter.FlopCounterMode``), in GFLOP. Ours does the same
    maths minus D's weight gradients in the G step, which it skips (D is frozen there)."""
    from torch.utils.flop_counter import FlopCounterMode

    step = tutorial_step(device)
    with FlopCounterMode(display=False) as counter:
        step(torch.zeros(batch, 3, 64, 64, device=device))
    return counter.get_total_flops() / batch / 1e9


def tutorial_images_per_s(
    folder: Path, steps: int, device: torch.device, batch: int = 128, workers: int = 2, seed: int = 0
) -> float:
    """The tutorial's training loop; images/s over ``steps`` steps after one warm-up step."""
    dataset = tutorial_dataset(folder, 64)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch, shuffle=True, num_workers=workers, generator=torch.Generator().manual_seed(seed)
    )
    step = tutorial_step(device, seed)

    done, t0, warm = 0, None, True
    while True:
        for data, _ in loader:  # each epoch starts the workers again, as in the tutorial
            step(data)
            if warm:
                sync(device)
                warm, t0 = False, time.perf_counter()
                continue
            done += len(data)
            steps -= 1
            if steps <= 0:
                sync(device)
                return done / (time.perf_counter() - t0)


# ------------------------------------------------------------------------------- ours
def ours_images_per_s(
    folder: Path,
    steps: int,
    device: torch.device,
    batch: int = 128,
    seed: int = 0,
    amp: str = "auto",
    channels_last: str = "auto",
) -> tuple[float, float, dict]:
    """``train_gan`` on the tutorial nets; returns (images/s, one-off setup s, run info)."""
    import json

    from aifashion.gan.train import TrainConfig, train_gan

    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        cfg = TrainConfig(
            out_dir=tmp,
            data_dir=str(folder),
            model="dcgan",
            steps=steps + 1,
            batch_size=batch,
            device=str(device),
            amp=amp,
            channels_last=channels_last,
            seed=seed,
            ckpt_every=10**9,
            sample_every=10**9,
            log_every=10**9,
            progress=False,
            resume=False,
        )
        t0 = time.perf_counter()
        res = train_gan(cfg)
        total = time.perf_counter() - t0
        info = json.loads((Path(tmp) / "config.json").read_text())
    setup = total - res.elapsed_s
    return res.images_per_s, setup, {"amp_bf16": info.get("amp_bf16"), "channels_last": info.get("channels_last")}


def step_ceiling_images_per_s(steps: int, device: torch.device, batch: int = 128, seed: int = 0) -> float:
    """Ours' training step alone, the most any data pipeline could give: the tutorial nets in
    bf16 autocast (where supported) + channels_last, one fixed real batch already on the device,
    BCE-with-logits, D frozen in the G step; no data draw, no augmentation, no EMA."""
    import torch.nn.functional as F

    from aifashion.device import bf16_supported
    from aifashion.gan.models.dcgan import DCGANConfig, Discriminator, Generator

    cfg = DCGANConfig()
    amp = bf16_supported(device)
    mf = torch.channels_last if amp else torch.contiguous_format
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = Generator(cfg).to(device, memory_format=mf)
        D = Discriminator(cfg).to(device, memory_format=mf)
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    gen = torch.Generator(device=device).manual_seed(seed)
    x = (torch.rand(batch, 3, 64, 64, device=device, generator=gen) * 2 - 1).contiguous(memory_format=mf)
    ones, zeros = torch.ones(batch, device=device), torch.zeros(batch, device=device)

    def step() -> None:
        noise = torch.randn(batch, cfg.nz, 1, 1, device=device, generator=gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            fake = G(noise)
        optD.zero_grad(set_to_none=True)
        for images, target in ((x, ones), (fake.detach(), zeros)):  # real and fake batches separately
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                logits = D.logits(images).float()
            F.binary_cross_entropy_with_logits(logits, target).backward()
        optD.step()
        optG.zero_grad(set_to_none=True)
        D.requires_grad_(False)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            logits = D.logits(fake).float()
        F.binary_cross_entropy_with_logits(logits, ones).backward()
        optG.step()
        D.requires_grad_(True)

    step()  # warm-up
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return steps * batch / (time.perf_counter() - t0)


# ------------------------------------------------------------------------------- generation
def generation(device: torch.device, path: str | None, repeats: int, big: int) -> None:
    from aifashion.metrics import seam_score

    gen = None
    try:
        from aifashion.gan.generate import load_generator

        gen = load_generator(path, device=str(device))
        if gen.model_name != "tileable":
            print(f"generation: {path} is a {gen.model_name} export; the timing needs the tileable model")
            gen = None
        else:
            print(f"generation: {path or 'shipped weights'} (tileable, bf16 {gen.bf16})")
    except (FileNotFoundError, ImportError) as exc:
        print(f"generation: no exported generator ({exc}); timing a randomly initialised tileable generator")
    if gen is None:
        from aifashion.device import bf16_supported
        from aifashion.gan.generate import PatternGenerator
        from aifashion.gan.models import build_model

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            pair = build_model("tileable")
        gen = PatternGenerator(
            pair.generator.to(device),
            "tileable",
            [f"class{i}" for i in range(pair.config.n_classes)],
            {},
            device,
            bf16=bf16_supported(device),
        )
    cat = gen.classes[0]
    gen.render(cat, seed=0, size=256)  # warm-up
    times = []
    for r in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        gen.render(cat, seed=r, size=256)
        sync(device)
        times.append(time.perf_counter() - t0)
    print(
        f"generate one 256x256 pattern: {statistics.median(times) * 1000:.1f} ms (median of {repeats}; target < 50 ms)"
    )
    t0 = time.perf_counter()
    img = gen.render(cat, seed=1, size=big)
    sync(device)
    dt = time.perf_counter() - t0
    print(f"generate one {big}x{big} pattern: {dt:.2f} s; seam score {seam_score(img):.3f} (1.0 = seamless)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help=f"pattern folder (default $AIFASHION_DATA/{FINGERCAMERA})")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto")
    p.add_argument("--steps", type=int, default=20, help="timed training steps per side (batch 128)")
    p.add_argument("--threads", type=int, default=None, help="torch threads in this process")
    p.add_argument("--generator", help="exported tileable generator for the generation timings")
    p.add_argument("--repeats", type=int, default=10, help="256x256 renders to time")
    p.add_argument("--big", type=int, default=2048, help="side of the large seamless render")
    p.add_argument("--skip-generate", action="store_true")
    p.add_argument("--quick", action="store_true", help="5 steps per side, 3 renders, a 1024 px large render")
    p.add_argument(
        "--no-ceiling",
        action="store_true",
        help="skip the fourth run (ours' step alone on one fixed batch: the most the ratio could be)",
    )
    p.add_argument(
        "--no-decompose",
        action="store_true",
        help="skip the third run (ours in fp32, contiguous) that splits the ratio into data and precision",
    )
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.steps, args.repeats, args.big = 5, 3, 1024
    folder = pattern_folder(args.data)
    if folder is None:
        print("no pattern folder: give --data or set AIFASHION_DATA", file=sys.stderr)
        return 2
    device = pick_device(args.device)
    print(machine(device))
    if not args.skip_generate:
        generation(device, args.generator, args.repeats, args.big)
    print(f"training: tutorial DCGAN nets, batch 128 at 64x64, {args.steps} timed steps per side; folder {folder}")
    tut = tutorial_images_per_s(folder, args.steps, device)
    print(f"tutorial (ImageFolder + DataLoader 2 workers, fp32): {tut:8.1f} images/s")
    ours, setup, info = ours_images_per_s(folder, args.steps, device)
    print(
        f"ours (train_gan: resident data, bf16 {info['amp_bf16']}, channels_last {info['channels_last']}): "
        f"{ours:8.1f} images/s  (one-off setup {setup:.1f} s)"
    )
    if not args.no_decompose:
        # where the ratio comes from: the same loop in fp32 / contiguous isolates the data pipeline
        plain, _, _ = ours_images_per_s(folder, args.steps, device, amp="off", channels_last="off")
        print(f"ours in fp32, contiguous (resident data only):  {plain:8.1f} images/s")
        print(
            f"  data pipeline: {plain / tut:.2f}x; bf16 + channels_last: {ours / plain:.2f}x "
            f"(the product is the ratio below; when the tutorial's step is compute-bound the data part is small)"
        )
    if not args.no_ceiling:
        ceil = step_ceiling_images_per_s(args.steps, device)
        print(
            f"ceiling: ours' step alone (same nets and precision, one fixed batch on the device, no data draw, "
            f"no EMA): {ceil:8.1f} images/s = {ceil / tut:.2f}x the tutorial; ours reaches {ours / ceil:.0%} of it"
        )
    gflop = step_gflop_per_image(device)
    rates = f"tutorial {tut * gflop:.0f}, ours {ours * gflop:.0f}"
    if not args.no_decompose:
        rates += f", ours fp32 {plain * gflop:.0f}"
    print(
        f"arithmetic: {gflop:.2f} GFLOP per training image (tutorial step, FlopCounterMode) -> that work "
        f"in GFLOP/s: {rates} on {torch.get_num_threads() if device.type == 'cpu' else 'the GPU'}"
        f"{' threads' if device.type == 'cpu' else ''}"
    )
    print(f"ratio ours / tutorial: {ours / tut:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
