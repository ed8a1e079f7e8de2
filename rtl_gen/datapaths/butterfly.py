"""``butterfly``: the fast Walsh–Hadamard transform of the whole state vector.

``log2 b`` stages of add/subtract butterflies ``(a + c, a − c)`` at strides 1, 2, 4 …
inside each block of ``b`` elements: exactly ``(I ⊗ S_b) x`` in Sylvester order (the
stages commute; see :func:`hadam_hw.hadamard.fwht`). ``d · log2 b`` adders, one vector per
cycle. ``pipeline = K``: a register after every ``K`` stages (``latency = log2 b // K``).
Widths: stage ``k`` holds ``in_width + k`` bits, exactly what ``2^k`` signed inputs need.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.archs import Arch, arch_spec
from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import Interval
from hadam_hw.hadamard import check_hidden_block, fwht
from hadam_hw.latency import ceil_log2

from ..arith import Term, WidthLog, sig
from . import register

__all__ = ["ButterflyFWHT"]


def _stage_interval(iv: Interval) -> Interval:
    return (iv + iv).union(iv + (-iv))


@register(Arch.BUTTERFLY)
class ButterflyFWHT(wiring.Component):
    """``y = (I_{d/b} ⊗ S_b) · x`` for one vector per cycle.

    Parameters: ``hidden`` (d), ``block`` (b), ``in_width`` (signed input bits),
    ``pipeline`` (a register after every that many stages; 0 = combinational).

    Members: ``x`` (in, ``d`` signed lanes), ``y`` (out, ``d`` signed lanes). ``y`` at
    cycle ``c + latency`` is the transform of ``x`` at cycle ``c``.
    """

    def __init__(self, *, hidden: int, block: int, in_width: int, pipeline: int = 0):
        check_hidden_block(hidden, block)
        if not isinstance(in_width, int) or in_width < 1:
            raise ConfigError(f"Input width must be a positive integer, not {in_width!r}")
        if not isinstance(pipeline, int) or pipeline < 0:
            raise ConfigError(f"Pipeline must be a non-negative integer, not {pipeline!r}")
        self.hidden, self.block, self.in_width, self.pipeline = hidden, block, in_width, pipeline
        self.stages = ceil_log2(block)
        iv = Interval(-(1 << (in_width - 1)), (1 << (in_width - 1)) - 1)
        self.intervals = [iv]
        for _ in range(self.stages):
            iv = _stage_interval(iv)
            self.intervals.append(iv)
        self.out_width = iv.width
        self.internal_widths = WidthLog({f"butterfly.stage{k}": v.width for k, v in enumerate(self.intervals[1:], 1)})
        super().__init__({
            "x": In(data.ArrayLayout(signed(in_width), hidden)),
            "y": Out(data.ArrayLayout(signed(self.out_width), hidden)),
        })

    @classmethod
    def for_cell(cls, model, hw, *, registered: bool = False) -> ButterflyFWHT:
        """The datapath of the cell for ``model`` built as ``hw``: the whole state every cycle."""
        cfg = model.config
        return cls(hidden=cfg.hidden, block=cfg.block, in_width=cfg.state_bits, pipeline=hw.pipeline)

    @classmethod
    def resources(cls, counter, rec, *, registered: bool = False) -> list[int] | None:
        """Resource formula (called by :mod:`estimate.resources`): ``d`` add/subtract units per
        stage on ``state_bits + k`` bits, a register after every ``pipeline`` stages. When the
        last stage is combinational and ``A`` a shift, it merges into the final add: returns
        the two operands it brings there instead."""
        cfg, K = counter.cfg, counter.hw.pipeline
        d, sb, kb = cfg.hidden, cfg.state_bits, ceil_log2(cfg.block)
        rec.formula = f"{d}×{kb} add/subtract (fast Walsh–Hadamard), stage k on {sb}+k bits"
        w = sb
        last_registered = False
        for k in range(1, kb + 1):
            w += 1
            rec.add(alu=d * w)
            last_registered = bool(K and k % K == 0)
            if last_registered:
                rec.add(ff=d * w)
        if kb and counter.nA == 1 and not last_registered:
            rec.add(alu=-d * w)
            return [w - 1, w - 1]
        return None

    @property
    def latency(self) -> int:
        return arch_spec(Arch.BUTTERFLY).latency(self.hidden, self.block, self.hidden, self.pipeline, False)

    def model(self, x) -> np.ndarray:
        """Bit-exact reference: ``(N, d)`` integers in, ``(N, d)`` transforms out."""
        return fwht(np.asarray(x, dtype=np.int64), self.block)

    def elaborate(self, platform):
        m = Module()
        d = self.hidden
        vals = [Term(self.x[i], self.intervals[0]) for i in range(d)]
        stride = 1
        for k in range(1, self.stages + 1):
            iv = self.intervals[k]
            nxt = [None] * d
            for base in range(0, d, 2 * stride):
                for j in range(base, base + stride):
                    a, c = vals[j], vals[j + stride]
                    s, t = sig(iv, f"s{k}_{j}"), sig(iv, f"s{k}_{j + stride}")
                    m.d.comb += [s.eq(a.value + c.value), t.eq(a.value - c.value)]
                    nxt[j], nxt[j + stride] = Term(s, iv), Term(t, iv)
            if self.pipeline and k % self.pipeline == 0:
                regd = []
                for j, t in enumerate(nxt):
                    r = sig(iv, f"p{k}_{j}")
                    m.d.sync += r.eq(t.value)
                    regd.append(Term(r, iv))
                nxt = regd
            vals = nxt
            stride *= 2
        for i in range(d):
            m.d.comb += self.y[i].eq(vals[i].value)
        return m
