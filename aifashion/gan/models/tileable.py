"""Our generator: one class-conditional, fully convolutional, seamlessly tileable pattern GAN.

Ideas (and where they come from):

- **Spatial latent** (PSGAN, Bergmann et al. 2017): the input is a grid of ``h x w`` latent
  *cells*; each cell holds local noise (i.i.d. per cell), the global noise (the same in every
  cell: one pattern's "style") and periodic channels. Every layer is a convolution, so a grid
  of any size renders a canvas of ``(h * cell) x (w * cell)`` pixels (``cell = 2 ** n_up``).
- **Seamless on a torus**: every convolution pads circularly and upsampling is nearest-neighbour
  + ``Conv2d(padding_mode="circular")`` (``ConvTranspose2d`` has no circular padding), so the
  canvas is exactly periodic: its right edge continues into its left edge, its bottom into its
  top.
- **Periodic part** (PSGAN): ``n_waves`` plane-wave channels ``sin(2 pi (f . x) + phi)`` whose
  wave vectors ``f`` an MLP derives from the global noise and the class embedding, so the
  period of stripes, checks and dots is learned per pattern. Each ``f`` is *snapped* to the
  nearest multiple of ``1 / w`` cycles per cell (``w`` = grid width; the same for height), so a
  whole number of periods fits the canvas and the waves stay exactly periodic on it
  (straight-through estimator in training). The waves are fed to every hidden level, at that
  level's resolution (not to the last layer, which only paints), so fine periods are not
  limited by the coarse latent grid; each level only gets the waves below its Nyquist
  frequency (no aliasing).
- **Zigzag waves** (ours; ``n_zigzags``, 8 in the shipped generator): ``sin(2 pi (f . x + a tri(g . x + psi)) + phi)``,
  stripes along ``f`` whose phase is folded by a triangle wave along ``g``: straight bands
  with sharp corners (chevrons, zigzags), which plane waves can only build through several
  layers of non-linearities. ``f``, ``g`` (snapped like the plane waves) and the fold
  amplitude ``a`` (cycles of ``f``, in (0, 2)) come from an MLP of the global noise and the
  class embedding. A level only gets a zigzag wave whose steepest local frequency
  ``|f| + 2 a |g|`` is below its Nyquist frequency.
- **Class conditioning**: conditional BatchNorm (gain and bias from the class embedding and the
  global noise, as in BigGAN). The embedding is a linear map of a class-*weights* vector, so a
  one-hot vector is a class and ``0.7 striped + 0.3 floral`` is a mix.
- **Projection discriminator** (Miyato & Koyama 2018) with spectral norm and zero padding (real
  crops are not periodic; the discriminator must not learn from wrap-around edges).

This file holds only modules and their config. Tensors: images float in [-1, 1]. Experiments
that were tried on this generator and not adopted are in ``docs/experiments.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm


@dataclass
class TileableConfig:
    """Everything needed to rebuild the nets (saved in every checkpoint and export)."""

    n_classes: int = 6
    nz_local: int = 32  # local noise channels per latent cell
    nz_global: int = 32  # global noise (one vector per pattern)
    n_waves: int = 16  # periodic plane-wave channels (0 = no periodic part: the ablation)
    n_zigzags: int = 0  # zigzag-wave channels (stripes folded by a triangle wave); 0 = none
    max_freq: float = 4.0  # largest plane- and zigzag-wave frequency, cycles per latent cell
    emb_dim: int = 64  # class embedding
    ngf: int = 16  # channels at the last hidden level; doubled per level towards the latent grid
    max_ch: int = 256
    n_up: int = 4  # upsamplings: one latent cell = 2 ** n_up pixels
    ndf: int = 32  # discriminator channels at its first level
    image_size: int = 64  # training crop side (the discriminator works at any multiple of 16)

    @property
    def n_phases(self) -> int:
        """Random phases per pattern: one per plane wave, two per zigzag wave."""
        return self.n_waves + 2 * self.n_zigzags

    @property
    def n_periodic(self) -> int:
        """Periodic input channels fed to each level: plane waves + zigzag waves."""
        return self.n_waves + self.n_zigzags

    @property
    def cell(self) -> int:
        """Pixels per latent cell along each axis (canvas sides must be multiples of it)."""
        return 2**self.n_up

    def channels(self) -> list[int]:
        """Hidden channels at levels 0 (latent grid) .. n_up - 1."""
        return [min(self.max_ch, self.ngf * 2 ** (self.n_up - 1 - i)) for i in range(self.n_up)]


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm without its own affine; gain ``1 + g(c)`` and bias ``b(c)`` from a condition ``c``."""

    def __init__(self, channels: int, cond_dim: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(cond_dim, channels)
        self.bias = nn.Linear(cond_dim, channels)
        for lin in (self.gain, self.bias):
            nn.init.normal_(lin.weight, 0.0, 0.02)
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        # x (B, C, H, W), c (B, cond_dim)
        h = self.bn(x)
        return h * (1 + self.gain(c))[:, :, None, None] + self.bias(c)[:, :, None, None]


def plane_waves(freq: torch.Tensor, phase: torch.Tensor, h: int, w: int, res: int) -> torch.Tensor:
    """Evaluate ``sin(2 pi (fx x + fy y) + phi)`` on a grid of ``h x w`` cells, ``res`` pixels per cell.

    Args:
        freq: ``(B, K, 2)`` wave vectors ``(fx, fy)`` in cycles per cell.
        phase: ``(B, K)`` phases in radians.
        h, w: grid size in cells; res: pixels per cell at this level.

    Returns:
        ``(B, K, h * res, w * res)`` in [-1, 1], sampled at pixel centres (cell units).
    """
    dev, dt = freq.device, freq.dtype
    ys = (torch.arange(h * res, device=dev, dtype=dt) + 0.5) / res  # (H,)
    xs = (torch.arange(w * res, device=dev, dtype=dt) + 0.5) / res  # (W,)
    ax = (2 * math.pi) * freq[..., 0, None] * xs + phase[..., None]  # (B, K, W)
    ay = (2 * math.pi) * freq[..., 1, None] * ys  # (B, K, H)
    # separable: sin(a + b) = sin a cos b + cos a sin b, an outer product per wave
    return (
        torch.sin(ax)[:, :, None, :] * torch.cos(ay)[:, :, :, None]
        + torch.cos(ax)[:, :, None, :] * torch.sin(ay)[:, :, :, None]
    )


def zigzag_waves(
    freq: torch.Tensor,
    fold: torch.Tensor,
    amp: torch.Tensor,
    phase: torch.Tensor,
    fold_phase: torch.Tensor,
    h: int,
    w: int,
    res: int,
) -> torch.Tensor:
    """Evaluate ``sin(2 pi (f . x + a tri(g . x + psi / 2 pi)) + phi)`` on ``h x w`` cells, ``res`` px each.

    ``tri(t) = 2 |t - round(t)|`` is the triangle wave of period 1 with values in [0, 1]; with
    ``f`` and ``g`` whole periods on the canvas the result is exactly periodic on it.

    Args:
        freq: ``(B, K, 2)`` stripe wave vectors ``f`` in cycles per cell; fold: ``(B, K, 2)``
            fold wave vectors ``g``; amp: ``(B, K)`` fold amplitudes ``a`` in cycles of ``f``;
            phase: ``(B, K)`` ``phi`` and fold_phase: ``(B, K)`` ``psi``, radians.

    Returns:
        ``(B, K, h * res, w * res)`` in [-1, 1], sampled at pixel centres (cell units).
    """
    dev, dt = freq.device, freq.dtype
    ys = ((torch.arange(h * res, device=dev, dtype=dt) + 0.5) / res)[:, None]  # (H, 1)
    xs = ((torch.arange(w * res, device=dev, dtype=dt) + 0.5) / res)[None, :]  # (1, W)

    def dot(v: torch.Tensor) -> torch.Tensor:  # (B, K, 2) -> (B, K, H, W): v . x
        return v[..., 0, None, None] * xs + v[..., 1, None, None] * ys

    t = dot(fold) + (fold_phase / (2 * math.pi))[..., None, None]
    tri = 2 * (t - torch.round(t)).abs()
    return torch.sin(2 * math.pi * (dot(freq) + amp[..., None, None] * tri) + phase[..., None, None])


class TileableGenerator(nn.Module):
    """Spatial latent + class weights -> seamless pattern.

    Call :meth:`sample_latent` for the inputs, then ``forward``::

        z = G.sample_latent(B, h, w, generator)      # canvas (h * cell) x (w * cell) pixels
        img = G(**z, y=labels_or_class_weights)      # (B, 3, h * cell, w * cell)
    """

    def __init__(self, cfg: TileableConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = cfg.channels()
        k = cfg.n_waves
        self.embed = nn.Linear(cfg.n_classes, cfg.emb_dim, bias=False)  # class weights -> embedding
        nn.init.normal_(self.embed.weight, 0.0, 1.0)
        cond = cfg.emb_dim + cfg.nz_global
        if k > 0:
            # wave-vector MLP: [z_global, embedding] -> K wave vectors in cycles per cell
            self.wave_mlp = nn.Sequential(nn.Linear(cond, 128), nn.ReLU(True), nn.Linear(128, 2 * k))
            nn.init.normal_(self.wave_mlp[2].weight, 0.0, 0.02)
            with torch.no_grad():  # initial periods: log-uniform over 4 cells .. 1/3 cell, any direction
                mag = torch.exp(torch.empty(k).uniform_(math.log(0.25), math.log(3.0)))
                ang = torch.empty(k).uniform_(0, math.pi)
                f0 = torch.stack([mag * torch.cos(ang), mag * torch.sin(ang)], 1) / cfg.max_freq
                self.wave_mlp[2].bias.copy_(torch.atanh(f0.clamp(-0.99, 0.99)).flatten())
        if cfg.n_zigzags > 0:
            # zigzag MLP: [z_global, embedding] -> per zigzag wave f (2), g (2), amplitude (1)
            kz = cfg.n_zigzags
            self.zigzag_mlp = nn.Sequential(nn.Linear(cond, 128), nn.ReLU(True), nn.Linear(128, 5 * kz))
            nn.init.normal_(self.zigzag_mlp[2].weight, 0.0, 0.02)
            zmax = cfg.max_freq
            with torch.no_grad():  # initial periods 4 .. 1 cells, g about perpendicular to f, a = 0.5
                hi = min(1.0, 0.7 * zmax)
                mag = torch.exp(torch.empty(2, kz).uniform_(math.log(min(0.25, hi / 2)), math.log(hi)))
                ang = torch.empty(kz).uniform_(0, math.pi)
                ang = torch.stack([ang, ang + math.pi / 2])
                f0 = torch.stack([mag * torch.cos(ang), mag * torch.sin(ang)], -1) / zmax  # (2, kz, 2)
                fg0 = torch.atanh(f0.clamp(-0.99, 0.99)).permute(1, 0, 2).reshape(kz, 4)  # (kz, 4): f, g
                b = torch.cat([fg0, torch.full((kz, 1), math.log(1 / 3))], 1)  # 2 sigmoid(log 1/3) = 0.5
                self.zigzag_mlp[2].bias.copy_(b.flatten())
        kp = cfg.n_periodic  # shipped: 16 plane + 8 zigzag waves; ch = [128, 64, 32, 16]
        # level 0, on the latent grid: (nz_local + nz_global + Kp) x h x w -> ch[0] x h x w
        self.convs = nn.ModuleList(
            [nn.Conv2d(cfg.nz_local + cfg.nz_global + kp, ch[0], 3, 1, 1, bias=False, padding_mode="circular")]
        )
        self.norms = nn.ModuleList([ConditionalBatchNorm2d(ch[0], cond)])
        # levels 1 .. n_up-1: upsample x2 (nearest), concat waves -> ch[i] x (h 2^i) x (w 2^i)
        for i in range(1, cfg.n_up):
            self.convs.append(nn.Conv2d(ch[i - 1] + kp, ch[i], 3, 1, 1, bias=False, padding_mode="circular"))
            self.norms.append(ConditionalBatchNorm2d(ch[i], cond))
        # last level: upsample x2 -> ch[-1] x (h cell) x (w cell) -> 3 x (h cell) x (w cell), Tanh
        self.to_rgb = nn.Conv2d(ch[-1], 3, 3, 1, 1, padding_mode="circular")
        for m in self.convs:
            nn.init.normal_(m.weight, 0.0, 0.02)
        nn.init.normal_(self.to_rgb.weight, 0.0, 0.02)
        nn.init.zeros_(self.to_rgb.bias)

    # ------------------------------------------------------------------ inputs
    def sample_latent(
        self,
        batch: int,
        h: int,
        w: int,
        generator: torch.Generator | None = None,
        device: str | torch.device | None = None,
    ) -> dict[str, torch.Tensor]:
        """Random inputs for a ``batch`` of canvases of ``h x w`` latent cells.

        Returns a dict: ``z_local`` ``(B, nz_local, h, w)`` ~ N(0, 1); ``z_global``
        ``(B, nz_global)`` ~ N(0, 1); ``phase`` ``(B, n_waves + 2 n_zigzags)`` ~ U(0, 2 pi). All drawn from
        ``generator`` in that order (global first, so a seed fixes a pattern's style at every canvas size).
        """
        dev = device if device is not None else self.embed.weight.device
        c = self.cfg
        zg = torch.randn(batch, c.nz_global, generator=generator, device=dev)
        ph = torch.rand(batch, c.n_phases, generator=generator, device=dev) * (2 * math.pi)
        zl = torch.randn(batch, c.nz_local, h, w, generator=generator, device=dev)
        return {"z_local": zl, "z_global": zg, "phase": ph}

    def make_noise(
        self, batch: int, size: int, generator: torch.Generator | None = None, device: str | torch.device | None = None
    ) -> dict[str, torch.Tensor]:
        """Inputs for square canvases of ``size`` pixels (a multiple of ``cfg.cell``)."""
        if size % self.cfg.cell or size <= 0:
            raise ValueError(f"canvas size must be a positive multiple of {self.cfg.cell} pixels, not {size}")
        n = size // self.cfg.cell
        return self.sample_latent(batch, n, n, generator, device)

    def class_weights(self, y: torch.Tensor) -> torch.Tensor:
        """Labels ``(B,)`` int64 -> one-hot weights ``(B, n_classes)``; float weights pass through."""
        if y.dtype in (torch.int64, torch.int32, torch.long):
            return F.one_hot(y, self.cfg.n_classes).to(self.embed.weight.dtype)
        return y.to(self.embed.weight.dtype)

    def wave_vectors(self, z_global: torch.Tensor, cw: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """``(B, K, 2)`` wave vectors in cycles per cell, snapped so ``fx * w`` and ``fy * h`` are
        whole numbers (exactly periodic on an ``h x w`` grid); straight-through gradient."""
        cond = torch.cat([self.embed(cw), z_global], 1)
        raw = self.cfg.max_freq * torch.tanh(self.wave_mlp(cond).float().view(-1, self.cfg.n_waves, 2))
        return _snap(raw, h, w)

    def zigzag_params(
        self, z_global: torch.Tensor, cw: torch.Tensor, h: int, w: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Stripe vectors ``f`` ``(B, Kz, 2)``, fold vectors ``g`` ``(B, Kz, 2)`` (cycles per cell,
        snapped like :meth:`wave_vectors`) and fold amplitudes ``a`` ``(B, Kz)`` in (0, 2)."""
        kz = self.cfg.n_zigzags
        cond = torch.cat([self.embed(cw), z_global], 1)
        out = self.zigzag_mlp(cond).float().view(-1, kz, 5)
        fg = _snap(self.cfg.max_freq * torch.tanh(out[..., :4]).view(-1, kz, 2, 2), h, w)
        return fg[:, :, 0], fg[:, :, 1], 2 * torch.sigmoid(out[..., 4])

    # ------------------------------------------------------------------ forward
    def forward(
        self, z_local: torch.Tensor, z_global: torch.Tensor, phase: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        """Render canvases.

        Args:
            z_local: ``(B, nz_local, h, w)``; z_global: ``(B, nz_global)``;
            phase: ``(B, n_waves + 2 n_zigzags)`` radians; y: labels ``(B,)`` int64 or class weights
                ``(B, n_classes)`` float (rows summing to 1 for a mix).

        Returns:
            ``(B, 3, h * cell, w * cell)`` in [-1, 1], periodic along both axes.
        """
        c = self.cfg
        B, _, h, w = z_local.shape
        cw = self.class_weights(y)
        cond = torch.cat([self.embed(cw), z_global], 1)  # (B, emb_dim + nz_global)
        freq = self.wave_vectors(z_global, cw, h, w) if c.n_waves > 0 else None
        zz = self.zigzag_params(z_global, cw, h, w) if c.n_zigzags > 0 else None
        phase = phase.float()

        def waves(res: int, like: torch.Tensor) -> list[torch.Tensor]:
            out = []
            # anti-aliasing: a level with res pixels per cell only gets the waves below its
            # Nyquist frequency (res / 2 cycles per cell); finer waves join at finer levels
            if freq is not None:
                keep = (freq.detach().abs() < res / 2).all(-1).to(freq.dtype)  # (B, K)
                out.append(
                    (plane_waves(freq, phase[:, : c.n_waves], h, w, res) * keep[:, :, None, None]).to(like.dtype)
                )
            if zz is not None:
                f, g, a = zz
                steepest = f.detach().abs() + 2 * a.detach()[..., None] * g.detach().abs()  # (B, Kz, 2)
                keep = (steepest < res / 2).all(-1).to(f.dtype)  # (B, Kz)
                k0, kz = c.n_waves, c.n_zigzags
                zw = zigzag_waves(f, g, a, phase[:, k0 : k0 + kz], phase[:, k0 + kz :], h, w, res)
                out.append((zw * keep[:, :, None, None]).to(like.dtype))
            return out

        # Shapes per sample (C x H x W); "shipped" = the shipped config (Kp = 16 + 8 periodic
        # channels, ch = 128, 64, 32, 16) on a 64 px canvas (h = w = 4 cells).
        zg = z_global[:, :, None, None].expand(B, c.nz_global, h, w)
        x = torch.cat([z_local, zg.to(z_local.dtype)] + waves(1, z_local), 1)
        # input: (nz_local + nz_global + Kp) x h x w                         shipped: 88 x 4 x 4
        x = F.relu(self.norms[0](self.convs[0](x), cond))
        # level 0: ch[0] x h x w                                             shipped: 128 x 4 x 4
        for i in range(1, c.n_up):
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = torch.cat([x] + waves(2**i, x), 1)
            # level i input: (ch[i-1] + Kp) x h 2^i x w 2^i          shipped: 152 x 8 x 8, 88 x 16 x 16, 56 x 32 x 32
            x = F.relu(self.norms[i](self.convs[i](x), cond))
            # level i: ch[i] x h 2^i x w 2^i                         shipped: 64 x 8 x 8, 32 x 16 x 16, 16 x 32 x 32
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        # last level: ch[-1] -> 3 x (h cell) x (w cell), Tanh     shipped: 16 x 64 x 64 -> 3 x 64 x 64
        return torch.tanh(self.to_rgb(x))


def _snap(raw: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Wave vectors ``(..., 2)`` (cycles per cell, x then y) snapped to whole periods on an
    ``h x w`` grid; straight-through gradient."""
    cells = torch.tensor([w, h], device=raw.device, dtype=raw.dtype)
    snapped = torch.round(raw * cells) / cells
    return raw + (snapped - raw).detach()


class TileableDiscriminator(nn.Module):
    """The tileable generator's discriminator, class-conditional by projection (Miyato & Koyama):
    image ``(B, 3, S, S)`` in [-1, 1] + labels ``(B,)`` -> realness score ``(B,)`` (logits).

    ``S`` any multiple of 16. Spectral-normalised stride-2 convs (zero padding), LeakyReLU 0.2,
    global sum pooling to features ``phi``; score = ``w . phi + cond <embed(y), phi>`` (``cond``
    = 1 unless training ramps the class conditioning in: 0 is an unconditional critic).
    """

    def __init__(self, cfg: TileableConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.ndf
        sn = spectral_norm
        self.main = nn.Sequential(
            sn(nn.Conv2d(3, d, 3, 1, 1)),
            nn.LeakyReLU(0.2, True),  # d x S x S
            sn(nn.Conv2d(d, d, 4, 2, 1)),
            nn.LeakyReLU(0.2, True),  # d x S/2
            sn(nn.Conv2d(d, 2 * d, 4, 2, 1)),
            nn.LeakyReLU(0.2, True),  # 2d x S/4
            sn(nn.Conv2d(2 * d, 4 * d, 4, 2, 1)),
            nn.LeakyReLU(0.2, True),  # 4d x S/8
            sn(nn.Conv2d(4 * d, 8 * d, 4, 2, 1)),
            nn.LeakyReLU(0.2, True),  # 8d x S/16
        )
        self.linear = sn(nn.Linear(8 * d, 1))
        self.embed = sn(nn.Embedding(cfg.n_classes, 8 * d))

    def logits(self, x: torch.Tensor, y: torch.Tensor, cond: float = 1.0) -> torch.Tensor:
        phi = self.main(x).sum(dim=(2, 3)).float()  # (B, 8d)
        proj = (self.embed(y) * phi).sum(1)  # (B,) the class term
        return self.linear(phi).squeeze(1) + (proj if cond == 1 else cond * proj)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.logits(x, y)
