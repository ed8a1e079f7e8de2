"""The AXI4-Lite slave of a runtime-weights design: control and status registers, weight memories.

The register map is :func:`hadam_hw.regmap.design_regmap`'s: ``ID``, ``VERSION``, ``DESIGN``,
``SHAPE`` (read only), ``CTRL`` (``load``, ``soft_reset``), ``STATUS`` (``weights_valid``,
``idle``, ``loading``), ``ERRORS``; memory ``i`` answers at ``(i + 1) << mem_shift``.

One transaction at a time per direction: a write completes (``bvalid``) the cycle after
both its address and its data have been taken; a read answers (``rvalid``) three cycles
after its address handshake (registered decode, the memory's synchronous read, the
capture). A memory access while ``STATUS.loading`` is 0, a write to a read-only register
and a write into a hole of a memory answer ``SLVERR``; an address outside the map answers
``DECERR``; either is dropped and counted in ``ERRORS``.
"""

from __future__ import annotations

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.regmap import (
    CTRL_LOAD,
    CTRL_SOFT_RESET,
    DATA_BITS,
    ID_MAGIC,
    REGMAP_VERSION,
    Regmap,
)

__all__ = ["AxiLiteSlave", "AXIL_PORTS", "axil_members", "OKAY", "SLVERR", "DECERR"]

OKAY, SLVERR, DECERR = 0, 2, 3

# the slave's members, as they appear on the top level with the ``s_axi_`` prefix
AXIL_PORTS = ("awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready",
              "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready")


def axil_members(addr_bits: int) -> dict:
    """The AXI4-Lite slave's bus members (no prefix), as a slave sees them."""
    return {
        "awaddr": In(addr_bits), "awvalid": In(1), "awready": Out(1),
        "wdata": In(DATA_BITS), "wstrb": In(DATA_BITS // 8), "wvalid": In(1), "wready": Out(1),
        "bresp": Out(2), "bvalid": Out(1), "bready": In(1),
        "araddr": In(addr_bits), "arvalid": In(1), "arready": Out(1),
        "rdata": Out(DATA_BITS), "rresp": Out(2), "rvalid": Out(1), "rready": In(1),
    }


class AxiLiteSlave(wiring.Component):
    """Members: the AXI4-Lite slave signals (``awaddr`` … ``rready``, without prefix); toward
    the design ``idle`` (in: no step in flight, no output waiting), ``load`` (out: CTRL.load),
    ``cell_reset`` (out: one-cycle pulse on soft reset and when a load ends), and the bus
    side of a :class:`~rtl_gen.weight_store.WeightStore` (``st_*``)."""

    def __init__(self, regmap: Regmap, *, store_word_bits: int):
        self.regmap = regmap
        n = max(2, len(regmap.tables))
        super().__init__({
            **axil_members(regmap.addr_bits),
            "idle": In(1), "load": Out(1), "cell_reset": Out(1), "weights_valid": Out(1),
            "st_open": Out(1), "st_sel": Out(range(n)), "st_waddr": Out(store_word_bits),
            "st_raddr": Out(store_word_bits), "st_wdata": Out(DATA_BITS), "st_wstrb": Out(DATA_BITS // 8),
            "st_we": Out(1), "st_re": Out(1), "st_rdata": In(DATA_BITS),
        })

    def _decode(self, m: Module, addr, name: str):
        """``(is_reg, reg_index, is_mem, table, word, mapped)`` of a byte address."""
        rm = self.regmap
        shift = rm.mem_shift
        region = addr[shift:]
        word = addr[2:shift]
        is_reg = Signal(name=f"{name}_is_reg")
        is_mem = Signal(name=f"{name}_is_mem")
        mapped = Signal(name=f"{name}_mapped")
        table = Signal(range(max(2, len(rm.tables))), name=f"{name}_table")
        m.d.comb += [is_reg.eq((region == 0) & (word < len(rm.registers))), table.eq(region - 1)]
        in_table = []
        for i, t in enumerate(rm.tables):
            jb = max(0, (t.row_stride - 1).bit_length())
            row, j = word[jb:], (word[:jb] if jb else Const(0, 1))
            in_table.append((region == i + 1) & (row < t.rows) & (j < t.words_per_row))
        m.d.comb += [is_mem.eq(Const(0, 1) if not in_table else _any(in_table)), mapped.eq(is_reg | is_mem)]
        return is_reg, word, is_mem, table, word, mapped

    def elaborate(self, platform):
        m = Module()
        rm = self.regmap
        n_regs = len(rm.registers)
        names = [r.name for r in rm.registers]

        # control state
        load = Signal()
        # the memories start with the generating model; during a load it falls with the first
        # memory write and only the CTRL write that ends the load sets it again (aresetn sets it:
        # the weights are whatever the memories hold, the driver knows whether its load finished)
        weights_valid = Signal(init=1)
        errors = Signal(DATA_BITS)
        soft = Signal()
        load_q = Signal()
        m.d.sync += load_q.eq(load)
        loading = Signal()
        m.d.comb += [
            loading.eq(load & self.idle),
            self.load.eq(load),
            self.weights_valid.eq(weights_valid),
            self.cell_reset.eq(soft | (load_q & ~load)),
            self.st_open.eq(loading),
        ]
        error_now = Signal()
        with m.If(soft):
            m.d.sync += errors.eq(0)
        with m.Elif(error_now & (errors != (1 << DATA_BITS) - 1)):
            m.d.sync += errors.eq(errors + 1)
        m.d.sync += soft.eq(0)
        status = Signal(DATA_BITS)
        m.d.comb += status.eq(weights_valid | (self.idle << 1) | (loading << 2))
        values = {"ID": Const(ID_MAGIC, DATA_BITS), "VERSION": Const(REGMAP_VERSION, DATA_BITS),
                  "DESIGN": Const(rm.design_hash, DATA_BITS), "SHAPE": Const(rm.shape_hash, DATA_BITS),
                  "CTRL": load, "STATUS": status, "ERRORS": errors}
        assert set(values) == set(names), names

        # --- write channel -------------------------------------------------------------------
        aw_ok, w_ok = Signal(), Signal()
        aw_addr = Signal(rm.addr_bits)
        w_data, w_strb = Signal(DATA_BITS), Signal(DATA_BITS // 8)
        bvalid, bresp = Signal(), Signal(2)
        m.d.comb += [self.awready.eq(~aw_ok & ~bvalid), self.wready.eq(~w_ok & ~bvalid),
                     self.bvalid.eq(bvalid), self.bresp.eq(bresp)]
        with m.If(self.awvalid & self.awready):
            m.d.sync += [aw_ok.eq(1), aw_addr.eq(self.awaddr)]
        with m.If(self.wvalid & self.wready):
            m.d.sync += [w_ok.eq(1), w_data.eq(self.wdata), w_strb.eq(self.wstrb)]
        with m.If(bvalid & self.bready):
            m.d.sync += bvalid.eq(0)
        w_is_reg, w_reg, w_is_mem, w_table, w_word, w_mapped = self._decode(m, aw_addr, "wr")
        do_write = Signal()
        r_phase = Signal(range(4))  # read: 0 idle, 1 decode + memory address, 2 capture, 3 respond
        # a write waits while a read holds the store's table select (phases 1 and 2)
        m.d.comb += do_write.eq(aw_ok & w_ok & ~bvalid & (r_phase != 1) & (r_phase != 2))
        ctrl_idx = names.index("CTRL")
        w_ctrl = w_is_reg & (w_reg == ctrl_idx)
        w_mem_ok = w_is_mem & loading
        wresp = Signal(2)
        m.d.comb += wresp.eq(Mux(~w_mapped, DECERR, Mux(w_ctrl | w_mem_ok, OKAY, SLVERR)))
        m.d.comb += [self.st_waddr.eq(w_word), self.st_wdata.eq(w_data),
                     self.st_wstrb.eq(w_strb), self.st_we.eq(do_write & w_mem_ok)]
        with m.If(do_write):
            m.d.sync += [aw_ok.eq(0), w_ok.eq(0), bvalid.eq(1), bresp.eq(wresp)]
            with m.If(w_ctrl & w_strb[0]):
                m.d.sync += [load.eq((w_data & CTRL_LOAD) != 0), soft.eq((w_data & CTRL_SOFT_RESET) != 0)]
                with m.If(load & ((w_data & (CTRL_LOAD | CTRL_SOFT_RESET)) == 0)):
                    m.d.sync += weights_valid.eq(1)  # the load ends: the memories hold the new model
            with m.If(w_mem_ok):
                m.d.sync += weights_valid.eq(0)
        # a soft reset pulse also ends a load (the cell restarts from scratch; weights_valid stays
        # 0 if the memories were written)
        with m.If(soft):
            m.d.sync += load.eq(0)

        # --- read channel: address, (memory read), capture, respond ----------------------------
        r_addr = Signal(rm.addr_bits)
        rvalid, rresp, rdata = Signal(), Signal(2), Signal(DATA_BITS)
        m.d.comb += [self.arready.eq(r_phase == 0), self.rvalid.eq(rvalid), self.rresp.eq(rresp),
                     self.rdata.eq(rdata)]
        r_is_reg, r_reg, r_is_mem, r_table, r_word, r_mapped = self._decode(m, r_addr, "rd")
        r_mem_ok = Signal()
        r_mem_ok_q = Signal()
        reg_q = Signal(DATA_BITS)
        resp_q = Signal(2)
        m.d.comb += [r_mem_ok.eq(r_is_mem & loading), self.st_raddr.eq(r_word),
                     self.st_re.eq((r_phase == 1) & r_mem_ok)]
        # one table index for both directions: a write is a one-cycle pulse, a read holds it
        # for its phases 1 and 2 (a write waits meanwhile)
        m.d.comb += self.st_sel.eq(Mux((r_phase == 1) | (r_phase == 2), r_table, w_table))
        with m.Switch(r_phase):
            with m.Case(0):
                with m.If(self.arvalid):
                    m.d.sync += [r_addr.eq(self.araddr), r_phase.eq(1)]
            with m.Case(1):
                regv = Array(values[nm] for nm in names)[r_reg] if n_regs > 1 else values[names[0]]
                m.d.sync += [reg_q.eq(Mux(r_is_reg, regv, 0)), r_mem_ok_q.eq(r_mem_ok),
                             resp_q.eq(Mux(~r_mapped, DECERR, Mux(r_is_reg | r_mem_ok, OKAY, SLVERR))),
                             r_phase.eq(2)]
            with m.Case(2):
                m.d.sync += [rdata.eq(Mux(r_mem_ok_q, self.st_rdata, reg_q)), rresp.eq(resp_q), rvalid.eq(1),
                             r_phase.eq(3)]
            with m.Case(3):
                with m.If(self.rready):
                    m.d.sync += [rvalid.eq(0), r_phase.eq(0)]
        m.d.comb += error_now.eq((do_write & (wresp != OKAY)) | ((r_phase == 2) & (resp_q != OKAY)))
        return m


def _any(conds):
    out = conds[0]
    for c in conds[1:]:
        out = out | c
    return out
