"""The ``hadam-hw`` command line: one entry point, subcommands contributed by each package.

Each package adds its subcommands through a ``register(subparsers)`` function in a
``commands`` module (``hadam_hw.commands``, ``rtl_gen.commands`` …) that imports nothing
heavy at module level, so ``hadam-hw --help`` is instant. A :class:`HadamHWError` (bad
input) prints one line and exits 2; so does argparse misuse.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import HadamHWError

__all__ = ["main", "build_parser", "CliParser", "COMMAND_MODULES"]

# order = order in --help; a module that is absent (a partial install) is skipped
COMMAND_MODULES = (
    "hadam_hw.commands",
    "train.commands",
    "rtl_gen.commands",
    "sim.commands",
    "hadam_hw.estimate_commands",
    "hadam_hw.demo_commands",
)


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="hadam-hw",
        description="HadamRNN hardware/software co-design: train, export, generate Verilog, "
        "verify with cocotb, estimate FPGA cost.",
    )
    parser.add_argument("--version", action="version", version=f"hadam-hw {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CliParser)
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HadamHWError as e:
        print(f"hadam-hw {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hadam-hw {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
