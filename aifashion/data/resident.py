"""Device-resident training data: decode once, augment per batch on the device.

The PyTorch DCGAN tutorial feeds its nets through ``ImageFolder`` + ``DataLoader``: every
image is decoded, resized and normalised again in every epoch by Python worker processes.
Here the whole pattern set is decoded *once* into one ``uint8`` tensor ``(N, 3, H, W)`` on the
training device (CPU or CUDA). Each batch is then cut out of it with batched tensor ops only:

1. pick ``B`` image indices, crop sides ``s = scale * H`` (quantised to a few bins) and crop
   positions, all from one ``torch.Generator``;
2. per bin, one gather from a strided view of every window cuts the crops (uint8) from the
   mip level that is closest above ``out_size``, and one antialiased ``F.interpolate`` resizes
   them to ``out_size``;
3. per-sample flips and 90-degree rotations (fabric textures allow them) as masked
   whole-batch ops;
4. optional per-sample colour jitter (brightness, contrast, saturation), then ``[-1, 1]``.

There is no per-image Python loop in :meth:`ResidentPatternData.sample` (only one over the
few scale bins).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class ResidentPatternData:
    """A pattern set held as one uint8 tensor on a device.

    Attributes:
        images: uint8 tensor ``(N, 3, H, W)``, values 0..255, RGB, on ``device``.
        labels: int64 tensor ``(N,)``, indices into ``classes``, on ``device``.
        classes: class names (sorted folder names).
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4 or self.images.shape[1] != 3:
            raise ValueError(f"images must be uint8 (N, 3, H, W), not {self.images.dtype} {tuple(self.images.shape)}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"labels must have shape ({self.images.shape[0]},), not {tuple(self.labels.shape)}")
        if len(self.images) == 0:
            raise ValueError("the pattern set is empty")
        self.images = self.images.contiguous()
        self.labels = self.labels.to(device=self.images.device, dtype=torch.int64)
        # mip-map: level l holds the images shrunk 2**l times (antialiased), built once, so that
        # a batch of large crops is cut from a smaller level instead of being shrunk per batch.
        self._levels = [self.images]
        while min(self._levels[-1].shape[2:]) >= 64:
            prev = self._levels[-1]
            down = torch.cat([F.avg_pool2d(prev[i : i + 64].float(), 2).round_().to(torch.uint8)
                              for i in range(0, len(prev), 64)])
            self._levels.append(down.contiguous())

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls, images: np.ndarray, labels: np.ndarray, classes: Sequence[str], device: str | torch.device = "cpu"
    ) -> "ResidentPatternData":
        """Wrap uint8 ``(N, H, W, 3)`` images and int64 ``(N,)`` labels (numpy) as a resident set."""
        t = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
        return cls(t.to(device), torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device), list(classes))

    @classmethod
    def from_folder(
        cls,
        folder: str | os.PathLike,
        device: str | torch.device = "cpu",
        size: int = 256,
        classes: Sequence[str] | None = None,
        max_per_class: int | None = None,
        seed: int = 0,
    ) -> "ResidentPatternData":
        """Decode a folder of class sub-folders once and put it on ``device``.

        Args:
            folder: ``folder/<class>/<image>``; unreadable files are skipped (see
                :func:`aifashion.data.folders.scan_pattern_folder`).
            device: where the uint8 tensor lives (``"cpu"``, ``"cuda"``, ...).
            size: every image is resized (shorter side) and centre-cropped to ``size x size``.
                Crops are taken from this resolution: with ``scale=(0.25, 0.5)`` and
                ``size=256`` a crop covers 64..128 pixels of it.
            classes, max_per_class, seed: passed to ``scan_pattern_folder``.
        """
        from aifashion.data.folders import load_pattern_images, scan_pattern_folder

        pf = scan_pattern_folder(folder, classes=classes, max_per_class=max_per_class, seed=seed)
        images, labels = load_pattern_images(pf, size)
        if len(images) == 0:
            raise ValueError(f"no readable images in {pf.root}")
        return cls.from_arrays(images, labels, pf.classes, device)

    # ------------------------------------------------------------------ properties
    @property
    def device(self) -> torch.device:
        return self.images.device

    @property
    def size(self) -> int:
        """Side of the stored images in pixels (``H``)."""
        return int(self.images.shape[2])

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def counts(self) -> dict[str, int]:
        """Images per class name."""
        c = torch.bincount(self.labels.cpu(), minlength=len(self.classes)).tolist()
        return dict(zip(self.classes, c))

    # ------------------------------------------------------------------ sampling
    def sample(
        self,
        batch_size: int,
        out_size: int,
        generator: torch.Generator | None = None,
        scale: tuple[float, float] = (1.0, 1.0),
        flip: bool = True,
        rot90: bool = True,
        color_jitter: float = 0.0,
        class_balanced: bool = False,
        indices: torch.Tensor | None = None,
        n_bins: int = 4,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw an augmented batch, all on the device.

        Args:
            batch_size: ``B``.
            out_size: ``S``, side of the returned crops in pixels.
            generator: a ``torch.Generator`` on the data device; every random choice comes from
                it, so a saved ``generator.get_state()`` replays the same batches.
            scale: crop side as a fraction of the stored side ``H``, drawn uniformly per sample
                from ``[lo, hi]`` (``0 < lo <= hi <= 1``).
            flip: random horizontal flips (and, with ``rot90``, thereby all 8 symmetries of the
                square).
            rot90: random rotations by multiples of 90 degrees.
            color_jitter: strength ``j`` in ``[0, 1)``: brightness, contrast and saturation are
                each multiplied by a factor drawn from ``[1 - j, 1 + j]`` per sample.
            class_balanced: draw classes uniformly, then an image of that class (otherwise
                images uniformly).
            indices: use these image indices (``(B,)`` int64) instead of drawing them.
            n_bins: crop sides are quantised to this many values spread over ``scale`` (each
                bin is one batched gather + resize).

        Returns:
            ``(x, y)``: ``x`` float32 ``(B, 3, S, S)`` in ``[-1, 1]``; ``y`` int64 ``(B,)``.
        """
        lo, hi = float(scale[0]), float(scale[1])
        if not (0 < lo <= hi <= 1):
            raise ValueError(f"scale must satisfy 0 < lo <= hi <= 1, not {scale}")
        if batch_size < 1 or out_size < 1:
            raise ValueError("batch_size and out_size must be >= 1")
        if not 0 <= color_jitter < 1:
            raise ValueError(f"color_jitter must be in [0, 1), not {color_jitter}")
        dev = self.device
        g = generator
        n, _, H, W = self.images.shape
        B = batch_size

        def rand(*shape):
            return torch.rand(*shape, generator=g, device=dev)

        # 1. which images, which crop sizes and positions
        if indices is not None:
            idx = indices.to(dev, torch.int64)
            B = len(idx)
        elif class_balanced:
            k = len(self.classes)
            cls_ = torch.randint(0, k, (B,), generator=g, device=dev)
            # rank of a uniform draw inside each chosen class
            onehot = self.labels[None, :] == cls_[:, None]  # (B, N)
            count = onehot.sum(1)
            r = (rand(B) * count).long().clamp_max(count - 1)
            order = torch.cumsum(onehot.long(), 1) - 1  # rank of each image within its class
            idx = torch.argmax((onehot & (order == r[:, None])).long(), 1)
        else:
            idx = torch.randint(0, n, (B,), generator=g, device=dev)
        # 2. crop sides, quantised to a few bins so that each bin is one batched op: a
        #    per-sample scale without a per-image loop
        bins = 1 if hi - lo < 1e-6 else n_bins
        u = rand(B)
        b = (u * bins).long().clamp_max(bins - 1)  # (B,) bin of each sample
        side = min(H, W)
        x = torch.empty(B, 3, out_size, out_size, device=dev)
        for bi in range(bins):
            sel = (b == bi).nonzero().squeeze(1)
            if len(sel) == 0:
                continue
            frac = lo + (hi - lo) * (bi + 0.5) / bins
            # the smallest mip level that keeps >= out_size pixels per crop side
            level = 0
            while level + 1 < len(self._levels) and frac * side / 2 ** (level + 1) >= out_size:
                level += 1
            images = self._levels[level]
            h, w = images.shape[2:]
            c = max(1, min(h, w, int(round(frac * min(h, w)))))
            y0 = (rand(len(sel)) * (h - c + 1)).long().clamp_max(h - c)
            x0 = (rand(len(sel)) * (w - c + 1)).long().clamp_max(w - c)
            # every c x c window as a strided view, then one gather: (b, 3, c, c) uint8
            windows = images.unfold(2, c, 1).unfold(3, c, 1)  # (N, 3, h-c+1, w-c+1, c, c)
            crop = windows[idx[sel], :, y0, x0].float()
            if c != out_size:
                crop = F.interpolate(crop, size=(out_size, out_size), mode="bilinear",
                                     antialias=c > out_size, align_corners=False)
            x[sel] = crop
        x = x / 127.5 - 1.0  # (B, 3, S, S) in [-1, 1]

        # 3. the symmetries of the square, per sample, as masked whole-batch ops
        if rot90:
            k = torch.randint(0, 4, (B, 1, 1, 1), generator=g, device=dev)
            x = torch.where(k == 1, x.rot90(1, (2, 3)), x)
            x = torch.where(k == 2, x.flip((2, 3)), x)  # from the un-rotated ones: 180 degrees
            x = torch.where(k == 3, x.rot90(-1, (2, 3)), x)
        if flip:
            fl = torch.randint(0, 2, (B, 1, 1, 1), generator=g, device=dev) == 1
            x = torch.where(fl, x.flip(3), x)

        # 4. colour jitter, per sample
        if color_jitter > 0:
            j = color_jitter
            bright = 1 + j * (2 * rand(B, 1, 1, 1) - 1)
            contrast = 1 + j * (2 * rand(B, 1, 1, 1) - 1)
            sat = 1 + j * (2 * rand(B, 1, 1, 1) - 1)
            x01 = (x + 1) / 2 * bright
            mean = x01.mean(dim=(1, 2, 3), keepdim=True)
            x01 = (x01 - mean) * contrast + mean
            gray = (0.299 * x01[:, 0:1] + 0.587 * x01[:, 1:2] + 0.114 * x01[:, 2:3])
            x01 = (x01 - gray) * sat + gray
            x = x01.clamp(0, 1) * 2 - 1
        return x.clamp_(-1, 1), self.labels[idx]
