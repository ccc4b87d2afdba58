#!/usr/bin/env bash
# A short run of the tutorial DCGAN baseline (unconditional, all six FingerCamera classes, the
# same crops as ours) for comparison, niced, on ONE CPU thread, resumable; exported beside it.
#
#   tools/train_baseline_dcgan.sh [OUT_DIR] [TIME_LIMIT_S]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/tools/recipe.sh"
OUT="${1:-$REPO/runs/dcgan}"
LIMIT="${2:-3000}"
: "${AIFASHION_DATA:=$REPO/../shared/data}"
export AIFASHION_DATA
mkdir -p "$OUT"
setsid nohup nice -n 10 "$REPO/.venv/bin/python" -m aifashion.cli train-gan \
    --out-dir "$OUT" --model dcgan --loss bce "${GAN_CROPS[@]}" \
    --batch 64 --steps 100000 --time-limit "$LIMIT" \
    --ckpt-every 200 --sample-every 200 --num-threads 1 --seed 0 --no-progress \
    --export "$OUT/generator.safetensors" \
    >> "$OUT/log.txt" 2>&1 < /dev/null &
echo "baseline training in the background (pid $!), log: $OUT/log.txt"
