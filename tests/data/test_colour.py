"""One white balance for a whole photo set: the camera's cast out, each fabric's own colour kept."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aifashion.cli import main as cli_main
from aifashion.data import load_pattern_images, scan_pattern_folder
from aifashion.data.colour import apply_gains, grey_world_gains
from aifashion.data.resident import ResidentPatternData


@pytest.fixture(scope="module")
def photos(fingercamera_dir):
    pf = scan_pattern_folder(fingercamera_dir, max_per_class=6, seed=0)
    return load_pattern_images(pf, 96)


def test_the_set_is_blue_and_one_gain_per_channel_makes_it_grey(photos):
    images, _ = photos
    means = images.reshape(-1, 3).mean(0)
    assert means[2] > 1.2 * means[0]  # the camera's blue cast
    gains = grey_world_gains(images)
    assert gains.dtype == np.float32 and gains[0] > 1 > gains[2]
    balanced = apply_gains(images, gains)
    m = balanced.reshape(-1, 3).mean(0)
    assert np.ptp(m) < 0.03 * m.mean()  # grey on average
    # the same gains for every photo: which photo is redder than which is kept
    before, after = images.mean((1, 2)), balanced.astype(float).mean((1, 2))

    def ranks(x):
        return np.argsort(np.argsort(x))

    spearman = np.corrcoef(ranks(before[:, 0] / before[:, 2]), ranks(after[:, 0] / after[:, 2]))[0, 1]
    assert spearman > 0.95
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        grey_world_gains(images[0])


def test_resident_set_and_training_run_record_the_gains(fingercamera_dir, tmp_path):
    data = ResidentPatternData.from_folder(fingercamera_dir, size=64, max_per_class=3, white_balance=True)
    assert data.colour_gains is not None and data.colour_gains[0] > 1 > data.colour_gains[2]
    m = data.images.float().mean((0, 2, 3))
    assert (m.max() - m.min()) < 0.05 * m.mean()
    assert ResidentPatternData.from_folder(fingercamera_dir, size=64, max_per_class=3).colour_gains is None
    args = ["train-gan", "--data-dir", str(fingercamera_dir), "--out-dir", str(tmp_path), "--dry-run", "--threads", "1"]
    assert cli_main([*args, "--no-progress", "--white-balance"]) == 0
    info = json.loads((tmp_path / "config.json").read_text())
    assert info["train_config"]["white_balance"] is True and info["colour_gains"][2] < 1
