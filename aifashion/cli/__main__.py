"""``python -m aifashion.cli``: the same as the ``aifashion`` console script."""

import sys

from aifashion.cli import main

sys.exit(main())
