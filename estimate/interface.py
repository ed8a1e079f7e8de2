"""What the AXI top level and runtime weights add to a cell, in the analytic model's features.

``interface: "axis"`` alone is wiring (the AXI4-Stream ports are the cell's streams renamed,
zero-padded to whole bytes): nothing to count. ``weights: "runtime"`` adds, per table of
:func:`hadam_hw.regmap.design_regmap`, a RAM with a byte-enabled write port (block RAM,
distributed RAM or flip-flops, as ``memory_libmap`` would choose) or a register file for
the tables the datapath reads whole, their 32-bit read-back multiplexers, and the AXI4-Lite
slave with its control and status registers. The cell's baked tables (ROMs, constants) are
not counted for such a design (:mod:`estimate.resources` skips them); its widths are the
shape's envelope (:func:`hadam_hw.widths.envelope_widths`).
"""

from __future__ import annotations

import math

from hadam_hw.config import HardwareConfig, Weights
from hadam_hw.model import HadamModel
from hadam_hw.regmap import DATA_BITS, design_regmap
from hadam_hw.schedule import ceil_log2, make_schedule

from .resources import TARGET_RULES, Component, memory_mapping

__all__ = ["interface_components", "TABLE_PARTS"]

# which part of the cell each weight table feeds (the parts estimate/resources.py reports)
TABLE_PARTS = {"U": "input_projection", "V": "output_head", "c": "output_head", "C": "final_add", "sign": "final_add"}


def _mux_bits(inputs: int, width: int) -> float:
    """2:1 multiplexer bits of an ``inputs``-way selection of ``width`` bits."""
    return float(max(0, inputs - 1) * width)


def interface_components(model: HadamModel, hw: HardwareConfig, target: str) -> list[Component]:
    """The components a runtime-weights design adds to its cell (none for baked weights)."""
    if hw.weights is not Weights.RUNTIME:
        return []
    rules = TARGET_RULES[target]
    rm = design_regmap(model, hw)
    out = []
    for t in rm.tables:
        c = Component(f"weight memory {t.name}", TABLE_PARTS[t.source],
                      f"{t.rows} x {t.row_bits} bits ({t.storage}), byte-enabled writes from AXI4-Lite, "
                      f"{t.words_per_row}-word read-back mux")
        words = t.rows * t.words_per_row
        if t.storage == "ram":
            kind, n = memory_mapping(rules, t.rows, t.row_bits, rom=False, sync=True)
            if kind == "block":
                c.add(bram=n)
            elif kind == "lutram":
                lr = rules.lutram
                c.add(lutram=n * lr.luts, mux=_mux_bits(math.ceil(t.rows / lr.depth), t.row_bits), ff=t.row_bits)
            else:
                c.add(ff=t.rows * t.row_bits + t.row_bits, mux=_mux_bits(t.rows, t.row_bits), ctl=t.rows)
            c.add(mux=_mux_bits(t.words_per_row, DATA_BITS) + t.row_bits)  # read-back word, address select
        else:
            # a register file: one enable per word, the read-back a words-to-one multiplexer
            c.add(ff=t.rows * t.row_bits + DATA_BITS, ctl=words + ceil_log2(max(2, words)),
                  mux=_mux_bits(words, DATA_BITS))
        out.append(c)
    a = rm.addr_bits
    S = make_schedule(model, hw)
    drain = S.latency_cycles + S.cycles_per_step + 1
    slave = Component("AXI4-Lite slave, control and status", "control",
                      f"{a}-bit addresses, {len(rm.registers)} registers, {len(rm.tables)} memories, "
                      "an ERRORS counter, the in-flight counter for STATUS.idle")
    slave.add(ff=2 * a + 2 * DATA_BITS + DATA_BITS // 8 + DATA_BITS + 12 + ceil_log2(drain + 1),
              alu=DATA_BITS + ceil_log2(drain + 1),  # ERRORS and the in-flight counter
              ctl=4 * a + 2 * len(rm.tables),  # address decode of both channels
              mux=_mux_bits(len(rm.registers), DATA_BITS) + _mux_bits(len(rm.tables) + 1, DATA_BITS))
    out.append(slave)
    return out
