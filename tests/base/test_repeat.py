"""Print-ready repeats: half-drop and half-brick units whose neighbours meet without a seam, the DPI in the file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aifashion.cli import main as cli_main
from aifashion.gan import load_generator
from aifashion.repeat import REPEATS, lay_out, repeat_unit, save_repeat


def _boundary_ratio(grid: Image.Image, w: int, h: int, vertical: bool) -> float:
    """Mean |difference| across the unit boundaries of a 3x3 layout / across interior neighbours."""
    a = np.asarray(grid, np.float64)
    if vertical:
        seam = np.mean([np.abs(a[:, k * w - 1] - a[:, k * w]).mean() for k in (1, 2)])
    else:
        seam = np.mean([np.abs(a[k * h - 1] - a[k * h]).mean() for k in (1, 2)])
    inner = (np.abs(np.diff(a, axis=1)).mean() + np.abs(np.diff(a, axis=0)).mean()) / 2
    return float(seam / inner)


@pytest.fixture(scope="module")
def dots() -> Image.Image:
    return load_generator().render("dotted", seed=0, size=128)  # the shipped generator: seamless straight


@pytest.mark.parametrize("repeat, vertical", [("half-drop", True), ("half-brick", False)])
def test_units_meet_without_a_seam_where_the_tile_would_not(dots, repeat, vertical):
    unit = repeat_unit(dots, repeat)
    assert unit.size == dots.size and unit.mode == "RGB"
    mended = _boundary_ratio(lay_out(unit, repeat), 128, 128, vertical)
    naive = _boundary_ratio(lay_out(dots, repeat), 128, 128, vertical)
    straight = _boundary_ratio(lay_out(dots, "straight"), 128, 128, vertical)
    assert naive > 3 * straight  # the straight tile breaks in this arrangement (cut dots)
    assert mended == pytest.approx(straight, rel=0.1)  # as seamless as the generator's own wrap
    # each column (row) still repeats seamlessly along itself, and the unit is mostly the tile
    a = np.asarray(unit, np.float64)
    edge = np.abs(a[-1] - a[0]).mean() if vertical else np.abs(a[:, -1] - a[:, 0]).mean()
    assert edge < 3 * np.abs(np.diff(a, axis=0 if vertical else 1)).mean()
    assert np.mean(np.all(a == np.asarray(dots), axis=2)) > 0.2


@pytest.mark.parametrize("size", [(65, 65), (97, 64), (64, 81)])
@pytest.mark.parametrize("repeat, vertical", [("half-drop", True), ("half-brick", False)])
def test_odd_and_oblong_tiles_meet_too(size, repeat, vertical):
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w]  # one diagonal wave across the tile: seamless in a straight grid,
    tile = (127 + 120 * np.sin(2 * np.pi * (ys / h + xs / w)))[..., None].repeat(3, 2).astype(np.uint8)
    # half a cycle out of step where a half-drop column or half-brick row meets the next
    unit = repeat_unit(tile, repeat)
    mended = _boundary_ratio(lay_out(unit, repeat), w, h, vertical)
    assert mended == pytest.approx(_boundary_ratio(lay_out(tile, "straight"), w, h, vertical), rel=0.15)
    assert _boundary_ratio(lay_out(tile, repeat), w, h, vertical) > 2 * mended


def test_straight_is_the_tile_and_layouts_offset_by_half(dots):
    assert np.array_equal(np.asarray(repeat_unit(dots, "straight")), np.asarray(dots))
    grid = np.asarray(lay_out(dots, "half-drop", cols=2, rows=2))
    assert grid.shape == (256, 256, 3)
    np.testing.assert_array_equal(grid[64:192, 128:], np.asarray(dots))  # column 1 moved down by 64
    with pytest.raises(ValueError, match="half-drop, half-brick"):
        repeat_unit(dots, "diamond")
    with pytest.raises(ValueError, match="too small"):
        repeat_unit(np.zeros((16, 16, 3), np.uint8), "half-drop")
    assert set(REPEATS) == {"straight", "half-drop", "half-brick"}


def test_dpi_is_in_the_file(dots, tmp_path):
    out = save_repeat(repeat_unit(dots, "half-brick"), tmp_path / "u.png", dpi=300)
    with Image.open(out) as im:
        assert round(im.info["dpi"][0]) == 300 and im.size == (128, 128)
    with pytest.raises(ValueError, match="between 10 and 4800"):
        save_repeat(dots, tmp_path / "bad.png", dpi=float("nan"))


def test_cli_generate_writes_a_print_ready_unit(tmp_path, capsys):
    out = tmp_path / "drop.png"
    args = ["generate", "--category", "zigzag", "--seed", "2", "--size", "96", "--out", str(out)]
    assert cli_main([*args, "--repeat", "half-drop", "--dpi", "150"]) == 0
    assert "half-drop repeat, 150 dpi" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.size == (96, 96) and round(im.info["dpi"][0]) == 150
    for bad in (["--dpi", "0"], ["--repeat", "diamond"]):
        with pytest.raises(SystemExit) as e:
            cli_main([*args, *bad])
        assert e.value.code == 2
    err = capsys.readouterr().err
    assert "dpi must be between 10 and 4800" in err and "invalid choice: 'diamond'" in err
