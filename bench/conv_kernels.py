"""Where a tutorial-DCGAN training step spends its arithmetic: the three stride-2 4x4
convolutions of the discriminator (the generator's transposed ones are their mirror images),
timed side by side for the forward pass, the input gradient and the weight gradient, in bf16 +
channels_last (ours on a CPU with AVX512-BF16) and in fp32 contiguous (the tutorial).

A training step runs each discriminator layer forward 3 times, input-gradient 3 times and
weight-gradient 2 times (real and fake in the D step; D is frozen in the G step), so a slow
weight-gradient kernel bounds ``bench/train_throughput.py``'s ratio however fast the data comes.

Usage::

    python bench/conv_kernels.py [--threads N] [--batch 128] [--repeats 8]

Prints one line per layer and precision: milliseconds and GFLOP/s of each pass, then each
gradient pass's rate as a fraction of that layer's forward rate (1.0 = as efficient).
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from _common import machine  # bench/ is on sys.path

LAYERS = [(64, 128, 32), (128, 256, 16), (256, 512, 8)]  # (in channels, out channels, input side)


def _ms(fn, repeats: int) -> float:
    fn()
    fn()  # warm-up: the first calls pick and build the kernels
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats * 1000


def time_layer(
    cin: int,
    cout: int,
    side: int,
    batch: int,
    dtype: torch.dtype,
    fmt: torch.memory_format,
    repeats: int,
    seed: int = 0,
) -> dict[str, float]:
    """Milliseconds of ``conv2d(k=4, s=2, p=1)`` forward, input gradient and weight gradient for
    ``(batch, cin, side, side) -> (batch, cout, side/2, side/2)``; plus ``gflop`` of one pass."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, cin, side, side, generator=g).to(dtype).contiguous(memory_format=fmt)
    w = (torch.randn(cout, cin, 4, 4, generator=g) * 0.02).to(dtype).contiguous(memory_format=fmt)
    y = torch.nn.functional.conv2d(x, w, stride=2, padding=1)
    grad = torch.randn(y.shape, generator=g).to(dtype).contiguous(memory_format=fmt)

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            grad, x, w, None, [2, 2], [1, 1], [1, 1], False, [0, 0], 1, mask
        )

    out = {
        "forward": _ms(lambda: torch.nn.functional.conv2d(x, w, stride=2, padding=1), repeats),
        "input_grad": _ms(backward([True, False, False]), repeats),
        "weight_grad": _ms(backward([False, True, False]), repeats),
    }
    out["gflop"] = 2 * batch * cout * (side // 2) ** 2 * cin * 16 / 1e9
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None, help="torch threads")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeats", type=int, default=8)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine(torch.device("cpu")))
    variants = [
        ("bf16 channels_last", torch.bfloat16, torch.channels_last),
        ("fp32 contiguous", torch.float32, torch.contiguous_format),
    ]
    for cin, cout, side in LAYERS:
        for name, dtype, fmt in variants:
            t = time_layer(cin, cout, side, args.batch, dtype, fmt, args.repeats)
            rate = {k: t["gflop"] / t[k] * 1000 for k in ("forward", "input_grad", "weight_grad")}
            print(
                f"conv {cin:3d}->{cout:3d} at {side:2d}px, {name:18s}: "
                + ", ".join(f"{k} {t[k]:6.1f} ms ({rate[k]:4.0f} GFLOP/s)" for k in rate)
                + f" | input_grad {rate['input_grad'] / rate['forward']:.2f}, "
                f"weight_grad {rate['weight_grad'] / rate['forward']:.2f} of the forward's rate"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
