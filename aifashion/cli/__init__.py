"""``aifashion`` console script: one subcommand per job, each a thin shell over package functions.

One module per command in this package (``aifashion/cli/<command>.py``), each defining
``add_arguments(parser)`` and ``run(args) -> int``; :data:`COMMANDS` maps the command name to its
module, imported lazily so that ``aifashion --help`` does not import torch.

Bad arguments or bad input end with exit status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command -> (module in this package, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("data", "download, prepare, rebuild and inspect pattern data sets"),
    "train-gan": ("train_gan", "train the baseline DCGAN or our tileable generator"),
    "generate": ("generate", "render a seamless pattern from a trained generator"),
    "segment": ("segment", "write the garment mask of a photo"),
    "train-segmenter": ("train_segmenter", "train the cloth segmenter on CCP"),
    "tryon": ("tryon", "put a pattern on a garment photo"),
    "tile": ("tile", "turn a fabric photo into a seamless pattern tile"),
    "dashboard": ("dashboard", "serve the try-on dashboard with Voila"),
}


class UsageError(Exception):
    """Bad input from the command line; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _user_errors() -> tuple[type[BaseException], ...]:
    from aifashion.imageio import ImageError
    from aifashion.registry import UnknownNameError

    return (UsageError, ImageError, UnknownNameError, FileNotFoundError, NotADirectoryError, ValueError)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="aifashion", description="Generate textile patterns and try them on garments.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        if only is None or only == name:
            mod = importlib.import_module(f"{__name__}.{module}")
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=command if command in COMMANDS else "__none__")
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("aifashion: interrupted", file=sys.stderr)
        return 130
    except _user_errors() as exc:
        print(f"aifashion {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
