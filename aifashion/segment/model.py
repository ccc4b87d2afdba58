"""Cloth segmenter: a config dataclass and a builder (modules only, no training code).

The model is a segmentation_models_pytorch ``Unet``. Input: float ``(B, 3, H, W)``, normalised
with the config's ``mean`` / ``std`` (ImageNet statistics for torchvision-style encoders, 0.5 / 0.5
for the EfficientNet-Lite weights), H and W multiples of 32. Output: logits ``(B, classes, H, W)``.
``classes == 3`` (ours): 0 background, 1 person-but-not-garment, 2 garment.
``classes == 1`` (the ternaus reference): one garment logit.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, fields

import torch.nn as nn

#: ImageNet statistics (torchvision and smp encoders); padding with the mean colour normalises to zero.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class SegmenterConfig:
    """Everything needed to rebuild a segmenter; stored in every checkpoint and export."""

    arch: str = "Unet"
    encoder_name: str = "resnet18"
    encoder_depth: int = 5
    decoder_channels: tuple[int, ...] = (128, 64, 32, 16, 16)
    classes: int = 3
    #: longest side of the network input in pixels (the image is resized to it, then padded
    #: to a multiple of 32): the training size in a checkpoint; an exported file may predict at
    #: another size (its JSON then gives ``train_input_size``).
    input_size: int = 192
    class_names: tuple[str, ...] = ("background", "person", "garment")
    #: input normalisation ``(x / 255 - mean) / std`` per RGB channel; files written before these
    #: fields existed used the ImageNet statistics, the defaults.
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD

    def to_dict(self) -> dict:
        d = asdict(self)
        d["decoder_channels"] = list(self.decoder_channels)
        d["class_names"] = list(self.class_names)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> SegmenterConfig:
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        for k in ("decoder_channels", "class_names", "mean", "std"):
            if k in kw:
                kw[k] = tuple(kw[k])
        return cls(**kw)


def build_segmenter(cfg: SegmenterConfig) -> nn.Module:
    """Build the (randomly initialised) network for ``cfg``; no pretrained weights are fetched."""
    import segmentation_models_pytorch as smp

    if cfg.arch != "Unet":
        raise ValueError(f"unknown segmenter arch {cfg.arch!r}; valid: Unet")
    if len(cfg.decoder_channels) != cfg.encoder_depth:
        raise ValueError("decoder_channels must have encoder_depth entries")
    with warnings.catch_warnings():
        # the ternaus reference names a `timm-` encoder, which smp 0.6 marks as deprecated
        warnings.filterwarnings("ignore", message=".*`timm-` encoders are deprecated", category=DeprecationWarning)
        return smp.Unet(
            encoder_name=cfg.encoder_name,
            encoder_depth=cfg.encoder_depth,
            encoder_weights=None,
            decoder_channels=list(cfg.decoder_channels),
            classes=cfg.classes,
        )
