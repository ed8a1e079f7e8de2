"""``sdf``: the folded, streaming Walsh–Hadamard transform (single-path delay feedback).

The state streams through ``lanes`` elements per cycle (element ``p`` of a step in lane
``p mod lanes`` at cycle ``p // lanes``). A butterfly at stride ``s >= lanes`` pairs
elements ``D = s / lanes`` cycles apart and is one SDF stage: one adder and one
subtractor per lane and a ``D``-deep delay line. For the first ``D`` cycles of each
``2D``-cycle group the stage stores the input (``a``) and outputs the delay line (the
previous group's ``a − c``); for the next ``D`` it outputs ``a + c`` and stores ``a − c``.
Every element leaves a stage exactly ``D`` cycles after it entered, in natural order, so
the transform's output is in Sylvester order with no reordering. Strides below ``lanes``
are plain butterflies across lanes. With one lane: ``log2 b`` adders and subtractors and
``b − 1`` delay registers per datapath, the fewest adders of all architectures.

``start`` marks the cycle carrying elements ``0 … lanes−1`` of a step; each stage
restarts its group counter when that mark reaches it, so steps may follow each other
back to back or after any gap. ``pipeline = K``: a register after every ``K`` stages.

``registered=True`` (the cell's registered design): ``start`` comes one cycle *ahead* of
element group 0, so each stage's group counter is reset a cycle early and its phase is a
register bit (no multiplexer on the control path that fans out to every lane's adders),
and the last stage is registered too (``latency`` counts it).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.archs import Arch, arch_spec, sdf_delay_cycles
from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import Interval
from hadam_hw.hadamard import fwht, log2_exact

from ..arith import Term, WidthLog, sig
from . import register

__all__ = ["SDFButterfly"]


@register(Arch.SDF)
class SDFButterfly(wiring.Component):
    """Streaming ``(I ⊗ S_b)`` transform, ``lanes`` elements per cycle.

    Members: ``x`` (in, ``lanes`` signed lanes), ``start`` (in, first cycle of a step),
    ``y`` (out, ``lanes`` signed lanes). Element group ``g`` of a step whose ``start`` is at
    cycle ``c`` enters at ``c + g`` and its transform leaves at ``c + g + latency``. Steps
    must start at least ``groups_per_block = max(1, b / lanes)`` cycles apart and
    their element groups must be consecutive cycles.
    """

    def __init__(self, *, block: int, lanes: int, in_width: int, pipeline: int = 0, registered: bool = False):
        log2_exact(block, "block size")
        log2_exact(lanes, "lanes")
        if not isinstance(in_width, int) or in_width < 1:
            raise ConfigError(f"Input width must be a positive integer, not {in_width!r}")
        if not isinstance(pipeline, int) or pipeline < 0:
            raise ConfigError(f"Pipeline must be a non-negative integer, not {pipeline!r}")
        if registered and pipeline < 1:
            raise ConfigError(f"The registered SDF needs pipeline >= 1, not {pipeline!r}")
        self.block, self.lanes, self.in_width, self.pipeline = block, lanes, in_width, pipeline
        self.registered = bool(registered)
        # temporal strides (largest first), then strides across lanes
        self.strides = [s for s in _strides(block) if s >= lanes] + [s for s in _strides(block) if s < lanes]
        iv = Interval(-(1 << (in_width - 1)), (1 << (in_width - 1)) - 1)
        self.intervals = [iv]
        for _ in self.strides:
            iv = (iv + iv).union(iv + (-iv))
            self.intervals.append(iv)
        self.out_width = iv.width
        self.internal_widths = WidthLog()
        for k, s in enumerate(self.strides):
            self.internal_widths.note(f"sdf.stage{k + 1}", self.intervals[k + 1].width)
            if s >= lanes:
                self.internal_widths.note(f"sdf.delay{k + 1}", self.intervals[k].union(
                    self.intervals[k] + (-self.intervals[k])).width)
        super().__init__({
            "x": In(data.ArrayLayout(signed(in_width), lanes)),
            "start": In(1),
            "y": Out(data.ArrayLayout(signed(self.out_width), lanes)),
        })

    @classmethod
    def for_cell(cls, model, hw, *, registered: bool) -> SDFButterfly:
        """The datapath of the cell for ``model`` built as ``hw``: its state streams in."""
        cfg = model.config
        return cls(block=cfg.block, lanes=hw.lanes, in_width=cfg.state_bits, pipeline=hw.pipeline,
                   registered=registered)

    @classmethod
    def resources(cls, counter, rec, *, registered: bool) -> None:
        """Resource formula (called by :mod:`estimate.resources` with its counting toolkit and the
        recurrence part): per temporal stage two adders, their multiplexers, a delay line and
        its group counter; per stage across lanes two adders; a register after every
        ``pipeline`` stages (registered: and after the last). The state memory is the cell's."""
        cfg, S, K = counter.cfg, counter.S, counter.hw.pipeline
        L = S.lanes
        strides = [s for s in _strides(cfg.block) if s >= L] + [s for s in _strides(cfg.block) if s < L]
        w = cfg.state_bits
        for k, s in enumerate(strides, 1):
            w += 1
            if s >= L:
                D = s // L
                rec.add(alu=L * 2 * w, mux=L * 2 * w, ff=L * D * w + D)
                counter.counter(rec, 2 * D)
            else:
                rec.add(alu=L * 2 * w)
            if (k % K == 0 or k == len(strides)) if registered else (K and k % K == 0):
                rec.add(ff=L * w + 1)
        rec.formula = (f"{L} lane(s) × {len(strides)} SDF stage(s), registered" if registered
                       else f"{L} lane(s) × {len(strides)} SDF stage(s) (add, subtract, delay line)")

    @property
    def delay_cycles(self) -> int:
        return sdf_delay_cycles(self.block, self.lanes)

    @property
    def latency(self) -> int:
        return arch_spec(Arch.SDF).latency(self.block, self.block, self.lanes, self.pipeline, self.registered)

    @property
    def delay_registers(self) -> int:
        """Registers (of one lane) in the delay lines: ``b/lanes − 1``."""
        return self.delay_cycles

    def model(self, steps) -> np.ndarray:
        """Bit-exact reference: ``(S, n)`` steps of ``n`` elements (a multiple of ``b``) → transforms."""
        return fwht(np.asarray(steps, dtype=np.int64), self.block)

    def elaborate(self, platform):
        m = Module()
        L = self.lanes
        vals = [Term(self.x[ln], self.intervals[0]) for ln in range(L)]
        tok = self.start
        for k, s in enumerate(self.strides, 1):
            iv_in, iv = self.intervals[k - 1], self.intervals[k]
            if s >= L:
                D = s // L
                cnt = Signal(range(2 * D), name=f"cnt{k}")
                if self.registered:  # tok leads the group by a cycle: the phase is a register bit
                    m.d.sync += cnt.eq(Mux(tok, 0, cnt + 1))
                    idx = cnt
                else:
                    idx = Signal(range(2 * D), name=f"idx{k}")
                    m.d.comb += idx.eq(Mux(tok, 0, cnt))
                    m.d.sync += cnt.eq(idx + 1)
                phase = idx[log2_exact(D)]  # 0: store a, emit previous a - c; 1: emit a + c
                dl_iv = iv_in.union(iv_in + (-iv_in))
                nxt = []
                for ln in range(L):
                    line = [sig(dl_iv, f"d{k}_{ln}_{i}") for i in range(D)]
                    head, x = line[-1], vals[ln].value
                    push = Mux(phase, head - x, x)
                    m.d.sync += line[0].eq(push)
                    for i in range(1, D):
                        m.d.sync += line[i].eq(line[i - 1])
                    out = sig(iv, f"o{k}_{ln}")
                    m.d.comb += out.eq(Mux(phase, head + x, head))
                    nxt.append(Term(out, iv))
                # the step mark follows its element group through the delay
                for i in range(D):
                    t = Signal(name=f"tok{k}_{i}")
                    m.d.sync += t.eq(tok)
                    tok = t
            else:
                nxt = [None] * L
                for base in range(0, L, 2 * s):
                    for j in range(base, base + s):
                        a, c = vals[j], vals[j + s]
                        p, q = sig(iv, f"o{k}_{j}"), sig(iv, f"o{k}_{j + s}")
                        m.d.comb += [p.eq(a.value + c.value), q.eq(a.value - c.value)]
                        nxt[j], nxt[j + s] = Term(p, iv), Term(q, iv)
            last = k == len(self.strides)
            if self.pipeline and (k % self.pipeline == 0 or (self.registered and last)):
                regd = []
                for ln, t in enumerate(nxt):
                    r = sig(iv, f"p{k}_{ln}")
                    m.d.sync += r.eq(t.value)
                    regd.append(Term(r, iv))
                nxt = regd
                t = Signal(name=f"ptok{k}")
                m.d.sync += t.eq(tok)
                tok = t
            vals = nxt
        for ln in range(L):
            m.d.comb += self.y[ln].eq(vals[ln].value)
        return m


def _strides(block: int) -> list[int]:
    """Butterfly strides of a size-``block`` transform, largest first."""
    out, s = [], block // 2
    while s >= 1:
        out.append(s)
        s //= 2
    return out
