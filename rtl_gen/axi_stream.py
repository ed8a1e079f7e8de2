"""The AXI top level of a design (``interface: "axis"``, SPEC §4.2): the cell behind
AXI4-Stream ports, and with runtime weights an AXI4-Lite slave for its weight memories.

Ports, all derived from :func:`hadam_hw.manifest.stream_specs` and
:func:`hadam_hw.regmap.design_regmap`: ``aclk``, ``aresetn`` (synchronous, active low);
``s_axis_tdata`` (the ``x`` payload's ``data`` field at bit 0, padded with zeros to whole
bytes), ``s_axis_tuser`` (``first``), ``s_axis_tlast``, ``s_axis_tvalid``/``tready``;
``m_axis_*`` likewise for ``y`` (``m_axis_h_*`` for the state stream); ``s_axi_*`` for
the register map. A step's handshake, timing and results are the cell's own: the wrapper
adds no register on the streams (``cycles_per_step`` and ``latency_cycles`` are unchanged).

With runtime weights, ``CTRL.load`` closes the input (``s_axis_tready`` low) and the
memories open once no step is in flight and no output waits (``STATUS.idle``); the end of
the load and ``CTRL.soft_reset`` reset the cell (state zero, steps in flight dropped), not
the weights.
"""

from __future__ import annotations

from amaranth.hdl import ClockDomain, Const, Module, ResetInserter, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.manifest import stream_specs
from hadam_hw.regmap import Regmap

from .axi_lite import AXIL_PORTS, AxiLiteSlave, axil_members
from .weight_store import WeightStore

__all__ = ["HadamRNNAxi", "drain_cycles"]


def drain_cycles(schedule) -> int:
    """Cycles after an input handshake by which its step has read every weight and pushed
    its outputs: no output is valid before ``latency_cycles`` and every weight read comes first."""
    lat_h = schedule.latency_cycles_h or 0
    return max(schedule.latency_cycles, lat_h) + schedule.cycles_per_step + 1


class HadamRNNAxi(wiring.Component):
    """The AXI top: ``cell`` is the bare-stream :class:`~rtl_gen.cell.HadamRNNCell` (built with
    ``store`` when the weights are loaded at run time), ``hw`` the design's configuration."""

    def __init__(self, cell, hw, *, store: WeightStore | None = None, regmap: Regmap | None = None):
        self.cell, self.hw, self.model = cell, hw, cell.model
        self.store, self.regmap = store, regmap
        self.schedule = cell.schedule
        self.internal_widths = cell.internal_widths
        self.specs = stream_specs(cell.model, hw)
        members = {"aclk": In(1), "aresetn": In(1)}
        for spec in self.specs.values():
            inward = spec.direction == "in"
            data_in, data_out = (In, Out) if inward else (Out, In)
            members[spec.payload] = data_in(spec.width)
            members[spec.valid] = data_in(1)
            members[spec.ready] = data_out(1)
            for flag, port in spec.sideband.items():
                members[port] = data_in(spec.sideband_width.get(flag, 1))
        if store is not None:
            for p, member in axil_members(regmap.addr_bits).items():
                members[f"s_axi_{p}"] = member
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = cd = ClockDomain("sync")
        m.d.comb += [cd.clk.eq(self.aclk), cd.rst.eq(~self.aresetn)]
        cell = self.cell
        run = Const(1, 1)
        if self.store is not None:
            m.submodules.store = store = self.store
            m.submodules.axil = slave = AxiLiteSlave(self.regmap, store_word_bits=store.word_bits)
            for p in AXIL_PORTS:
                outer = getattr(self, f"s_axi_{p}")
                inner = getattr(slave, p)
                if slave.signature.members[p].flow is wiring.Flow.In:
                    m.d.comb += inner.eq(outer)
                else:
                    m.d.comb += outer.eq(inner)
            m.d.comb += [
                store.open.eq(slave.st_open), store.sel.eq(slave.st_sel), store.waddr.eq(slave.st_waddr),
                store.raddr.eq(slave.st_raddr), store.wdata.eq(slave.st_wdata), store.wstrb.eq(slave.st_wstrb),
                store.we.eq(slave.st_we), store.re.eq(slave.st_re), slave.st_rdata.eq(store.rdata),
            ]
            # closed while loading and in the cycle the cell is reset (an input taken then would be lost)
            run = ~slave.load & ~slave.cell_reset
            m.submodules.cell = ResetInserter(slave.cell_reset)(cell)
        else:
            m.submodules.cell = cell

        x = self.specs["x"]
        accept = Signal()
        # the flags (first, last, and id when sequences interleave) travel beside tdata
        m.d.comb += [getattr(cell.x.payload, flag).eq(getattr(self, port)) for flag, port in x.sideband.items()]
        m.d.comb += [
            cell.x.payload.data.eq(getattr(self, x.payload)[:x.data.width]),
            cell.x.valid.eq(getattr(self, x.valid) & run),
            getattr(self, x.ready).eq(cell.x.ready & run),
            accept.eq(cell.x.valid & cell.x.ready),
        ]
        outputs_waiting = Const(0, 1)
        for name in ("y", "h"):
            if name not in self.specs:
                continue
            s, inner = self.specs[name], getattr(cell, name)
            m.d.comb += [getattr(self, port).eq(getattr(inner.payload, flag)) for flag, port in s.sideband.items()]
            m.d.comb += [
                getattr(self, s.payload).eq(inner.payload.data),  # zero-padded to whole bytes
                getattr(self, s.valid).eq(inner.valid),
                inner.ready.eq(getattr(self, s.ready)),
            ]
            outputs_waiting = outputs_waiting | inner.valid
        if self.store is not None:
            # idle: no step in flight (a down-counter from each handshake) and no output waiting
            drain = drain_cycles(self.schedule)
            in_flight = Signal(range(drain + 1))
            with m.If(accept):
                m.d.sync += in_flight.eq(drain)
            with m.Elif(in_flight != 0):
                m.d.sync += in_flight.eq(in_flight - 1)
            m.d.comb += slave.idle.eq((in_flight == 0) & ~accept & ~outputs_waiting)
        return m
