"""The adder lower bound every estimate is compared against (SPEC §5–6).

The recurrence ``S_b h`` needs at least ``d·log2 b`` two-input additions per step (the
fast Walsh–Hadamard transform). Stage ``s`` (1 … log2 b) adds numbers of ``state_bits + s``
bits, and one ripple-carry adder bit costs one LUT-equivalent on every target (a LUT4
beside a carry cell on ice40, half a CCU2C on ECP5, a LUT6 on a CARRY4 on Xilinx, an ALU
on Gowin). A design taking ``k`` cycles per step may share its adders ``k`` ways, so the
bound is divided by ``k``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hadam_hw.config import ModelConfig

__all__ = ["AdderBound", "adder_lower_bound"]


@dataclass(frozen=True)
class AdderBound:
    adders_per_step: int
    adder_bits_per_step: int  # Σ over the FWHT's adders of their widths
    cycles_per_step: int

    @property
    def luts(self) -> float:
        """LUT-equivalents of the bound at ``cycles_per_step`` (adders shared k ways)."""
        return self.adder_bits_per_step / self.cycles_per_step


def adder_lower_bound(cfg: ModelConfig, cycles_per_step: int = 1) -> AdderBound:
    m = cfg.block.bit_length() - 1
    d, sb = cfg.hidden, cfg.state_bits
    bits = sum(d * (sb + s) for s in range(1, m + 1))
    return AdderBound(adders_per_step=d * m, adder_bits_per_step=bits, cycles_per_step=max(1, int(cycles_per_step)))


def ratio(value: float, reference: float) -> float:
    return value / reference if reference else math.inf
