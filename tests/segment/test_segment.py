"""Tests of aifashion.segment: registry, predict on odd inputs, train/evaluate, weights, CLI."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from aifashion import segment
from aifashion.cli import main as cli_main
from aifashion.registry import UnknownNameError
from aifashion.segment import (
    GARMENT_LABELS,
    PERSON_LABELS,
    Segmenter,
    SegTrainConfig,
    evaluate,
    export_segmenter,
    load_segmenter,
    train_segmenter,
)
from aifashion.segment.data import ResidentSegData, ccp_split, group_lut
from aifashion.segment.evaluate import confusion, iou_from_confusion
from aifashion.segment.model import SegmenterConfig, build_segmenter
from aifashion.segment.train import _loss

TINY = SegmenterConfig(encoder_name="resnet18", decoder_channels=(32, 16, 16, 16, 8), input_size=96)


def _tiny_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_segmenter(TINY).eval()


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("w") / "tiny.safetensors"
    export_segmenter(_tiny_model(), TINY, out, {"note": "random weights for tests"})
    return out


@pytest.fixture(scope="module")
def tiny(tiny_weights) -> Segmenter:
    return load_segmenter("aifashion-ccp", weights=tiny_weights)


# ---------------------------------------------------------------- registry and labels
def test_unknown_segmenter_lists_valid_names():
    with pytest.raises(UnknownNameError) as err:
        load_segmenter("no-such-model")
    assert "aifashion-ccp" in str(err.value) and "ternaus-2020-10-30" in str(err.value)
    assert segment.SEGMENTERS.names() == ["aifashion-lite0", "aifashion-ccp", "ternaus-2020-10-30"]
    assert segment.DEFAULT_SEGMENTER == "aifashion-lite0"


def test_label_groups_cover_labels_txt(ccp_dir):
    names = dict(line.split("\t") for line in (ccp_dir / "labels.txt").read_text().splitlines() if line.strip())
    ids = {int(k) for k in names} - {0}
    assert set(GARMENT_LABELS).isdisjoint(PERSON_LABELS)
    assert set(GARMENT_LABELS) | set(PERSON_LABELS) == ids
    for i, n in {**GARMENT_LABELS, **PERSON_LABELS}.items():
        assert names[str(i)] == n  # names in the code agree with the data set
    lut = group_lut()
    assert lut[0] == 0 and lut[41] == 1 and lut[19] == 1 and lut[14] == 2 and lut[31] == 2 and lut[39] == 1


def test_split_is_fixed_and_disjoint(ccp_dir):
    train, val = ccp_split(ccp_dir)
    assert len(val) == 100 and val == sorted(val) and max(train) < min(val)
    assert set(train).isdisjoint(val)
    assert ccp_split(ccp_dir) == (train, val)


# ---------------------------------------------------------------- predict
def _check(masks, h, w):
    for m in (masks.garment, masks.person):
        assert m.shape == (h, w) and m.dtype == np.float32
        assert np.isfinite(m).all() and m.min() >= 0.0 and m.max() <= 1.0
    assert (masks.person >= masks.garment - 1e-6).all()


def _photo(w=64, h=48, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _png16() -> bytes:
    """A 16-bit grayscale PNG file (bytes), opened like an upload."""
    img = Image.fromarray(_photo()[..., 0].astype(np.uint16) * 257)
    assert img.mode.startswith("I;16")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.fromarray(_photo()).convert("L"),
        lambda: Image.fromarray(_photo()).convert("RGBA"),
        lambda: Image.fromarray(_photo()).convert("CMYK"),
        lambda: Image.fromarray(_photo()).convert("P"),
        lambda: _png16(),
        lambda: Image.fromarray(_photo(7, 5)),
        lambda: _photo(),
        lambda: _photo()[..., 0],
        lambda: _photo().astype(np.float32) / 255.0,
        lambda: _photo().astype(np.uint16) * 257,
    ],
    ids=["L", "RGBA", "CMYK", "P", "I16", "tiny7x5", "uint8", "uint8-gray", "float", "uint16"],
)
def test_predict_any_mode_and_size(tiny, make):
    img = make()
    if isinstance(img, bytes):
        w, h = Image.open(io.BytesIO(img)).size
    else:
        w, h = (img.width, img.height) if isinstance(img, Image.Image) else (img.shape[1], img.shape[0])
    _check(tiny.predict(img), h, w)


def test_predict_large_image(tiny):
    img = Image.fromarray(_photo(30, 20)).resize((3000, 2000))
    _check(tiny.predict(img), 2000, 3000)


def test_predict_honours_exif_rotation(tiny, tmp_path):
    arr = _photo(64, 40)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = tmp_path / "rot.jpg"
    Image.fromarray(arr).save(path, exif=exif, quality=95)
    m = tiny.predict(path)
    _check(m, 64, 40)  # shape follows the displayed (rotated) image
    stored = np.asarray(Image.open(path).convert("RGB"))  # pixels as stored, EXIF not applied
    assert stored.shape[:2] == (40, 64)
    ref = tiny.predict(np.rot90(stored, k=-1).copy())  # orientation 6 = turn clockwise
    np.testing.assert_allclose(m.garment, ref.garment, atol=1e-5)


def test_predict_batch_matches_single(tiny):
    imgs = [Image.fromarray(_photo(64, 48, s)) for s in range(3)]
    batch = tiny.predict_batch(imgs, batch_size=3)
    for img, m in zip(imgs, batch):
        np.testing.assert_allclose(m.garment, tiny.predict(img).garment, atol=1e-4)
    mixed = tiny.predict_batch([Image.fromarray(_photo(64, 48)), Image.fromarray(_photo(30, 90))])
    _check(mixed[0], 48, 64)
    _check(mixed[1], 90, 30)


# ---------------------------------------------------------------- weights
def test_fp16_weights_round_trip(tmp_path, ccp_dir):
    model = _tiny_model(seed=3)
    out = export_segmenter(model, TINY, tmp_path / "m.safetensors", {"hello": 1})
    from safetensors.torch import load_file

    assert all(v.dtype == torch.float16 for v in load_file(str(out)).values())
    assert json.loads(out.with_suffix(".json").read_text())["config"] == TINY.to_dict()
    ref = Segmenter(model, TINY)
    loaded = load_segmenter(weights=out)
    img = Image.open(ccp_dir / "photos" / "0001.jpg")
    a, b = ref.predict(img), loaded.predict(img)
    assert np.abs(a.garment - b.garment).max() < 0.02 and np.abs(a.person - b.person).max() < 0.02
    # the config also lives in the safetensors metadata: the .safetensors alone rebuilds the model
    out.with_suffix(".json").unlink()
    c = load_segmenter(weights=out).predict(img)
    np.testing.assert_allclose(b.garment, c.garment, atol=1e-6)


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_segmenter(weights=tmp_path / "absent.safetensors")


# ---------------------------------------------------------------- ternaus reference via a local server
class _Quiet(http.server.SimpleHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, *a):  # keep pytest output clean
        pass

    def do_GET(self):
        _Quiet.hits.append(self.path)
        super().do_GET()


def test_ternaus_download_verify_and_load(tmp_path):
    from aifashion.segment.predict import TERNAUS_CONFIG

    torch.manual_seed(1)
    model = build_segmenter(TERNAUS_CONFIG).eval()
    # a Lightning-style checkpoint: {"state_dict": {"model.<key>": tensor}, ...}, zipped
    buf = io.BytesIO()
    torch.save({"epoch": 3, "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}}, buf)
    site = tmp_path / "site"
    site.mkdir()
    with zipfile.ZipFile(site / "weights.zip", "w") as zf:
        zf.writestr("2020-10-30/epoch=3.ckpt", buf.getvalue())
    digest = hashlib.sha256((site / "weights.zip").read_bytes()).hexdigest()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/weights.zip"
    try:
        _Quiet.hits.clear()
        # a failed download is a clear error, nothing kept
        with pytest.raises(FileNotFoundError, match="could not download"):
            segment.download_ternaus_weights(url.replace("weights.zip", "absent.zip"), cache=tmp_path / "c0")
        # a pinned digest that does not match: refused, nothing kept
        with pytest.raises(ValueError, match="sha256"):
            segment.download_ternaus_weights(url, cache=tmp_path / "c0", sha256="0" * 64)
        assert not (tmp_path / "c0" / "segmenters" / "ternaus-2020-10-30" / "weights.zip").exists()
        # no pinned digest: the first download records it ...
        path = segment.download_ternaus_weights(url, cache=tmp_path / "c1", sha256=None)
        assert (path.parent / "weights.zip.sha256").read_text().strip() == digest
        # ... a second call uses the cache (no request) and verifies it
        n = len(_Quiet.hits)
        assert segment.download_ternaus_weights(url, cache=tmp_path / "c1", sha256=None) == path
        assert len(_Quiet.hits) == n
        # the pinned, matching digest is accepted
        segment.download_ternaus_weights(url, cache=tmp_path / "c2", sha256=digest)
    finally:
        server.shutdown()
    seg = load_segmenter("ternaus-2020-10-30", weights=path)
    img = Image.fromarray(_photo(64, 48))
    m = seg.predict(img)
    _check(m, 48, 64)
    np.testing.assert_array_equal(m.garment, m.person)  # binary model: person = garment
    ref = Segmenter(model, TERNAUS_CONFIG).predict(img)
    np.testing.assert_allclose(m.garment, ref.garment, atol=1e-6)
    # a tampered cached file is refused
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ValueError, match="sha256"):
        segment.download_ternaus_weights(url, cache=tmp_path / "c1", sha256=None)


# ---------------------------------------------------------------- train and evaluate
def test_iou_math():
    target = np.array([[0, 0, 1, 2], [2, 2, 255, 1]], np.uint8)
    pred = np.array([[0, 1, 1, 2], [2, 0, 2, 1]], np.uint8)
    iou = iou_from_confusion(confusion(pred, target))
    assert iou["background"] == pytest.approx(1 / 3)  # tp 1, fp 1, fn 1
    assert iou["person"] == pytest.approx(2 / 3)
    assert iou["garment"] == pytest.approx(2 / 3)


def test_train_loop_learns_and_resumes(ccp_dir, tmp_path):
    tcfg = SegTrainConfig(
        steps=6, batch_size=4, lr=3e-3, warmup=1, max_train=4, eval_every=0, ckpt_every=3, threads=None
    )
    train_ids = ccp_split(ccp_dir)[0][:4]
    data = ResidentSegData.from_ccp(ccp_dir, train_ids, TINY.input_size, progress=False)
    x = (data.images.float() / 255 - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
        [0.229, 0.224, 0.225]
    ).view(1, 3, 1, 1)
    y = data.labels.long()

    def fixed_batch_loss(state) -> float:
        m = build_segmenter(TINY)
        m.load_state_dict(state)
        m.train()  # batch statistics: BatchNorm running means lag far behind after a few steps
        with torch.no_grad():
            return _loss(m(x), y).item()

    full = train_segmenter(ccp_dir, tmp_path / "a", TINY, tcfg, progress=False)
    assert full.step == 6 and len(full.history) == 6 and full.checkpoint.is_file()
    ck = torch.load(full.checkpoint, weights_only=False)
    torch.manual_seed(0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(tcfg.seed)
        init = build_segmenter(TINY).state_dict()
    assert fixed_batch_loss(ck["model"]) < fixed_batch_loss(init)  # it learns the real photos

    # interrupted after 3 steps, then resumed: same weights as the uninterrupted run
    part = train_segmenter(ccp_dir, tmp_path / "b", TINY, tcfg, progress=False, stop_after=3)
    assert part.step == 3
    res = train_segmenter(ccp_dir, tmp_path / "b", TINY, tcfg, progress=False)
    assert res.step == 6 and [h["step"] for h in res.history] == list(range(1, 7))
    ck_b = torch.load(res.checkpoint, weights_only=False)
    for k, v in ck["model"].items():
        torch.testing.assert_close(ck_b["model"][k], v, rtol=1e-4, atol=1e-5)
    # the checkpoint alone rebuilds a working segmenter (EMA weights)
    seg = load_segmenter(weights=res.checkpoint)
    r = evaluate(seg, ccp_dir, limit=2, progress=False)
    assert r["images"] == 2 and set(r["iou"]) == {"background", "person", "garment"}
    assert all(0.0 <= v <= 1.0 for v in r["iou"].values())


def test_second_stage_starts_from_a_trained_run_at_another_size(ccp_dir, tmp_path):
    import dataclasses

    tcfg = SegTrainConfig(steps=2, batch_size=2, warmup=1, max_train=2, eval_every=0, threads=None)
    first = train_segmenter(ccp_dir, tmp_path / "a", TINY, tcfg, progress=False)
    ema = torch.load(first.checkpoint, weights_only=False)["ema"]
    bigger = dataclasses.replace(TINY, input_size=128)
    stage2 = dataclasses.replace(tcfg, init_from=str(first.checkpoint))
    # stop before the first step: the saved weights are the start -- the first run's EMA, exactly
    res = train_segmenter(ccp_dir, tmp_path / "b", bigger, stage2, progress=False, stop_after=0)
    ck = torch.load(res.checkpoint, weights_only=False)
    assert res.step == 0 and ck["model_config"]["input_size"] == 128
    for k, v in ema.items():
        torch.testing.assert_close(ck["model"][k], v)
    # an exported file works as a start too (fp16, so close rather than equal)
    exported = segment.export_checkpoint(first.checkpoint, tmp_path / "first.safetensors", predict_size=160)
    # the file predicts at the size it was exported with; its JSON keeps the training size
    assert load_segmenter("aifashion-ccp", weights=exported).config.input_size == 160
    assert json.loads(exported.with_suffix(".json").read_text())["train_input_size"] == TINY.input_size
    from_file = dataclasses.replace(tcfg, init_from=str(exported))
    res = train_segmenter(ccp_dir, tmp_path / "c", bigger, from_file, progress=False, stop_after=0)
    w = torch.load(res.checkpoint, weights_only=False)["model"]["encoder.conv1.weight"]
    torch.testing.assert_close(w, ema["encoder.conv1.weight"], rtol=1e-3, atol=1e-3)
    # another network is refused with the reason
    other = dataclasses.replace(bigger, decoder_channels=(16, 16, 16, 16, 8))
    with pytest.raises(ValueError, match="only input_size may differ"):
        train_segmenter(ccp_dir, tmp_path / "d", other, stage2, progress=False, stop_after=0)


# ---------------------------------------------------------------- CLI
def test_cli_segment_writes_binary_mask(tiny_weights, tmp_path, ccp_dir):
    src = tmp_path / "in.png"
    Image.open(ccp_dir / "photos" / "0002.jpg").crop((0, 0, 301, 257)).save(src)
    out = tmp_path / "mask.png"
    assert cli_main(["segment", str(src), "--out", str(out), "--weights", str(tiny_weights), "--threshold", "0.3"]) == 0
    mask = Image.open(out)
    assert mask.size == (301, 257) and mask.mode == "L"
    assert set(np.unique(np.asarray(mask))) <= {0, 255}


def test_cli_segment_bad_input_exits_2(tiny_weights, tmp_path, capsys):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    assert cli_main(["segment", str(bad), "--out", str(tmp_path / "m.png"), "--weights", str(tiny_weights)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0]
    assert cli_main(["segment", str(bad), "--out", str(tmp_path / "m.png"), "--model", "nope"]) == 2
    assert not (tmp_path / "m.png").exists()


# ---------------------------------------------------------------- the shipped weights
@pytest.mark.parametrize(
    "name, path, bars",
    [
        ("aifashion-ccp", segment.SHIPPED_CCP, (0.6, 0.6)),
        ("aifashion-lite0", segment.SHIPPED_LITE0, (0.85, 0.9)),
    ],
)
def test_shipped_weights_are_small_fp16_and_segment_val_photos(name, path, bars, ccp_dir):
    from safetensors.torch import load_file

    if not path.is_file():
        pytest.skip(f"no shipped {name} weights yet")
    assert path.stat().st_size <= 25_000_000
    assert all(v.dtype == torch.float16 for v in load_file(str(path)).values())
    info = json.loads(path.with_suffix(".json").read_text())
    assert info["config"]["classes"] == 3
    seg = load_segmenter(name)
    val = ccp_split(ccp_dir)[1]
    r = evaluate(seg, ccp_dir, ids=val[::12], progress=False)  # 9 photos training never saw
    assert r["iou"]["garment"] > bars[0] and r["iou"]["background"] > bars[1]
