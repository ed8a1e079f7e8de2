"""The architecture registry: the recurrence datapaths the generator offers (SPEC §5).

One :class:`ArchSpec` per architecture says what it is, which hardware options apply, its
schedule family, where its state lives and how many cycles its datapath takes. The
:class:`Arch` enumeration is built from these entries, and the CLI choices, the
configuration's validation, the schedule, the sweep grids, the recommendation and the demo
all read :data:`ARCH_SPECS`. The Amaranth component of an architecture is one file in
``rtl_gen/datapaths/`` that registers itself for its :class:`Arch` (with its ``model()``
and its resource formula beside it); the kernel never names it.

Adding an architecture: one :class:`ArchSpec` entry below, one component file there.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ConfigError
from .latency import ceil_log2, pipeline_registers, registered_tree_latency

__all__ = [
    "Arch",
    "ArchSpec",
    "ARCH_SPECS",
    "arch_names",
    "arch_spec",
    "SERIAL_ARCHS",
    "interleaving_arch_names",
    "adder_tree_levels",
    "dense_levels",
    "sdf_delay_cycles",
    "registered_sdf_latency",
]

ROW_SERIAL, VECTOR = "row_serial", "vector"
STATE_REGISTERS, STATE_MEMORY = "registers", "memory"


# --- the datapaths' latency formulas (the components assert they register exactly this) -------
def adder_tree_levels(block: int) -> int:
    """Adder levels of one sign-flip tree: ``log2 b`` for the ``b`` leaves, plus one for the
    ones'-complement correction (the leaves are XOR-flipped, see ``sign_flip_adder_tree``)."""
    k = ceil_log2(block)
    return k + (1 if block > 1 else 0)


def dense_levels(hidden: int, block: int) -> int:
    """Adder levels of one generic ternary row: ``log2 d`` leaves plus the correction."""
    return ceil_log2(hidden) + (1 if block > 1 else 0)


def sdf_delay_cycles(block: int, lanes: int) -> int:
    """Cycles of delay-line latency of a ``lanes``-path SDF transform of size ``block``."""
    return block // lanes - 1 if block > lanes else 0


def registered_sdf_latency(block: int, lanes: int, pipeline: int) -> int:
    """The registered SDF: its delay lines plus a register after every ``pipeline`` stages and
    after the last one."""
    return sdf_delay_cycles(block, lanes) + registered_tree_latency(block, pipeline)


def _adder_tree_latency(hidden: int, block: int, lanes: int, pipeline: int, registered: bool) -> int:
    if registered:
        return registered_tree_latency(1 << adder_tree_levels(block), pipeline)
    return pipeline_registers(adder_tree_levels(block), pipeline)


def _dense_latency(hidden: int, block: int, lanes: int, pipeline: int, registered: bool) -> int:
    if registered:
        return registered_tree_latency(1 << dense_levels(hidden, block), pipeline)
    return pipeline_registers(dense_levels(hidden, block), pipeline)


def _sdf_latency(hidden: int, block: int, lanes: int, pipeline: int, registered: bool) -> int:
    if registered:
        return registered_sdf_latency(block, lanes, pipeline)
    return sdf_delay_cycles(block, lanes) + pipeline_registers(ceil_log2(block), pipeline)


def _butterfly_latency(hidden: int, block: int, lanes: int, pipeline: int, registered: bool) -> int:
    return pipeline_registers(ceil_log2(block), pipeline)


@dataclass(frozen=True)
class ArchSpec:
    """One architecture.

    ``family``: ``row_serial`` (``lanes`` rows or elements per cycle, ``hidden / lanes``
    cycles per step; ``pipeline >= 1`` is the registered design) or ``vector`` (the whole
    state every cycle). ``state`` (row-serial): ``registers`` — the datapath reads the whole
    state vector, which is updated at once after a step's last row group — or ``memory`` —
    the state streams through the datapath ``lanes`` elements per cycle from a memory written
    back row group by row group. ``latency(hidden, block, lanes, pipeline, registered)``: the
    datapath's cycles from its input to its output. ``table_bits(hidden, block)``: bits of
    the datapath's own constant table, checked against the ROM limit (0: none).
    """

    name: str
    summary: str
    family: str
    options: tuple[str, ...]  # HardwareConfig fields that apply to it
    latency: Callable[[int, int, int, int, bool], int]
    state: str = STATE_REGISTERS
    table_bits: Callable[[int, int], int] | None = None
    baseline: bool = False  # a comparison design, not a Hadamard datapath

    def __post_init__(self) -> None:
        if self.family not in (ROW_SERIAL, VECTOR):
            raise ConfigError(f"architecture family must be {ROW_SERIAL} or {VECTOR}, not {self.family!r}")
        if self.state not in (STATE_REGISTERS, STATE_MEMORY):
            raise ConfigError(f"architecture state must be {STATE_REGISTERS} or {STATE_MEMORY}, not {self.state!r}")

    @property
    def arch(self) -> Arch:
        return Arch(self.name)

    @property
    def serial(self) -> bool:
        return self.family == ROW_SERIAL

    @property
    def state_in_memory(self) -> bool:
        return self.state == STATE_MEMORY


_ENTRIES: tuple[ArchSpec, ...] = (
    ArchSpec("adder_tree", "sign-flip and adder tree: lanes rows per cycle, b-input trees",
             ROW_SERIAL, ("lanes", "pipeline", "interleave"), _adder_tree_latency),
    ArchSpec("butterfly", "fast Walsh-Hadamard transform on the whole vector, one step per cycle",
             VECTOR, ("pipeline",), _butterfly_latency),
    ArchSpec("sdf", "folded single-path delay feedback butterfly: lanes elements per cycle",
             ROW_SERIAL, ("lanes", "pipeline", "interleave"), _sdf_latency, state=STATE_MEMORY),
    ArchSpec("dense", "generic ±1/0 matrix (the baseline): lanes rows per cycle",
             ROW_SERIAL, ("lanes", "pipeline", "interleave"), _dense_latency, table_bits=lambda d, b: 2 * d * d,
             baseline=True),
)

Arch = enum.Enum("Arch", {s.name.upper(): s.name for s in _ENTRIES}, type=str, module=__name__)
Arch.__doc__ = "The architectures, one member per registry entry (``Arch.SDF.value == 'sdf'``)."

ARCH_SPECS: dict[Arch, ArchSpec] = {s.arch: s for s in _ENTRIES}

SERIAL_ARCHS: tuple[Arch, ...] = tuple(a for a, s in ARCH_SPECS.items() if s.serial)


def arch_names(*, baselines: bool = True) -> tuple[str, ...]:
    """The architectures' names, in registry order (``baselines=False``: without the dense one)."""
    return tuple(s.name for s in ARCH_SPECS.values() if baselines or not s.baseline)


def interleaving_arch_names() -> tuple[str, ...]:
    """The architectures that can interleave sequences (``interleave`` among their options)."""
    return tuple(s.name for s in ARCH_SPECS.values() if "interleave" in s.options)


def arch_spec(arch: Arch | str) -> ArchSpec:
    """The registry entry of ``arch``, or a ConfigError listing the architectures."""
    try:
        return ARCH_SPECS[Arch(arch)]
    except ValueError:
        raise ConfigError(f"arch must be one of {', '.join(arch_names())}, not {arch!r}", field="arch") from None
