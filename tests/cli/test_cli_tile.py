"""``aifashion tile``: a fabric photo in, a seamless tile out; bad input exits 2 with one line."""

from __future__ import annotations

from PIL import Image

from aifashion.cli import main
from aifashion.metrics import seam_score


def test_tile_writes_a_seamless_png(fingercamera_dir, tmp_path, capsys):
    photo = sorted((fingercamera_dir / "striped").glob("*.jpg"))[0]
    out = tmp_path / "tile.png"
    assert main(["tile", str(photo), "--out", str(out), "--size", "200"]) == 0
    assert "wrote" in capsys.readouterr().out
    tile = Image.open(out)
    assert tile.size == (200, 200) and tile.mode == "RGB"
    assert seam_score(tile) <= 1.1


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    text = tmp_path / "fabric.jpg"
    text.write_text("this is text, not a JPEG")
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (20, 20), "blue").save(tiny)
    cases = [
        ([str(text)], ""),
        ([str(tiny)], "at least 64"),
        ([str(tmp_path / "missing.jpg")], "does not exist"),
        ([str(tiny), "--size", "9"], "tile size"),
    ]
    for argv, fragment in cases:
        assert main(["tile", *argv, "--out", str(tmp_path / "t.png")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("aifashion tile: error:") and "\n" not in err and fragment in err, err
    assert main(["tile", str(tiny), "--out", str(tmp_path / "t.txt")]) == 2
    assert not (tmp_path / "t.png").exists()
