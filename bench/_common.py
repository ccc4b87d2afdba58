"""What the benchmarks share: the machine line, device sync, and the DCGAN tutorial's data set."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch


def machine(device: torch.device, load_note: str = "") -> str:
    """One line naming the CPU, torch threads, torch version, device and load average."""
    cpu = platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    s = f"CPU: {cpu}; {os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()}; torch {torch.__version__}"
    s += f"; device: {torch.cuda.get_device_name(device)}" if device.type == "cuda" else "; device: cpu"
    try:
        s += f"; load average {os.getloadavg()[0]:.1f}{load_note}"
    except OSError:
        pass
    return s


def sync(device: torch.device) -> None:
    """Wait for queued GPU work so that wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def tutorial_dataset(folder: Path, image_size: int = 64):
    """The PyTorch DCGAN tutorial's data set: ImageFolder + Resize/CenterCrop/ToTensor/Normalize."""
    import torchvision.datasets as dset
    import torchvision.transforms as transforms

    return dset.ImageFolder(
        root=str(folder),
        transform=transforms.Compose(
            [
                transforms.Resize(image_size),
                transforms.CenterCrop(image_size),
                transforms.ToTensor(),
                transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
            ]
        ),
    )


def pattern_folder(explicit: str | None) -> Path | None:
    """``explicit``, else ``$AIFASHION_DATA/clothing-patterns-fingercamera``; None when absent."""
    from aifashion.paths import FINGERCAMERA, data_root

    folder = Path(explicit) if explicit else (data_root() or Path("/nonexistent")) / FINGERCAMERA
    return folder if folder.is_dir() else None


def pick_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; any other name as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
