"""Input conversion: every image form the metrics accept, turned into one tensor (and back).

The metrics accept PIL RGB images, uint8 ``HxWx3`` arrays (0..255), or float tensors
``(3,H,W)`` / ``(B,3,H,W)`` in [-1, 1] (the GANs' output range); :func:`images_to_tensor` turns
any of them into float ``(N, 3, S, S)`` in [-1, 1], :func:`images_to_uint8` goes back.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

__all__ = ["images_to_tensor", "images_to_uint8"]


def _to_hwc_float(img) -> np.ndarray:
    """PIL / uint8 HxW(x3) array / float tensor (3,H,W) or (1,3,H,W) -> float64 (H, W, C)."""
    if isinstance(img, Image.Image):
        return np.asarray(img.convert("RGB"), dtype=np.float64)
    if isinstance(img, torch.Tensor):
        t = img.detach().to("cpu", torch.float64)
        if t.ndim == 4 and t.shape[0] == 1:
            t = t[0]
        if t.ndim == 2:
            t = t[None]
        if t.ndim != 3:
            raise ValueError(f"a tensor image must be (3,H,W) or (1,3,H,W), not {tuple(img.shape)}")
        return t.permute(1, 2, 0).numpy()
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise ValueError(f"an image array must be HxW or HxWxC, not {arr.shape}")
    return arr.astype(np.float64)


def images_to_tensor(images, size: int | None = None) -> torch.Tensor:
    """Turn images into one float tensor ``(N, 3, S, S)`` in [-1, 1].

    Args:
        images: a float tensor ``(N,3,H,W)`` in [-1, 1] (returned as is, resized if needed), a
            uint8 array ``(N,H,W,3)`` (0..255), or a sequence of PIL images / uint8 ``HxWx3``
            arrays / ``(3,H,W)`` tensors in [-1, 1], all of one size.
        size: resize (bilinear, antialiased) to ``size x size`` when the images differ from it;
            None keeps their size.
    """
    if isinstance(images, torch.Tensor):
        x = images.detach().float()
        if x.ndim == 3:
            x = x[None]
    elif isinstance(images, np.ndarray) and images.ndim == 4:
        x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    else:
        parts = []
        for im in images:
            if isinstance(im, torch.Tensor):
                parts.append(im.detach().float().cpu())
            else:
                a = np.asarray(im.convert("RGB") if isinstance(im, Image.Image) else im, dtype=np.uint8)
                parts.append(torch.from_numpy(a.copy()).permute(2, 0, 1).float() / 127.5 - 1.0)
        if not parts:
            raise ValueError("no images given")
        x = torch.stack(parts)
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"images must be (N,3,H,W), not {tuple(x.shape)}")
    if size is not None and (x.shape[-2], x.shape[-1]) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x


def images_to_uint8(images) -> np.ndarray:
    """The inverse of :func:`images_to_tensor`: uint8 ``(N, H, W, 3)`` in 0..255 (for figures, files).

    Args:
        images: anything :func:`images_to_tensor` takes (float tensors are read as [-1, 1] and
            clamped to it).
    """
    x = images_to_tensor(images).clamp(-1, 1)
    return ((x + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
