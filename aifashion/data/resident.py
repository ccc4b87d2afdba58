"""Device-resident training data: decode once, augment per batch on the device.

The PyTorch DCGAN tutorial feeds its nets through ``ImageFolder`` + ``DataLoader``: every
image is decoded, resized and normalised again in every epoch by Python worker processes.
Here the whole pattern set is decoded *once* into one ``uint8`` tensor ``(N, 3, H, W)`` on the
training device (CPU or CUDA). Each batch is then cut out of it with batched tensor ops only:

1. pick ``B`` image indices, crop sides ``s = scale * H`` (quantised to a few bins), crop
   positions and one of the 8 symmetries of the square (dihedral group D4: a 90-degree turn,
   then optionally a mirror; fabric textures allow them), all from one ``torch.Generator``;
2. per bin, one gather from a strided view of every window cuts the crops (uint8) from the
   smallest level of a mip pyramid (levels ``sqrt(2)`` apart, built once, antialiased) that
   still holds ``>= out_size`` pixels per crop side, and one antialiased bilinear
   ``F.interpolate`` resizes them to ``out_size``, directly in uint8 on channels-last storage
   (torch's fast kernel; it shrinks by less than ``sqrt(2)``, crops of exactly ``out_size``
   keep their pixels);
3. the symmetries as one gather through 8 precomputed pixel index maps (no per-sample
   ``torch.where`` chain), still in uint8, then one conversion to float ``[-1, 1]``;
4. optional per-sample colour jitter (brightness, contrast, saturation).

There is no per-image Python loop in :meth:`ResidentPatternData.sample` (only one over the
few scale bins).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


def _d4_maps(size: int, device: torch.device) -> torch.Tensor:
    """The 8 symmetries of the square as pixel index maps ``(8, size * size)`` int64.

    ``img.view(size * size)[maps[2 * r + f]]`` is ``img`` turned by ``r * 90`` degrees
    (``torch.rot90(img, r)``), then mirrored left-right if ``f``.
    """
    ar = torch.arange(size * size).view(size, size)
    maps = []
    for r in range(4):
        t = torch.rot90(ar, r, (0, 1))
        maps += [t.reshape(-1), t.flip(1).reshape(-1)]
    return torch.stack(maps).to(device)


def _resize_uint8(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Antialiased bilinear resize of uint8 ``(B, 3, h, w)`` to ``(B, 3, *size)`` uint8.

    On CPU directly in uint8 (torch has a fast kernel for channels-last RGB); elsewhere (CUDA
    has no uint8 bilinear) through float32, rounded back to uint8: the same result up to
    rounding.
    """
    aa = x.shape[2] > size[0] or x.shape[3] > size[1]
    if x.device.type == "cpu":
        return F.interpolate(x, size=size, mode="bilinear", antialias=aa, align_corners=False)
    y = F.interpolate(x.float(), size=size, mode="bilinear", antialias=aa, align_corners=False)
    return y.round_().clamp_(0, 255).to(torch.uint8)


@dataclass
class ResidentPatternData:
    """A pattern set held as one uint8 tensor on a device.

    Attributes:
        images: uint8 tensor ``(N, 3, H, W)``, values 0..255, RGB, on ``device`` (stored
            channels-last; a mip pyramid of about the same size again is kept beside it).
        labels: int64 tensor ``(N,)``, indices into ``classes``, on ``device``.
        classes: class names (sorted folder names).
        colour_gains: the per-channel gains the set was white-balanced with
            (:func:`aifashion.data.colour.grey_world_gains`), or None.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    colour_gains: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4 or self.images.shape[1] != 3:
            raise ValueError(f"images must be uint8 (N, 3, H, W), not {self.images.dtype} {tuple(self.images.shape)}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"labels must have shape ({self.images.shape[0]},), not {tuple(self.labels.shape)}")
        if len(self.images) == 0:
            raise ValueError("the pattern set is empty")
        # channels-last storage: the window gather copies runs of c * 3 bytes, and uint8
        # bilinear resizing has a fast kernel for channels-last RGB
        self.images = self.images.contiguous(memory_format=torch.channels_last)
        self.labels = self.labels.to(device=self.images.device, dtype=torch.int64)
        # mip-map: level l holds the images shrunk sqrt(2)**l times (antialiased), built once,
        # so that a batch of large crops is cut from a smaller level (shrunk by < sqrt(2) per
        # batch) instead of being gathered and shrunk at full size every batch.
        self._levels = [self.images]
        H, W = self.images.shape[2:]
        lv = 1
        while min(H, W) / 2 ** (lv / 2) >= 32:
            size = (int(round(H / 2 ** (lv / 2))), int(round(W / 2 ** (lv / 2))))
            src = self._levels[-2] if lv >= 2 else self.images  # halve the level two above
            down = torch.cat([_resize_uint8(src[i : i + 64], size) for i in range(0, len(src), 64)])
            self._levels.append(down.contiguous(memory_format=torch.channels_last))
            lv += 1
        self._maps: dict[int, torch.Tensor] = {}  # out_size -> the 8 D4 pixel maps

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls, images: np.ndarray, labels: np.ndarray, classes: Sequence[str], device: str | torch.device = "cpu"
    ) -> ResidentPatternData:
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
        white_balance: bool = False,
    ) -> ResidentPatternData:
        """Decode a folder of class sub-folders once and put it on ``device``.

        Args:
            folder: ``folder/<class>/<image>``; unreadable files are skipped (see
                :func:`aifashion.data.folders.scan_pattern_folder`).
            device: where the uint8 tensor lives (``"cpu"``, ``"cuda"``, ...).
            size: every image is resized (shorter side) and centre-cropped to ``size x size``.
                Crops are taken from this resolution: with ``scale=(0.25, 0.5)`` and
                ``size=256`` a crop covers 64..128 pixels of it.
            classes, max_per_class, seed: passed to ``scan_pattern_folder``.
            white_balance: balance the whole set's colour at once (one gain per channel makes
                its mean colour grey: :mod:`aifashion.data.colour`), taking out the camera's cast;
                the gains are those of the photos loaded (``classes`` and ``max_per_class`` apply).
        """
        from aifashion.data.folders import load_pattern_images, scan_pattern_folder

        pf = scan_pattern_folder(folder, classes=classes, max_per_class=max_per_class, seed=seed)
        images, labels = load_pattern_images(pf, size)
        if len(images) == 0:
            raise ValueError(f"no readable images in {pf.root}")
        if not white_balance:
            return cls.from_arrays(images, labels, pf.classes, device)
        from aifashion.data.colour import apply_gains, grey_world_gains

        gains = grey_world_gains(images)
        data = cls.from_arrays(apply_gains(images, gains), labels, pf.classes, device)
        data.colour_gains = tuple(round(float(g), 4) for g in gains)
        return data

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
            flip: random horizontal mirrors (with ``rot90``: all 8 symmetries of the square,
                each with probability 1/8).
            rot90: random rotations by multiples of 90 degrees (``torch.rot90`` by ``r`` in
                0..3, uniform); a mirror is applied after the rotation.
            color_jitter: strength ``j`` in ``[0, 1)``: brightness, contrast and saturation are
                each multiplied by a factor drawn from ``[1 - j, 1 + j]`` per sample.
            class_balanced: draw classes uniformly, then an image of that class (otherwise
                images uniformly).
            indices: use these image indices (``(B,)`` int64) instead of drawing them.
            n_bins: crop sides are quantised to this many values spread over ``scale`` (each
                bin is one batched gather + resize; the crops of a bin are cut from one mip
                level, so a crop side means the same fraction of the photo at every level).

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
            cls_ = torch.randint(0, len(self.classes), (B,), generator=g, device=dev)
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
        # 3. a symmetry of the square per sample: rotation r (k * 90 degrees), then flip f
        r = (
            torch.randint(0, 4, (B,), generator=g, device=dev)
            if rot90
            else torch.zeros(B, dtype=torch.long, device=dev)
        )
        f = torch.randint(0, 2, (B,), generator=g, device=dev) if flip else torch.zeros(B, dtype=torch.long, device=dev)
        sym = r * 2 + f  # (B,) which of the 8 symmetries of the square
        x8 = torch.empty(B, 3, out_size, out_size, dtype=torch.uint8, device=dev)
        for bi in range(bins):
            sel = (b == bi).nonzero().squeeze(1) if bins > 1 else None
            m = B if sel is None else len(sel)
            if m == 0:
                continue
            frac = lo + (hi - lo) * (bi + 0.5) / bins
            # the smallest mip level that keeps >= out_size pixels per crop side, so that the
            # resize below shrinks by less than sqrt(2) (or keeps the native pixels)
            level = 0
            while level + 1 < len(self._levels) and round(frac * min(self._levels[level + 1].shape[2:])) >= out_size:
                level += 1
            images = self._levels[level]
            h, w = images.shape[2:]
            c = max(1, min(h, w, int(round(frac * min(h, w)))))
            y0 = (rand(m) * (h - c + 1)).long().clamp_max(h - c)
            x0 = (rand(m) * (w - c + 1)).long().clamp_max(w - c)
            # every c x c window as a strided view, then one gather: (m, 3, c, c) uint8,
            # channels-last like the stored levels
            windows = images.unfold(2, c, 1).unfold(3, c, 1)  # (N, 3, h-c+1, w-c+1, c, c)
            crop = windows[idx if sel is None else idx[sel], :, y0, x0]
            if c != out_size:
                crop = _resize_uint8(crop, (out_size, out_size))
            if sel is None:
                x8.copy_(crop)
            else:
                x8[sel] = crop
        if rot90 or flip:  # the symmetry permutes pixels: one gather with 8 precomputed maps
            if out_size not in self._maps:
                self._maps[out_size] = _d4_maps(out_size, dev)
            flat = x8.view(B, 3, out_size * out_size)
            x8 = flat.gather(2, self._maps[out_size][sym][:, None].expand(B, 3, -1)).view_as(x8)
        x = x8.float().mul_(1 / 127.5).sub_(1.0)  # (B, 3, S, S) in [-1, 1]

        # 4. colour jitter, per sample
        if color_jitter > 0:
            j = color_jitter
            bright = 1 + j * (2 * rand(B, 1, 1, 1) - 1)
            contrast = 1 + j * (2 * rand(B, 1, 1, 1) - 1)
            sat = 1 + j * (2 * rand(B, 1, 1, 1) - 1)
            x01 = (x + 1) / 2 * bright
            mean = x01.mean(dim=(1, 2, 3), keepdim=True)
            x01 = (x01 - mean) * contrast + mean
            gray = 0.299 * x01[:, 0:1] + 0.587 * x01[:, 1:2] + 0.114 * x01[:, 2:3]
            x01 = (x01 - gray) * sat + gray
            x = x01.clamp(0, 1) * 2 - 1
        return x.clamp_(-1, 1), self.labels[idx]
