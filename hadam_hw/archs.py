"""The architecture registry: the recurrence datapaths the generator offers (SPEC §5).

Each :class:`ArchSpec` says what the architecture is, which hardware options apply to it,
and its schedule family (``row_serial``: ``lanes`` rows or elements per cycle, ``hidden /
lanes`` cycles per step; ``vector``: the whole state every cycle). The CLI choices, the
schedule, the sweep grids and the demo read :data:`ARCH_SPECS`; the Amaranth component of
each lives in ``rtl_gen`` and its resource formula in ``estimate.resources``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Arch
from .errors import ConfigError

__all__ = ["ArchSpec", "ARCH_SPECS", "arch_names", "arch_spec", "SERIAL_ARCHS"]


@dataclass(frozen=True)
class ArchSpec:
    arch: Arch
    summary: str
    family: str  # "row_serial" or "vector"
    options: tuple[str, ...]  # HardwareConfig fields that apply to it
    baseline: bool = False  # a comparison design, not a Hadamard datapath

    @property
    def name(self) -> str:
        return self.arch.value


ARCH_SPECS: dict[Arch, ArchSpec] = {s.arch: s for s in (
    ArchSpec(Arch.ADDER_TREE, "sign-flip and adder tree: lanes rows per cycle, b-input trees",
             "row_serial", ("lanes", "pipeline")),
    ArchSpec(Arch.BUTTERFLY, "fast Walsh-Hadamard transform on the whole vector, one step per cycle",
             "vector", ("pipeline",)),
    ArchSpec(Arch.SDF, "folded single-path delay feedback butterfly: lanes elements per cycle",
             "row_serial", ("lanes", "pipeline")),
    ArchSpec(Arch.DENSE, "generic ±1/0 matrix (the baseline): lanes rows per cycle",
             "row_serial", ("lanes", "pipeline"), baseline=True),
)}

SERIAL_ARCHS: tuple[Arch, ...] = tuple(a for a, s in ARCH_SPECS.items() if s.family == "row_serial")


def arch_names(*, baselines: bool = True) -> tuple[str, ...]:
    """The architectures' names, in registry order (``baselines=False``: without the dense one)."""
    return tuple(s.name for s in ARCH_SPECS.values() if baselines or not s.baseline)


def arch_spec(arch: Arch | str) -> ArchSpec:
    """The registry entry of ``arch``, or a ConfigError listing the architectures."""
    try:
        return ARCH_SPECS[Arch(arch)]
    except ValueError:
        raise ConfigError(f"arch must be one of {', '.join(arch_names())}, not {arch!r}", field="arch") from None
