#!/usr/bin/env bash
# Train the shipped tileable generator on the six FingerCamera classes, in the background, on
# ONE CPU thread, resumable (rerun this script after a kill: it continues from the checkpoint),
# then export the EMA generator with tools/export_shipped_generator.sh.
#
#   tools/train_shipped_generator.sh [OUT_DIR] [TIME_LIMIT_S] [EXTRA train-gan FLAGS...]
#
# TIME_LIMIT_S counts the run's whole training time, across resumes. The shipped file came from
# three phases in one folder (the second resumes the first's checkpoint with DiffAugment on):
#   tools/train_shipped_generator.sh runs/gan 5100
#   tools/train_shipped_generator.sh runs/gan 10800 "${FINETUNE_RECIPE[@]}"   # see tools/recipe.sh
# and a third after growing 8 zigzag-wave channels into the checkpoint
# (aifashion.gan.grow.add_zigzag_waves; see the model card's "Reproduce"):
#   tools/train_shipped_generator.sh runs/gan 16778 "${FINETUNE_RECIPE[@]}" --model-config n_zigzags=8
#
# Logs: OUT_DIR/log.txt; checkpoints, losses and sample grids: OUT_DIR.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/tools/recipe.sh"
OUT="${1:-$REPO/runs/gan}"
LIMIT="${2:-5700}"
: "${AIFASHION_DATA:=$REPO/../shared/data}"
export AIFASHION_DATA
mkdir -p "$OUT"
setsid nohup "$REPO/.venv/bin/python" -m aifashion.cli train-gan \
    --out-dir "$OUT" "${OURS_RECIPE[@]}" \
    --batch 32 --steps 100000 --time-limit "$LIMIT" \
    --ckpt-every 200 --sample-every 200 --num-threads 1 --seed 0 --no-progress "${@:3}" \
    >> "$OUT/log.txt" 2>&1 < /dev/null &
echo "training in the background (pid $!), log: $OUT/log.txt"
