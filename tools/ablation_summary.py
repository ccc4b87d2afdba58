#!/usr/bin/env python
"""Summarise a periodic-part ablation from one ``tools/evaluate_generator.py evaluate`` report.

    python tools/evaluate_generator.py evaluate --compare waves_s0=... --compare nowaves_s0=... \\
        --compare waves_s1=... --compare nowaves_s1=... --real-scale 0.35 0.75 --out runs/ablation/eval.json
    python tools/ablation_summary.py runs/ablation/eval.json [--out runs/ablation/summary.md]

Generators named ``<arm>_s<seed>`` are grouped by arm; per class it prints the mean over seeds
(and the range) of class fidelity and of the periodicity gap to real crops (W1, lower is
closer), the real crops' median periodicity, and how many seeds the "waves" arm wins.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path


def summarise(report: dict) -> str:
    arms: dict[str, dict[int, dict]] = defaultdict(dict)
    for name, r in report["generators"].items():
        m = re.fullmatch(r"(.+)_s(\d+)", name)
        if m:
            arms[m.group(1)][int(m.group(2))] = r
    if len(arms) < 2:
        raise SystemExit(f"need two arms named <arm>_s<seed>; found {sorted(report['generators'])}")
    names = sorted(arms, key=lambda a: (a != "waves", a))
    seeds = sorted(set.intersection(*(set(arms[a]) for a in names)))
    if not seeds:
        raise SystemExit("the arms share no seed")
    first = arms[names[0]][seeds[0]]
    classes = list(first["class_fidelity"]["per_class"])
    real_med = first["periodicity"].get("real_median_per_class", {})

    def vals(arm: str, key: str, c: str) -> list[float]:
        out = []
        for s in seeds:
            r = arms[arm][s]
            out.append(
                r["class_fidelity"]["per_class"][c] if key == "fid" else r["periodicity"]["w1_to_real_per_class"][c]
            )
        return out

    def cell(v: list[float], pct: bool) -> str:
        mean = sum(v) / len(v)
        f = (lambda x: f"{100 * x:.0f}") if pct else (lambda x: f"{x:.3f}")
        return f"{f(mean)} ({f(min(v))}-{f(max(v))})"

    a, b = names[0], names[1]
    lines = [
        f"Seeds {', '.join(map(str, seeds))}; {report['samples_per_class']} samples per class at {report['size']} px; "
        f"cells: mean over seeds (range).",
        "",
        f"| class | real periodicity (median) | W1 {a} | W1 {b} | {a} closer in | fidelity % {a} | fidelity % {b} |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in classes:
        wa, wb = vals(a, "w1", c), vals(b, "w1", c)
        wins = sum(x < y for x, y in zip(wa, wb))
        lines.append(
            f"| {c} | {real_med.get(c, float('nan')):.3f} | {cell(wa, False)} | {cell(wb, False)} | "
            f"{wins}/{len(seeds)} seeds | {cell(vals(a, 'fid', c), True)} | {cell(vals(b, 'fid', c), True)} |"
        )
    for arm in (a, b):
        kids = [arms[arm][s]["kid"]["mean"] for s in seeds]
        fids = [arms[arm][s]["class_fidelity"]["overall"] for s in seeds]
        w1 = [arms[arm][s]["periodicity"]["w1_to_real_mean"] for s in seeds]
        lines.append("")
        lines.append(
            f"{arm}: KID {cell(kids, False)}, class fidelity {cell(fids, True)}%, mean periodicity W1 {cell(w1, False)}"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", type=Path)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    text = summarise(json.loads(args.report.read_text()))
    if args.out:
        args.out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
