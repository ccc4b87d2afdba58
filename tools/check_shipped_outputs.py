"""Fingerprint what the shipped weights compute, to show a refactor left them bit-identical.

    python tools/check_shipped_outputs.py --out before.json     # on the old commit
    python tools/check_shipped_outputs.py --compare before.json # on the new one: exit 1 on any change

Fingerprints (sha256 of the raw output bytes, one thread, fixed seeds): the generator's renders
(every class, 3 seeds, 64 and 200 px, and a mix), the tutorial baseline's, the segmenter's masks of a
drawn garment and of a noise photo (both shipped segmenters), a try-on of the drawn garment,
and the pattern classifier's features of fixed noise.
Hashes depend on the CPU's kernels: compare runs made on the same machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np
import torch


def _h(a) -> str:
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


def _imports():
    try:  # the package layout since 6ac7a87 (2026-11-30)
        from aifashion.gan.generate import load_generator
        from aifashion.metrics import load_pattern_classifier
        from aifashion.segment import load_segmenter
    except ImportError:  # older commits
        from aifashion.generate import load_generator
        from aifashion.metrics import load_pattern_classifier
        from aifashion.segment import load_segmenter
    return load_generator, load_segmenter, load_pattern_classifier


def fingerprints() -> dict[str, str]:
    """``{name: hash}`` of the shipped weights' outputs."""
    from PIL import Image

    from aifashion.garments import draw_garment
    from aifashion.paths import WEIGHTS_DIR

    load_generator, load_segmenter, load_pattern_classifier = _imports()
    out: dict[str, str] = {}
    gen = load_generator()
    for c in gen.classes:
        for size in (64, 200):
            out[f"generator/{c}/{size}"] = _h(gen.render_array([c] * 3, [0, 1, 2], size=size))
    out["generator/mix"] = _h(gen.render_array(gen.classes[0], [5], size=96, mix={gen.classes[2]: 0.4}))
    base = load_generator(WEIGHTS_DIR / "baseline_dcgan.safetensors")
    out["baseline"] = _h(base.render_array(base.classes[:2], [0, 1], size=base.native_size))
    g = draw_garment("t-shirt", size=384, seed=0)
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 220, 3), dtype=np.uint8))
    for seg_name, prefix in (("aifashion-ccp", "segmenter"), ("aifashion-lite0", "segmenter-lite0")):
        seg = load_segmenter(seg_name)
        for name, img in (("drawn", g.image), ("noise", noise)):
            m = seg.predict(img)
            out[f"{prefix}/{name}/garment"] = _h(m.garment)
            out[f"{prefix}/{name}/person"] = _h(m.person)
    out["tryon/drawn"] = _h(_tryon(g))
    clf = load_pattern_classifier()
    x = torch.rand(8, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        out["classifier/features"] = _h(clf.features(x))
    return out


def _tryon(garment) -> np.ndarray:
    """The drawn garment tried on with a striped tile (its own shading, the fold warp)."""
    from aifashion.compose import try_on
    from aifashion.compose.drape import WARP

    tile = np.zeros((40, 40, 3), np.uint8)
    tile[:, :14] = (200, 40, 40)
    return try_on(garment.image, garment.mask, tile, shading=garment.shading, rotation=10.0, warp=WARP).rgb


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", help="write the fingerprints to this JSON")
    g.add_argument("--compare", help="compare with fingerprints written earlier")
    args = p.parse_args()
    torch.set_num_threads(1)
    now = fingerprints()
    if args.out:
        with open(args.out, "w") as f:
            json.dump(now, f, indent=1)
        print(f"{len(now)} fingerprints -> {args.out}")
        return 0
    with open(args.compare) as f:
        before = json.load(f)
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    print(
        f"{len(now) - len(changed)} of {len(before)} outputs bit-identical"
        + (f"; changed: {changed}" if changed else "")
    )
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
