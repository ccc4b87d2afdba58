#!/usr/bin/env bash
# Export the EMA generator of a training run as the shipped weights (fp32 safetensors + JSON, with
# the training photos' colour gains), then render the card's previews and facts with
# tools/generator_report.py.
#
#   tools/export_shipped_generator.sh [RUN_DIR] [OUT.safetensors]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${1:-$REPO/runs/gan}"
OUT="${2:-$REPO/aifashion/weights/generator.safetensors}"
"$REPO/.venv/bin/python" - "$RUN/checkpoint.pt" "$OUT" <<'PY'
import sys
from aifashion.data.colour import folder_gains
from aifashion.gan.export import export_generator
from aifashion.paths import FINGERCAMERA, data_root
gains = folder_gains(data_root() / FINGERCAMERA, 256)
print(export_generator(sys.argv[1], sys.argv[2], colour_gains=gains))
PY
"$REPO/.venv/bin/python" "$REPO/tools/generator_report.py" --weights "$OUT" --out "$RUN/report" --threads 1
