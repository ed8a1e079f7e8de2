"""The weight tables of a runtime-weights design: RAMs or registers, written word by word.

One table per :class:`hadam_hw.regmap.WeightTable` of the design's register map, in the
layout the cell's datapath reads it: a ``"ram"`` table is a memory of ``rows`` rows (one
row per cycle, a block RAM), a ``"registers"`` table holds every row at once (the
butterfly's per-row constants). Both start with the generating model's weights.

Two sides. The bus side (the signature) writes and reads 32-bit words at the regmap's
word addresses, with byte strobes; it owns the memories' read ports while ``open`` is
high (the cell is idle). The cell side is :meth:`WeightStore.port`: per table, the row
address and read enable the cell drives and the row it gets back one cycle later, lanes
packed contiguously (lane ``k`` at ``k·lane_bits``), exactly as a baked ROM's word.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.regmap import DATA_BITS, Regmap, WeightTable, table_words

__all__ = ["WeightStore", "TablePort"]


@dataclass
class TablePort:
    """The cell's view of one table: drive ``addr`` (and ``en``), read ``data`` a cycle later.

    For a ``"registers"`` table ``addr``/``en`` are ignored: ``data`` holds every row,
    row 0 in the least significant bits.
    """

    table: WeightTable
    addr: Signal
    en: Signal
    data: Signal


def _ceil_log2(n: int) -> int:
    return max(0, (n - 1).bit_length())


class WeightStore(wiring.Component):
    """Members (bus side): ``open`` (in: the bus owns the read ports), ``sel`` (in: table
    index in the regmap's order), ``waddr``/``raddr`` (in: word index inside the table),
    ``wdata``, ``wstrb``, ``we`` (in: write this cycle), ``re`` (in: read this cycle),
    ``rdata`` (out: the word of the read, the cycle after ``re``)."""

    def __init__(self, model, regmap: Regmap):
        self.regmap = regmap
        self.words = table_words(model, regmap)  # refuses a generating model that does not fit
        self.word_bits = max(1, max(_ceil_log2(t.depth) for t in regmap.tables))
        self.ports = {}
        for t in regmap.tables:
            rows_bits = max(1, _ceil_log2(t.rows))
            width = t.lanes * t.lane_bits * (t.rows if t.storage == "registers" else 1)
            self.ports[t.name] = TablePort(t, Signal(rows_bits, name=f"{t.name}_cell_addr"),
                                           Signal(init=1, name=f"{t.name}_cell_en"),
                                           Signal(unsigned(width), name=f"{t.name}_cell_data"))
        super().__init__({
            "open": In(1),
            "sel": In(range(max(2, len(regmap.tables)))),
            "waddr": In(self.word_bits),
            "raddr": In(self.word_bits),
            "wdata": In(DATA_BITS),
            "wstrb": In(DATA_BITS // 8),
            "we": In(1),
            "re": In(1),
            "rdata": Out(DATA_BITS),
        })

    def port(self, name: str) -> TablePort:
        return self.ports[name]

    def _row_inits(self, t: WeightTable) -> list[int]:
        words = self.words[t.name]
        out = []
        for r in range(t.rows):
            row = 0
            for j in range(t.words_per_row):
                row |= words[r * t.words_per_row + j] << (DATA_BITS * j)
            out.append(row)
        return out

    @staticmethod
    def _lanes(t: WeightTable, row) -> list:
        return [row[t.lane_slot(k):t.lane_slot(k) + t.lane_bits] for k in range(t.lanes)]

    def elaborate(self, platform):
        m = Module()
        sel_q = Signal.like(self.sel)
        m.d.sync += sel_q.eq(self.sel)
        words_out = []
        for i, t in enumerate(self.regmap.tables):
            p = self.ports[t.name]
            jb = _ceil_log2(t.row_stride)
            wrow, wj = self.waddr[jb:], self.waddr[:jb] if jb else Const(0, 1)
            rrow, rj = self.raddr[jb:], self.raddr[:jb] if jb else Const(0, 1)
            rj_q = Signal(max(1, jb), name=f"{t.name}_rj")
            m.d.sync += rj_q.eq(rj)
            we = self.we & (self.sel == i)
            nbytes = t.row_bits // 8
            inits = self._row_inits(t)
            if t.storage == "ram":
                mem = memory.Memory(shape=unsigned(t.row_bits), depth=t.rows, init=inits)
                m.submodules[f"{t.name}_ram"] = mem
                wp = mem.write_port(granularity=8)
                rp = mem.read_port(domain="sync")
                m.d.comb += [
                    wp.addr.eq(wrow),
                    wp.data.eq(Cat(*[self.wdata] * t.words_per_row)),
                    wp.en.eq(Mux(we, (self.wstrb << (wj * (DATA_BITS // 8)))[:nbytes], 0)),
                    rp.addr.eq(Mux(self.open, rrow, p.addr)),
                    rp.en.eq(self.open | p.en),
                    p.data.eq(Cat(*self._lanes(t, rp.data))),
                ]
                words_out.append(Array(rp.data.word_select(j, DATA_BITS) for j in range(t.words_per_row))[rj_q]
                                 if t.words_per_row > 1 else rp.data)
                continue
            # registers: the whole table, every byte written on its own strobe
            init = sum(v << (t.row_bits * r) for r, v in enumerate(inits))
            regs = Signal(unsigned(t.rows * t.row_bits), init=init, reset_less=True, name=f"{t.name}_regs")
            for r in range(t.rows):
                for j in range(t.words_per_row):
                    with m.If(we & (wrow == r) & (wj == j)):
                        base = (r * t.words_per_row + j) * DATA_BITS
                        for b in range(DATA_BITS // 8):
                            with m.If(self.wstrb[b]):
                                m.d.sync += regs[base + 8 * b:base + 8 * b + 8].eq(self.wdata[8 * b:8 * b + 8])
            rows = [regs[r * t.row_bits:(r + 1) * t.row_bits] for r in range(t.rows)]
            m.d.comb += p.data.eq(Cat(*[Cat(*self._lanes(t, row)) for row in rows]))
            # read back one cycle after the request, like a RAM
            word = Signal(DATA_BITS, name=f"{t.name}_rword")
            flat = [row.word_select(j, DATA_BITS) for row in rows for j in range(t.words_per_row)]
            idx = rrow * t.words_per_row + rj if t.words_per_row > 1 else rrow
            m.d.sync += word.eq(Array(flat)[idx] if len(flat) > 1 else flat[0])
            words_out.append(word)
        m.d.comb += self.rdata.eq(Array(words_out)[sel_q])
        return m
