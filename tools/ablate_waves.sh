#!/usr/bin/env bash
# Periodic-part ablation: train the tileable generator with and without its plane waves
# (n_waves 16 vs 0: one config value), same recipe and seed otherwise, both arms at once (one
# CPU thread each), and export each arm's EMA generator. Evaluate the arms together, then
# summarise per class over seeds (docs/experiments.md has the 3-seed result):
#   python tools/evaluate_generator.py evaluate --compare waves_sSEED=OUT/waves_sSEED/generator.safetensors ...
#   python tools/ablation_summary.py EVAL.json
#
#   tools/ablate_waves.sh SEED [STEPS] [OUT_ROOT] [ARM ...]     (ARM: waves, nowaves; default both)
#
# The shipped generator's phase-1 recipe (tileable-1, aifashion.gan.recipes) is the "waves" arm.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SEED="${1:?usage: tools/ablate_waves.sh SEED [STEPS] [OUT_ROOT] [ARM ...]}"
STEPS="${2:-2400}"
ROOT="${3:-$REPO/runs/ablation}"
shift $(( $# < 3 ? $# : 3 ))
ARMS=("$@")
[ ${#ARMS[@]} -gt 0 ] || ARMS=(waves nowaves)
: "${AIFASHION_DATA:=$REPO/../shared/data}"
export AIFASHION_DATA
for arm in "${ARMS[@]}"; do
    case "$arm" in waves) waves=16 ;; nowaves) waves=0 ;;
        *) echo "unknown arm $arm (waves, nowaves)" >&2; exit 2 ;; esac
    out="$ROOT/${arm}_s$SEED"
    mkdir -p "$out"
    "$REPO/.venv/bin/python" -m aifashion.cli train-gan \
        --out-dir "$out" --recipe tileable-1 --model-config "n_waves=$waves" --time-limit 0 \
        --steps "$STEPS" --ckpt-every 200 --sample-every 400 --threads 1 --seed "$SEED" \
        --no-progress --export "$out/generator.safetensors" >> "$out/log.txt" 2>&1 &
done
wait
echo "done: ${ARMS[*]} (seed $SEED) under $ROOT"
