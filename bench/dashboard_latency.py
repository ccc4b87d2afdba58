"""Dashboard latency: from a "New pattern" click to the try-on shown, on a 1024-px photo, on CPU.

Runs the dashboard's real callback chain without a browser (``TryOnApp`` with its widgets; the
button's click handler, the swatch, the tile rendered at the size the composite needs, the
composite, the JPEG for the page) and prints the breakdown. Side by side in the same run: the
same clicks when the photo's segmentation is *not* cached (as if every click re-segmented);
their ratio is printed last. With a parts segmenter (``--parts-weights``, by default
``runs/continue/segmenter_lite0_parts.safetensors`` when present) it also times ticking and
unticking the garments of a street photo with two garments (CCP validation), the first time for a
choice of garments and again once it is prepared.

    .venv/bin/python bench/dashboard_latency.py [--clicks 10] [--generator FILE] [--photo FILE]
        [--parts-weights FILE] [--parts-photo FILE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from aifashion.paths import CLOTHING_SMALL, WEIGHTS_DIR, data_root

PARTS_WEIGHTS = Path(__file__).resolve().parents[1] / "runs" / "continue" / "segmenter_lite0_parts.safetensors"


def _random_generator(tmp: Path) -> Path:
    """A randomly initialised tileable generator in the export format (same cost as trained)."""
    from dataclasses import asdict

    from aifashion.gan.export import save_generator
    from aifashion.gan.models.tileable import TileableConfig, TileableGenerator

    torch.manual_seed(0)
    cfg = TileableConfig()
    classes = ["floral", "geometric", "paisley", "plaid", "polka-dot", "striped"][: cfg.n_classes]
    return save_generator(
        TileableGenerator(cfg).state_dict(),
        "tileable",
        asdict(cfg),
        classes,
        tmp / "generator.safetensors",
        weights="random-init",
    )


def _random_segmenter(tmp: Path) -> Path:
    from aifashion.segment import export_segmenter
    from aifashion.segment.model import SegmenterConfig, build_segmenter

    torch.manual_seed(0)
    cfg = SegmenterConfig()
    return export_segmenter(build_segmenter(cfg), cfg, tmp / "segmenter.safetensors")


def _photo_1024(path: Path | None, tmp: Path) -> Path:
    """A photo whose longest side is 1024 px (a sample photo resized up if it is smaller)."""
    if path is None:
        root = data_root()
        if root is None or not (root / CLOTHING_SMALL).is_dir():
            raise SystemExit("no photo: pass --photo or set AIFASHION_DATA to the data folder")
        path = sorted((root / CLOTHING_SMALL / "validation" / "t-shirt").glob("*.jpg"))[0]
    img = Image.open(path).convert("RGB")
    s = 1024 / max(img.size)
    img = img.resize((round(img.width * s), round(img.height * s)), Image.BICUBIC)
    out = tmp / "photo-1024.jpg"
    img.save(out, quality=92)
    return out


def _street_photo(segmenter) -> Path | None:
    """The first CCP validation photo in which ``segmenter`` finds two garments of >= 3 % each."""
    from aifashion.paths import CCP
    from aifashion.segment.data import ccp_split

    root = data_root()
    if root is None or not (root / CCP).is_dir():
        return None
    for pid in ccp_split(root / CCP)[1][:30]:
        path = root / CCP / "photos" / f"{pid}.jpg"
        if sum(a >= 0.03 for a in segmenter.predict(path).part_areas().values()) >= 2:
            return path
    return None


def tick_parts(generator, weights: Path, photo: Path | None, tmp: Path, rounds: int) -> None:
    """Time a tick or untick of a garment on a 1024-px street photo already segmented: the first
    time for a choice of garments (its mask prepared) and again (cached)."""
    from aifashion.dashboard import TryOnApp
    from aifashion.segment import load_segmenter

    segmenter = load_segmenter("aifashion-lite0", weights=weights)
    photo = photo or _street_photo(segmenter)
    if photo is None:
        print("tick a part: skipped (no CCP photos: pass --parts-photo or set AIFASHION_DATA)")
        return
    photo = _photo_1024(photo, tmp)
    app = TryOnApp(generator, segmenter, samples=False, seed=0)
    label, key = app.session.add_upload(photo.read_bytes(), photo.name)
    app.garment_panel.choose(label, key)
    assert "aif-error" not in app.garment_panel.message.value, app.garment_panel.message.value
    boxes = list(app.garment_panel.part_boxes.values())[:2]
    if len(boxes) < 2:
        print(f"tick a part: skipped ({photo.name}: fewer than two garments found)")
        return
    first, again, parts = [], [], []
    for _ in range(rounds):
        app.session.forget(choices=True)  # the prepared choices of garments
        seen: set[tuple[bool, ...]] = set()
        for i in range(8):  # tick the second, untick the first, tick it, untick the second; twice
            box = boxes[1 if i % 4 in (0, 3) else 0]
            t0 = time.perf_counter()
            box.value = not box.value
            dt = time.perf_counter() - t0
            state = tuple(b.value for b in boxes)
            if state in seen:
                again.append(dt)
            else:
                first.append(dt)
                parts.append(app.timings["parts"])
            seen.add(state)
            assert "aif-error" not in app.garment_panel.message.value, app.garment_panel.message.value
    h, w = app.result.rgb.shape[:2]
    print(
        f"tick a part ({', '.join(app.garment_panel.part_boxes)} found on {w}x{h} px; choose_parts, composite, JPEG):"
    )
    print(f"  {'new choice':9s} {_ms(first)}")
    print(f"  {'cached':9s} {_ms(again)}")
    print(f"  {'of which choose_parts (new choice)':9s} {_ms(parts)}")


def _ms(xs: list[float]) -> str:
    med, lo, hi = 1000 * statistics.median(xs), 1000 * min(xs), 1000 * max(xs)
    return f"{med:7.1f} ms (median of {len(xs)}; min {lo:.1f}, max {hi:.1f})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clicks", type=int, default=10)
    ap.add_argument("--generator", type=Path, default=None)
    ap.add_argument("--segmenter-weights", type=Path, default=None)
    ap.add_argument("--photo", type=Path, default=None)
    ap.add_argument(
        "--download-size", type=int, default=4096, help="also time a pattern download of this size (0: skip)"
    )
    ap.add_argument("--parts-weights", type=Path, default=PARTS_WEIGHTS if PARTS_WEIGHTS.is_file() else None)
    ap.add_argument("--parts-photo", type=Path, default=None, help="a photo with two garments (default: from CCP)")
    args = ap.parse_args(argv)

    from aifashion.dashboard import TryOnApp
    from aifashion.gan.generate import load_generator
    from aifashion.segment import load_segmenter

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        notes = []
        gen_path = args.generator
        if gen_path is None and not (WEIGHTS_DIR / "generator.safetensors").is_file():
            gen_path = _random_generator(tmp)
            notes.append("generator: RANDOM-INIT (no shipped weights yet): same architecture, same cost")
        seg_path = args.segmenter_weights
        if seg_path is None and not (WEIGHTS_DIR / "segmenter.safetensors").is_file():
            seg_path = _random_segmenter(tmp)
            notes.append("segmenter: RANDOM-INIT (no shipped weights yet): same architecture, same cost")
        t0 = time.perf_counter()
        generator = load_generator(gen_path)
        segmenter = load_segmenter("aifashion-ccp", weights=seg_path)
        t_load = time.perf_counter() - t0
        photo = _photo_1024(args.photo, tmp)

        app = TryOnApp(generator, segmenter, samples=False, seed=0)
        label, key = app.session.add_upload(photo.read_bytes(), photo.name)
        app.garment_panel.picker.options = list(app.garment_panel.picker.options) + [(label, key)]
        t0 = time.perf_counter()
        app.garment_panel.picker.value = key  # first pick: segmentation runs once
        t_first = time.perf_counter() - t0
        assert "aif-error" not in app.garment_panel.message.value, app.garment_panel.message.value
        h, w = app.result.rgb.shape[:2]

        def clicks(n: int, uncached: bool) -> tuple[list[float], dict[str, list[float]]]:
            total, parts = [], {k: [] for k in ("swatch", "tile", "composite", "encode", "segment")}
            for _ in range(n):
                if uncached:  # forget the mask: the naive chain re-segments on every click
                    app.session.forget(garments=True)
                    t0 = time.perf_counter()
                    app.garment_view = app.session.garment(key)
                    parts["segment"].append(time.perf_counter() - t0)
                else:
                    parts["segment"].append(0.0)
                t0 = time.perf_counter()
                app.pattern_panel.new_pattern.click()
                total.append(time.perf_counter() - t0 + parts["segment"][-1])
                for k in ("swatch", "tile", "composite", "encode"):
                    parts[k].append(app.timings[k])
                assert "aif-error" not in app.garment_panel.message.value, app.garment_panel.message.value
            return total, parts

        clicks(2, False)  # warm-up
        cached, cparts = clicks(args.clicks, False)
        uncached, uparts = clicks(max(3, args.clicks // 2), True)

        print(
            f"torch {torch.__version__}, {torch.get_num_threads()} threads; load generator + segmenter {t_load:.2f} s"
        )
        for n in notes:
            print("note:", n)
        print(
            f"photo {w}x{h} px; pattern tile {app.tile.size[0]} px; first pick (segmentation) {1000 * t_first:.0f} ms"
        )
        print("new-pattern click -> result (mask cached, as the dashboard does):")
        for k in ("swatch", "tile", "composite", "encode"):
            print(f"  {k:9s} {_ms(cparts[k])}")
        print(f"  {'total':9s} {_ms(cached)}")
        print("same click, segmentation not cached:")
        print(f"  {'segment':9s} {_ms(uparts['segment'])}")
        print(f"  {'total':9s} {_ms(uncached)}")

        if args.download_size:
            p, r = app.pattern_panel, app.result_panel
            for fmt in ("PNG", "JPEG"):
                p.dl_size.value = args.download_size if args.download_size in p.dl_size.options else 4096
                p.dl_format.value = fmt
                t0 = time.perf_counter()
                p.dl_button.click()
                dt = time.perf_counter() - t0
                assert "aif-error" not in app.garment_panel.message.value, app.garment_panel.message.value
                print(f"download pattern {p.dl_size.value}px {fmt}: {dt:.2f} s, {p.download.nbytes / 1e6:.1f} MB")
            for fmt in ("PNG", "JPEG"):
                r.dl_format.value = fmt
                t0 = time.perf_counter()
                r.dl_button.click()
                print(
                    f"download result {w}x{h} {fmt}: {1000 * (time.perf_counter() - t0):.0f} ms, "
                    f"{r.download.nbytes / 1e6:.2f} MB"
                )

        if args.parts_weights is not None:
            tick_parts(generator, args.parts_weights, args.parts_photo, tmp, max(2, args.clicks // 2))

        ratio = statistics.median(uncached) / statistics.median(cached)
        print(
            f"click->result median: cached {1000 * statistics.median(cached):.0f} ms vs uncached "
            f"{1000 * statistics.median(uncached):.0f} ms; ratio uncached/cached = {ratio:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
