"""The ``hadam-hw`` command line: one entry point, subcommands contributed by each package.

This is the top layer: it imports every package's ``commands`` module, each of which adds
its subcommands through ``register(subparsers)`` and imports nothing heavy at module level,
so ``hadam-hw --help`` is instant. A :class:`HadamHWError` (bad input) prints one line and
exits 2; so does argparse misuse.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from estimate import commands as estimate_commands
from hadam_hw import __version__
from hadam_hw import commands as hadam_hw_commands
from hadam_hw.errors import HadamHWError
from rtl_gen import commands as rtl_gen_commands
from sim import commands as sim_commands
from train import commands as train_commands

from . import codesign, demo

__all__ = ["main", "build_parser", "CliParser", "COMMAND_MODULES"]

# order = order in --help
COMMAND_MODULES = (
    hadam_hw_commands,
    train_commands,
    rtl_gen_commands,
    sim_commands,
    estimate_commands,
    demo,
    codesign,
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
    for module in COMMAND_MODULES:
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
