"""``adder_tree``: ``lanes`` rows of ``(I ⊗ S_b) h`` per cycle, one ``b``-input tree per lane.

Row ``i = row·lanes + l`` of lane ``l`` sums the ``b`` inputs of its block, input ``j``
sign-flipped by the Sylvester pattern ``S_b[i mod b][j] = (−1)^popcount(i & j)``. The zeros
of Block-HadamRNN are never added: the block is selected by a multiplexer, not multiplied.

Negation costs no adder: a flipped leaf is the ones' complement ``~h = −h − 1`` (an XOR
with the flip bit), and the missing ``+1``s are added once at the root: every row of
``S_b`` but row 0 has exactly ``b/2`` negative entries, so the correction is ``b/2`` when
``i mod b ≠ 0`` and 0 otherwise. ``pipeline = K``: a register after every ``K`` of the
``log2 b + 1`` adder levels.

``registered=True`` (the cell's registered design): ``row`` comes one cycle *ahead* of ``h``;
each leaf's flip bit and block select are computed from it and registered (the parity of
``row & j`` is a few LUT levels, and each bit fans out to a whole leaf), and the root is
registered (``latency`` counts it; ``pipeline >= 1``).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.archs import Arch, arch_spec
from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import Interval
from hadam_hw.hadamard import check_hidden_block, sylvester
from hadam_hw.latency import ceil_log2
from hadam_hw.widths import hadamard_sum_interval

from ..arith import Term, WidthLog, registered_sum, sum_tree
from . import register

__all__ = ["SignFlipAdderTree"]


@register(Arch.ADDER_TREE)
class SignFlipAdderTree(wiring.Component):
    """``r[l] = Σ_j S_b[i mod b][j] · h[block(i)·b + j]`` for ``i = row·lanes + l``.

    Members: ``h`` (in, ``d`` signed lanes of ``in_width``), ``row`` (in, the row group),
    ``r`` (out, ``lanes`` signed lanes). ``r`` at cycle ``c + latency`` belongs to ``h`` and
    ``row`` at cycle ``c``.
    """

    def __init__(self, *, hidden: int, block: int, lanes: int, in_width: int, pipeline: int = 0,
                 registered: bool = False):
        check_hidden_block(hidden, block)
        if not isinstance(lanes, int) or lanes < 1 or hidden % lanes:
            raise ConfigError(f"Lanes must divide the hidden size {hidden}, not {lanes!r}")
        if not isinstance(in_width, int) or in_width < 1:
            raise ConfigError(f"Input width must be a positive integer, not {in_width!r}")
        if not isinstance(pipeline, int) or pipeline < 0:
            raise ConfigError(f"Pipeline must be a non-negative integer, not {pipeline!r}")
        if registered and pipeline < 1:
            raise ConfigError(f"The registered adder tree needs pipeline >= 1, not {pipeline!r}")
        self.registered = bool(registered)
        self.hidden, self.block, self.lanes = hidden, block, lanes
        self.in_width, self.pipeline = in_width, pipeline
        self.groups = hidden // lanes
        self.in_interval = Interval(-(1 << (in_width - 1)), (1 << (in_width - 1)) - 1)
        self.out_interval = hadamard_sum_interval(block, self.in_interval)
        self.out_width = self.out_interval.width
        self.internal_widths = WidthLog()
        super().__init__({
            "h": In(data.ArrayLayout(signed(in_width), hidden)),
            "row": In(unsigned(max(1, ceil_log2(self.groups)))),
            "r": Out(data.ArrayLayout(signed(self.out_width), lanes)),
        })

    @classmethod
    def for_cell(cls, model, hw, *, registered: bool) -> SignFlipAdderTree:
        """The datapath of the cell for ``model`` built as ``hw``: it reads the state vector."""
        cfg = model.config
        return cls(hidden=cfg.hidden, block=cfg.block, lanes=hw.lanes, in_width=cfg.state_bits,
                   pipeline=hw.pipeline, registered=registered)

    @classmethod
    def resources(cls, counter, rec, *, registered: bool) -> list[int] | None:
        """Resource formula (called by :mod:`estimate.resources`): per lane a tree of ``b``
        sign-flipped leaves plus the correction, its block select (``d / b`` ways) and, with
        rows that change, the flip gates; Yosys merges identical sub-sums across lanes (the
        flips are known functions of the row counter)."""
        cfg, S = counter.cfg, counter.S
        d, b, sb, L, G = cfg.hidden, cfg.block, cfg.state_bits, S.lanes, S.groups
        corr = Interval(0, b // 2)
        leaves = [(Interval(*cfg.h_range), [sb])] * b + ([(corr, [corr.width])] if b > 1 else [])
        ways = d // max(b, L) if G > 1 else 1
        if registered:
            rec.add(leaf=L * b * sb * max(1, ways - 1) * (1 if G > 1 and L < b else 0))
            rec.add(ff=L * (b + 1) if G > 1 else 0)  # the rows' flip bits, registered
            rec.formula = f"{L} lane(s) × {len(leaves)}-operand registered tree of {sb}-bit leaves"
        else:
            var_flip = G > 1 and L < b
            rec.add(leaf=L * b * sb * (ways - 1) + (L * (b - 1) * sb if var_flip else 0))
            rec.formula = f"{L} lane(s) × {len(leaves)}-operand sign-flip tree of {sb}-bit leaves; block select {ways}:1"
        rows = [[g * L + ln for g in range(G)] for ln in range(L)]
        sigs = []  # per lane, per leaf: (block, flip) in every row group
        for ln in range(L):
            sig = [(tuple(i // b for i in rows[ln]), tuple(bin((i % b) & j).count("1") & 1 for i in rows[ln]))
                   for j in range(b)]
            if b > 1:
                sig.append(tuple((i % b) != 0 for i in rows[ln]))
            sigs.append(sig)
        return counter.row_trees(rec, sigs, leaves, shared_subsums=True, registered=registered)

    @property
    def latency(self) -> int:
        return arch_spec(Arch.ADDER_TREE).latency(self.hidden, self.block, self.lanes, self.pipeline, self.registered)

    @property
    def row_lead(self) -> int:
        """Cycles ``row`` comes ahead of ``h``."""
        return 1 if self.registered else 0

    def model(self, h, rows) -> np.ndarray:
        """Bit-exact reference: ``h`` ``(N, d)``, ``rows`` ``(N,)`` → ``(N, lanes)``."""
        h = np.asarray(h, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        S = sylvester(self.block).astype(np.int64)
        b, L = self.block, self.lanes
        out = np.zeros((len(rows), L), dtype=np.int64)
        for n, g in enumerate(rows):
            for ln in range(L):
                i = int(g) * L + ln
                blk = i // b
                out[n, ln] = S[i % b] @ h[n, blk * b:(blk + 1) * b]
        return out

    def elaborate(self, platform):
        m = Module()
        d, b, L = self.hidden, self.block, self.lanes
        kb, kl = ceil_log2(b), ceil_log2(L)
        nblocks = d // b
        row = self.row[:ceil_log2(self.groups)] if self.groups > 1 else Const(0, 1)
        for ln in range(L):
            # i = row·L + l; its position in the block and its block number
            i = (row << kl) | ln if self.groups > 1 else Const(ln, max(1, kl + 1))
            rmod = i[:kb] if kb else Const(0, 1)
            if nblocks > 1:
                blk = i[kb:]
                if self.registered:
                    blk_q = Signal(len(blk), name=f"blk{ln}")
                    m.d.sync += blk_q.eq(blk)
                    blk = blk_q
                inputs = [Array([self.h[beta * b + j] for beta in range(nblocks)])[blk] for j in range(b)]
            else:
                inputs = [self.h[j] for j in range(b)]
            flips = [(rmod & j).xor() if j and kb else Const(0, 1) for j in range(b)]
            nonzero_row = rmod != 0
            if self.registered:
                fq = Signal(b, name=f"flip{ln}")
                nz = Signal(name=f"rowpos{ln}")
                m.d.sync += [fq.eq(Cat(*flips)), nz.eq(nonzero_row)]
                flips, nonzero_row = [fq[j] if j and kb else Const(0, 1) for j in range(b)], nz
            leaves = []
            for j in range(b):
                flip = flips[j]
                leaves.append(Term(Mux(flip, ~inputs[j], inputs[j]), self.in_interval))
            if b > 1:
                leaves.append(Term(Mux(nonzero_row, b // 2, 0), Interval(0, b // 2)))
            walk = registered_sum if self.registered else sum_tree
            total, regs = walk(m, leaves, pipeline=self.pipeline, name=f"t{ln}",
                               log=self.internal_widths, log_as="adder_tree")
            assert regs == self.latency
            m.d.comb += self.r[ln].eq(total.value)  # exact r fits out_width (hadamard_sum_interval)
        return m
