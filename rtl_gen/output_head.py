"""The registered output head: ``y = V·relu(h) + c`` accumulated over a step's row groups.

Each cycle brings ``lanes`` rows of ``relu(h)`` and the matching columns of ``V`` (one table
word: lane ``l``, output ``o``, weight bit ``j`` at bit ``(l·n_out + o)·p + j``). Per output,
the ``lanes·p`` partial-product rows (each ``relu << j`` gated by a weight bit, the sign
bit's row subtracted: no inferred multiplier) form one registered sum (a register after
every ``pipeline`` adder levels and at its root), and an accumulator adds it to ``c`` on the
first row group of a step and to itself on the others. Every partial sum lies inside the
``y`` interval, so the accumulator is exactly ``y_bits`` wide and never wraps.

Weight bits that are the same in every row group (a baked table) are constants: their rows
are plain or empty, which synthesis folds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import Interval
from hadam_hw.latency import registered_tree_latency

from .arith import Term, WidthLog, gated_rows, registered_sum

__all__ = ["RegisteredOutputHead"]


class RegisteredOutputHead(wiring.Component):
    """Members: ``relu`` (in, ``lanes`` unsigned of ``relu_bits``), ``weights`` (in, the row
    group's ``V`` word), ``start`` (in: this cycle's sums are the step's first row group; it
    comes ``latency − 1`` cycles after that row group's ``relu``), ``c`` (in, ``n_out`` signed
    of ``c_bits``), ``y`` (out, ``n_out`` signed of ``y_bits``: the accumulators).

    ``y`` is the step's output ``latency`` cycles after its last row group's ``relu``.
    ``const_bits[l·n_out + o][j]``: 0 or 1 where that weight bit is the same in every row
    group, ``None`` where it is read from ``weights``; ``None`` for all: every bit is read.
    """

    def __init__(self, *, lanes: int, n_out: int, weight_bits: int, relu_max: int, y_bits: int, c_bits: int,
                 pipeline: int, const_bits: Sequence[Sequence[int | None]] | None = None):
        for name, v, lo in (("Lanes", lanes, 1), ("Outputs", n_out, 1), ("Weight bits", weight_bits, 2),
                            ("Relu max", relu_max, 0), ("y bits", y_bits, 1), ("c bits", c_bits, 1)):
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                raise ConfigError(f"{name} must be an integer of at least {lo}, not {v!r}")
        if not isinstance(pipeline, int) or pipeline < 1:
            raise ConfigError(f"The registered output head needs pipeline >= 1, not {pipeline!r}")
        cols = lanes * n_out
        if const_bits is None:
            const_bits = [[None] * weight_bits for _ in range(cols)]
        if len(const_bits) != cols or any(len(c) != weight_bits for c in const_bits) or \
                any(b not in (None, 0, 1) for c in const_bits for b in c):
            raise ConfigError(f"const_bits must be {cols} columns of {weight_bits} entries 0, 1 or None")
        self.lanes, self.n_out, self.weight_bits, self.pipeline = lanes, n_out, weight_bits, pipeline
        self.relu_max, self.y_bits, self.c_bits = relu_max, y_bits, c_bits
        self.const_bits = [list(c) for c in const_bits]
        self.internal_widths = WidthLog()
        super().__init__({
            "relu": In(data.ArrayLayout(unsigned(max(1, relu_max.bit_length())), lanes)),
            "weights": In(cols * weight_bits),
            "start": In(1),
            "c": In(data.ArrayLayout(signed(c_bits), n_out)),
            "y": Out(data.ArrayLayout(signed(y_bits), n_out)),
        })

    @property
    def latency(self) -> int:
        """Cycles from a row group's ``relu`` to the accumulator holding it: the sum's registers
        and the accumulator."""
        return registered_tree_latency(self.lanes * self.weight_bits, self.pipeline) + 1

    def model(self, relu, V, c) -> np.ndarray:
        """Bit-exact reference of one step: ``relu`` ``(groups, lanes)``, ``V`` ``(groups, lanes,
        n_out)`` signed weights, ``c`` ``(n_out,)`` → ``y`` ``(n_out,)``."""
        relu, V, c = (np.asarray(a, dtype=np.int64) for a in (relu, V, c))
        return c + np.einsum("gl,glo->o", relu, V)

    def elaborate(self, platform):
        m = Module()
        L, n_out, p = self.lanes, self.n_out, self.weight_bits
        relu_iv = Interval(0, self.relu_max)
        for o in range(n_out):
            rows = []
            for ln in range(L):
                col = ln * n_out + o
                bits = [b if b is not None else self.weights[col * p + j] for j, b in enumerate(self.const_bits[col])]
                rows += gated_rows(Term(self.relu[ln], relu_iv), bits, f"vh{o}_{ln}")
            tot, regs = registered_sum(m, rows, pipeline=self.pipeline, name=f"head{o}", log=self.internal_widths,
                                       log_as="head")
            assert regs + 1 == self.latency, (regs, self.latency)
            acc = Signal(signed(self.y_bits), name=f"yacc{o}")
            m.d.sync += acc.eq(Mux(self.start, self.c[o], acc) + tot.value)
            m.d.comb += self.y[o].eq(acc)
        self.internal_widths.note("head.acc", self.y_bits)
        return m
