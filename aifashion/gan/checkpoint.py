"""Training checkpoints of the GANs: format tag (more to come in this module)."""
from __future__ import annotations

CKPT_FORMAT = "aifashion-gan-checkpoint/1"
