"""``dense``: the baseline, a generic ±1/0 matrix-vector product with no Hadamard structure.

The full ``d × d`` ternary matrix (for HadamRNN, ``I_{d/b} ⊗ S_b``) is treated as
arbitrary constants: each lane reads its row's coefficients from a ROM (a non-zero mask,
a negative mask and the row's count of negatives) and sums all ``d`` inputs — zeros
included — in a ``d``-input tree. A negative coefficient is the ones' complement of the
input (an XOR), the row's count of negatives is added once as a correction, exactly as in
the ``adder_tree``, so the comparison isolates what the Hadamard structure saves.
``lanes`` rows per cycle; ``pipeline = K``: a register after every ``K`` adder levels.

``registered=True`` (the cell's registered design): the row table is read in logic (its masks
are Sylvester patterns, cheap as functions of the row number) into a register (``row`` one
cycle *ahead* of ``h``), so every leaf's gates come from a register; the root is registered
(``latency`` counts it; ``pipeline >= 1``).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.archs import Arch
from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import Interval
from hadam_hw.hadamard import block_hadamard
from hadam_hw.latency import ceil_log2, pipeline_registers, registered_tree_latency

from ..arith import Term, WidthLog, bits_to_ints, registered_sum, rom, sum_tree
from . import register

__all__ = ["DenseTernaryMatVec"]


@register(Arch.DENSE)
class DenseTernaryMatVec(wiring.Component):
    """``r[l] = Σ_j M[i][j] · h[j]`` for ``i = row·lanes + l``, ``M`` any ``d × d`` ternary matrix.

    Members: ``h`` (in, ``d`` signed lanes), ``row`` (in), ``r`` (out, ``lanes`` signed
    lanes); ``r`` at cycle ``c + latency`` belongs to the inputs at cycle ``c``.
    """

    def __init__(self, *, matrix, lanes: int, in_width: int, pipeline: int = 0, registered: bool = False):
        M = np.asarray(matrix)
        if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] < 1:
            raise ConfigError(f"Matrix must be square, not of shape {M.shape}")
        if not np.isin(M, (-1, 0, 1)).all():
            raise ConfigError("Matrix entries must be -1, 0 or +1")
        d = M.shape[0]
        if d & (d - 1):
            raise ConfigError(f"Matrix size must be a power of two, not {d}")
        if not isinstance(lanes, int) or lanes < 1 or d % lanes:
            raise ConfigError(f"Lanes must divide the matrix size {d}, not {lanes!r}")
        if not isinstance(in_width, int) or in_width < 1:
            raise ConfigError(f"Input width must be a positive integer, not {in_width!r}")
        if not isinstance(pipeline, int) or pipeline < 0:
            raise ConfigError(f"Pipeline must be a non-negative integer, not {pipeline!r}")
        if registered and pipeline < 1:
            raise ConfigError(f"The registered dense datapath needs pipeline >= 1, not {pipeline!r}")
        self.registered = bool(registered)
        self.matrix = M.astype(np.int8)
        self.hidden, self.lanes, self.in_width, self.pipeline = d, lanes, in_width, pipeline
        self.groups = d // lanes
        self.negatives = (self.matrix < 0).sum(axis=1).astype(np.int64)
        self.in_interval = Interval(-(1 << (in_width - 1)), (1 << (in_width - 1)) - 1)
        lo, hi = self.in_interval.lo, self.in_interval.hi
        Mi = self.matrix.astype(np.int64)
        row_lo = np.minimum(Mi * lo, Mi * hi).sum(axis=1)
        row_hi = np.maximum(Mi * lo, Mi * hi).sum(axis=1)
        self.out_interval = Interval(int(row_lo.min()), int(row_hi.max()))
        self.out_width = self.out_interval.width
        self.internal_widths = WidthLog()
        super().__init__({
            "h": In(data.ArrayLayout(signed(in_width), d)),
            "row": In(unsigned(max(1, ceil_log2(self.groups)))),
            "r": Out(data.ArrayLayout(signed(self.out_width), lanes)),
        })

    @classmethod
    def for_cell(cls, model, hw, *, registered: bool) -> DenseTernaryMatVec:
        """The datapath of the cell for ``model`` built as ``hw``: the block Hadamard matrix as
        arbitrary ternary constants."""
        cfg = model.config
        return cls(matrix=block_hadamard(cfg.hidden, cfg.block), lanes=hw.lanes, in_width=cfg.state_bits,
                   pipeline=hw.pipeline, registered=registered)

    @classmethod
    def resources(cls, counter, rec, *, registered: bool) -> list[int] | None:
        """Resource formula (called by :mod:`estimate.resources`): per lane a tree of all ``d``
        leaves (only the row's non-zeros when the rows are constant) plus the correction, the
        leaves' gates and the row table (non-zero mask, negative mask, count of negatives);
        only registered sums merge across lanes."""
        cfg, S = counter.cfg, counter.S
        d, b, sb, L, G = cfg.hidden, cfg.block, cfg.state_bits, S.lanes, S.groups
        M = block_hadamard(d, b)
        negs = (M < 0).sum(axis=1)
        corr = Interval(0, int(negs.max()))
        leaves = [(Interval(*cfg.h_range), [sb])] * (b if G == 1 else d) + ([(corr, [corr.width])] if negs.any() else [])
        if G > 1:
            wc = max(1, int(negs.max()).bit_length())
            words = []
            for ln in range(L):
                rows = np.arange(G) * L + ln
                words.append(np.concatenate([(M[rows] != 0), (M[rows] < 0), counter.bits(negs[rows][:, None], wc + 1)[:, :wc]],
                                            axis=1).astype(np.uint8))
            table = np.concatenate(words, axis=1)
            if registered:
                counter.rom(rec, table, address=("row", S.read_offset), logic=True)
            else:
                counter.rom(rec, table, address=("row", S.read_offset), sync=False)
            rec.add(leaf=L * d * sb)
        rec.formula = (f"{L} lane(s) × {len(leaves)}-operand registered tree of {sb}-bit leaves" if registered
                       else f"{L} lane(s) × {len(leaves)}-operand generic ±1/0 tree of {sb}-bit leaves; row table {G} words")
        rows = [[g * L + ln for g in range(G)] for ln in range(L)]
        sigs = []  # per lane, per leaf: its source and sign in every row group
        for ln in range(L):
            r = rows[ln]
            if G == 1:  # constant rows: the non-zero leaves only, each with its sign
                nz = np.flatnonzero(M[r[0]])
                sig = [(int(j), int(M[r[0], j])) for j in nz[:b]]
            else:
                sig = [(j, tuple(int(M[i, j]) for i in r)) for j in range(d)]
            if negs.any():
                sig.append(tuple(int(negs[i]) for i in r))
            sigs.append(sig)
        return counter.row_trees(rec, sigs, leaves, shared_subsums=False, registered=registered)

    @property
    def has_correction(self) -> bool:
        return bool(self.negatives.any())

    @property
    def levels(self) -> int:
        return ceil_log2(self.hidden + (1 if self.has_correction else 0))

    @property
    def latency(self) -> int:
        if self.registered:
            return registered_tree_latency(1 << self.levels, self.pipeline)
        return pipeline_registers(self.levels, self.pipeline)

    @property
    def row_lead(self) -> int:
        """Cycles ``row`` comes ahead of ``h``."""
        return 1 if self.registered else 0

    def model(self, h, rows) -> np.ndarray:
        """Bit-exact reference: ``h`` ``(N, d)``, ``rows`` ``(N,)`` → ``(N, lanes)``."""
        h = np.asarray(h, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        idx = rows[:, None] * self.lanes + np.arange(self.lanes)[None, :]
        M = self.matrix.astype(np.int64)
        return np.einsum("nlj,nj->nl", M[idx], h)

    def _words(self, lane: int) -> tuple[list[int], int]:
        """ROM words of one lane: non-zero mask, negative mask, count of negatives."""
        d, L = self.hidden, self.lanes
        wc = max(1, int(self.negatives.max()).bit_length())
        rows = np.arange(self.groups) * L + lane
        nz = bits_to_ints(self.matrix[rows] != 0)
        neg = bits_to_ints(self.matrix[rows] < 0)
        words = [int(a) | (int(b) << d) | (int(c) << (2 * d)) for a, b, c in zip(nz, neg, self.negatives[rows], strict=True)]
        return words, 2 * d + wc

    def elaborate(self, platform):
        m = Module()
        d, L = self.hidden, self.lanes
        row = self.row[:ceil_log2(self.groups)] if self.groups > 1 else Const(0, 1)
        for ln in range(L):
            words, width = self._words(ln)
            if self.registered:
                # the table read, then a register; a column that is the same in every row is a
                # constant (what synthesis makes of an unregistered table), not a flip-flop
                rom_word = rom(m, f"rows{ln}", words, width, row, attrs={"rom_style": "logic"})
                reg = Signal(width, name=f"rowword{ln}")
                m.d.sync += reg.eq(rom_word)
                cols = np.array([[(w >> i) & 1 for i in range(width)] for w in words])
                word = [int(cols[0, i]) if (cols[:, i] == cols[0, i]).all() else reg[i] for i in range(width)]
                word = Cat(*[Const(b, 1) if isinstance(b, int) else b for b in word])
            else:
                word = rom(m, f"rows{ln}", words, width, row)
            leaves = []
            for j in range(d):
                x = self.h[j]
                leaves.append(Term(Mux(word[j], Mux(word[d + j], ~x, x), 0), self.in_interval))
            if self.has_correction:
                cmax = int(self.negatives.max())
                leaves.append(Term(word[2 * d:], Interval(0, (1 << (width - 2 * d)) - 1).union(Interval(0, cmax))))
            walk = registered_sum if self.registered else sum_tree
            total, regs = walk(m, leaves, pipeline=self.pipeline, name=f"t{ln}",
                               log=self.internal_widths, log_as="dense")
            assert regs == self.latency
            m.d.comb += self.r[ln].eq(total.value)  # the exact row sum fits out_width
        return m
