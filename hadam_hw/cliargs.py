"""Argument types and the shared hardware options of every ``hadam-hw`` command.

:func:`add_hardware_options` adds ``--arch``, ``--lanes``, ``--pipeline`` (single values,
or comma-separated lists for grids) and ``--interleave`` with their choices and defaults from the registries and
:class:`~hadam_hw.config.HardwareConfig`; :func:`hardware_config` builds the config from them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from .archs import arch_names, interleaving_arch_names
from .config import HardwareConfig, Interface, Weights
from .targets import ADDSUB_FORMS

__all__ = ["positive_int", "nonneg_int", "existing_file", "int_list", "block_list", "choice_list",
           "add_hardware_options", "hardware_config"]

_DEFAULTS = HardwareConfig()


def _int_at_least(lo: int, kind: str):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind} integer, not {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"expected a {kind} integer, not {v}")
        return v

    parse.__name__ = f"{kind}_int"
    return parse


positive_int = _int_at_least(1, "positive")
nonneg_int = _int_at_least(0, "non-negative")


def existing_file(text: str) -> Path:
    p = Path(text)
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return p


def _comma_list(item: Callable[[str], object], what: str):
    """A parser of ``a,b,c`` whose items go through ``item`` (an argparse type)."""
    def parse(text: str) -> tuple:
        vals = tuple(item(v.strip()) for v in text.split(",") if v.strip())
        if not vals:
            raise argparse.ArgumentTypeError(f"expected at least one {what}, not {text!r}")
        return vals

    parse.__name__ = f"{what}_list"
    return parse


def int_list(lo: int = 1):
    """Comma-separated integers ``>= lo``."""
    return _comma_list(_int_at_least(lo, "positive" if lo >= 1 else "non-negative"), "integer")


def _block(text: str) -> int:
    return 0 if text in ("full", "d", "hidden") else positive_int(text)


block_list = _comma_list(_block, "block size (an integer or 'full')")


def choice_list(choices: tuple[str, ...], what: str):
    def one(v: str) -> str:
        if v not in choices:
            raise argparse.ArgumentTypeError(f"{what} must be among {', '.join(choices)}, not {v!r}")
        return v

    return _comma_list(one, what)


def add_hardware_options(p: argparse.ArgumentParser, *, grid: bool = False, arch_default: str | None = None) -> None:
    """``--arch``, ``--lanes``, ``--pipeline`` on ``p``: one value each, or with ``grid`` a
    comma-separated list each (default: every architecture); without ``grid`` (one design)
    also ``--interleave``, ``--interface``, ``--weights`` and ``--addsub``."""
    archs = arch_names()
    if grid:
        p.add_argument("--arch", type=choice_list(archs, "architectures"), default=archs,
                       help=f"architectures (default all: {','.join(archs)})")
        p.add_argument("--lanes", type=int_list(1), default=(_DEFAULTS.lanes,),
                       help=f"lanes (default {_DEFAULTS.lanes}; butterfly always 1)")
        p.add_argument("--pipeline", type=int_list(0), default=(_DEFAULTS.pipeline,),
                       help=f"pipelining levels (default {_DEFAULTS.pipeline})")
        return
    default = arch_default if arch_default is not None else None
    p.add_argument("--arch", choices=archs, default=default,
                   help="recurrence datapath" + (f" (default {default})" if default else ""))
    p.add_argument("--lanes", type=positive_int, default=_DEFAULTS.lanes,
                   help=f"rows (adder_tree, dense) or elements (sdf) per cycle (default {_DEFAULTS.lanes})")
    p.add_argument("--pipeline", type=nonneg_int, default=_DEFAULTS.pipeline,
                   help=f"a register after every K adder levels / stages; 0 = none (default {_DEFAULTS.pipeline})")
    p.add_argument("--interleave", type=positive_int, default=_DEFAULTS.interleave, metavar="C",
                   help="independent sequences sharing the datapath, told apart by an id field on every "
                        f"stream ({', '.join(interleaving_arch_names())}, pipeline >= 1; "
                        f"default {_DEFAULTS.interleave}: none)")
    p.add_argument("--interface", choices=[i.value for i in Interface], default=_DEFAULTS.interface.value,
                   help="top-level ports: bare valid/ready streams, or AXI4-Stream with aresetn "
                        f"(default {_DEFAULTS.interface.value})")
    p.add_argument("--weights", choices=[w.value for w in Weights], default=_DEFAULTS.weights.value,
                   help="baked into the Verilog, or in RAMs loaded at run time through AXI4-Lite "
                        f"(needs --interface axis; default {_DEFAULTS.weights.value})")
    p.add_argument("--addsub", choices=ADDSUB_FORMS, default=None,
                   help="sdf only: the add/subtract units, generic arithmetic or a target's carry cells "
                        f"(ccu2c: ECP5); default {_DEFAULTS.addsub}, or the --target's form where the "
                        "command has a target")


def hardware_config(args: argparse.Namespace, **extra) -> HardwareConfig:
    """The :class:`HardwareConfig` of the options :func:`add_hardware_options` added."""
    opts = {k: getattr(args, k) for k in ("interface", "weights", "interleave", "addsub")
            if getattr(args, k, None) is not None}
    return HardwareConfig(arch=args.arch, lanes=args.lanes, pipeline=args.pipeline, **{**opts, **extra})
