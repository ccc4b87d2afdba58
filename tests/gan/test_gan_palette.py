"""aifashion.gan.palette: parsing (one-line errors), recolouring keeps the structure (stripe
positions) and hits the chosen colours; PatternGenerator.render(palette=) and the CLI flag."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aifashion.cli import main as cli_main
from aifashion.gan.palette import PALETTES, luminance, parse_color, parse_palette, recolor, resolve_palette


def stripes(size: int = 96, period: int = 16) -> np.ndarray:
    """Blue-grey horizontal stripes with soft edges and a little shading, like the generator's."""
    y = np.arange(size)[:, None, None]
    x = np.arange(size)[None, :, None]
    s = 0.5 + 0.5 * np.sin(2 * np.pi * y / period)
    shade = 0.9 + 0.1 * np.cos(2 * np.pi * x / size)
    base, top = np.array([40, 55, 80]), np.array([120, 150, 170])
    return np.broadcast_to((base + (top - base) * s) * shade, (size, size, 3)).round().astype(np.uint8)


def test_parse_palette_and_one_line_errors():
    assert parse_palette("#000000,#FFFFFF") == [(0, 0, 0), (255, 255, 255)]
    assert parse_palette(" #1b2a49 , f4e9d8 ") == [(27, 42, 73), (244, 233, 216)]
    assert parse_color("#c8673e") == (200, 103, 62)
    assert len(parse_palette("terracotta")) == 3
    assert all(2 <= len(parse_palette(n)) <= 4 for n in PALETTES)
    for bad, msg in [
        ("#12345,#ffffff", "bad colour '#12345'"),
        ("#gggggg,#ffffff", "bad colour"),
        ("#ffffff", "2-4 colours"),
        ("#000000,#111111,#222222,#333333,#444444", "2-4 colours"),
        ("mauve", "valid names|a name: navy-cream"),
    ]:
        with pytest.raises(ValueError, match=msg) as e:
            parse_palette(bad)
        assert "\n" not in str(e.value)
    assert resolve_palette(["#000000", (255, 0, 0)]) == [(0, 0, 0), (255, 0, 0)]
    with pytest.raises(ValueError):
        resolve_palette([(0, 0, 300), (0, 0, 0)])


@pytest.mark.parametrize("palette", ["#5a2a1b,#f2d3b3", "#f2d3b3,#3f7d4e,#14301f", "denim"])
def test_recolor_keeps_stripes_and_hits_the_colours(palette):
    src = stripes()
    out = np.asarray(recolor(Image.fromarray(src), palette))
    assert out.shape == src.shape and out.dtype == np.uint8
    lum_in, lum_out = luminance(src), luminance(out)
    # structure: luminance before/after correlates; the stripes stay in the same rows
    assert np.corrcoef(lum_in.ravel(), lum_out.ravel())[0, 1] > 0.9
    rows_in, rows_out = lum_in.mean(1), lum_out.mean(1)
    assert np.array_equal(np.argsort(rows_in)[-6:] // 16, np.argsort(rows_out)[-6:] // 16)
    assert abs(int(np.argmax(rows_in)) - int(np.argmax(rows_out))) <= 1
    # colours: the darkest / lightest pixels take the darkest / lightest chosen colour
    cols = np.array(parse_palette(palette), float)
    dark, light = cols[np.argmin(luminance(cols.astype(np.uint8)))], cols[np.argmax(luminance(cols.astype(np.uint8)))]
    flat, lum = out.reshape(-1, 3).astype(float), lum_out.ravel()
    assert np.abs(flat[np.argmin(lum)] - dark).max() <= 3
    assert np.abs(flat[np.argmax(lum)] - light).max() <= 3


def test_recolor_of_a_plain_fabric_stays_plain():
    rng = np.random.default_rng(0)
    solid = np.clip(np.full((64, 64, 3), [60, 80, 110]) + rng.normal(0, 2, (64, 64, 3)), 0, 255).astype(np.uint8)
    out = np.asarray(recolor(solid, "#000000,#ffffff")).astype(float)
    assert out.std(axis=(0, 1)).max() < 40  # not stretched into black-and-white noise
    with pytest.raises(ValueError, match="RGB"):
        recolor(np.zeros((4, 4)), "#000000,#ffffff")


def test_render_with_a_palette_and_the_cli(tmp_path, capsys):
    from aifashion.gan.generate import load_generator

    gen = load_generator(bf16=False)
    plain = gen.render("striped", seed=3, size=64)
    red = gen.render("striped", seed=3, size=64, palette="#400000,#ff8080")
    assert red.size == (64, 64) and red.mode == "RGB"
    r = np.asarray(red).astype(float)
    assert (r[..., 0] >= r[..., 2]).all()  # every pixel on the dark red .. pink gradient
    assert np.corrcoef(luminance(np.asarray(plain)).ravel(), luminance(r.astype(np.uint8)).ravel())[0, 1] > 0.9
    assert np.array_equal(
        np.asarray(red), np.asarray(gen.render_batch(["striped"], [3], 64, palette="#400000,#ff8080")[0])
    )
    out = tmp_path / "p.png"
    rc = cli_main(["generate", "--category", "striped", "--seed", "3", "--size", "64", "--out", str(out),
                   "--palette", "#400000,#ff8080"])  # fmt: skip
    cli_img = np.asarray(Image.open(out).convert("RGB")).astype(int)  # the CLI renders under bf16 where supported
    assert rc == 0 and np.abs(cli_img - r).mean() < 3
    with pytest.raises(SystemExit) as e:
        cli_main(["generate", "--category", "striped", "--out", str(tmp_path / "q.png"), "--palette", "#12345,#fff"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad colour" in err
    assert not (tmp_path / "q.png").exists()
