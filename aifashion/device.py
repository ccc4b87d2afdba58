"""Where tensors live and which precision pays off there.

- ``resolve_device("auto") -> torch.device``: CUDA when there is one, else the CPU.
- ``bf16_supported(device) -> bool``: bf16 autocast is worth it (CUDA with bf16, or a CPU with
  AVX512-BF16 / AMX).
"""

from __future__ import annotations

import torch


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> cuda if available else cpu; anything else as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def bf16_supported(device: torch.device) -> bool:
    """bf16 autocast pays off: CUDA with bf16, or a CPU with AVX512-BF16 / AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        cpu = getattr(torch, "cpu", None)
        for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
            fn = getattr(cpu, probe, None)
            if fn is not None and fn():
                return True
    return False
