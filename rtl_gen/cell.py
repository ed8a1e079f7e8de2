"""The HadamRNN cell: streams, state, input projection, recurrence, final add and output head.

One step per accepted ``x``; every event of that step happens at a fixed offset from the
handshake (see :mod:`hadam_hw.schedule`), so ``cycles_per_step`` and ``latency_cycles``
are exact constants. A new ``x`` is accepted at most once every ``cycles_per_step``
cycles and only while the output buffers have room for every output already in flight
(credits), so back-pressure on ``y``/``h`` never stalls the datapath and nothing is lost.
``valid`` of ``y``/``h`` comes from a small FIFO and never depends on ``ready``.

Per row ``i`` the final add is ``z = A·sign_i·r_i + B·v_i + (C_i + 2^(F−1))``, then
``h = clamp(z >> F)`` (arithmetic shift: round half up), with ``A`` and ``B`` as shifts when
they are powers of two and canonical-signed-digit shift-and-add otherwise. The output head
is ``y = V·relu(h) + c`` exactly (no requantization).

With ``pipeline > 0`` the row-serial architectures are the **registered** design
(:func:`hadam_hw.schedule.registered_serial_schedule`, ``docs/architectures.md``): every sum
registered every ``pipeline`` levels and at its root, tables as synchronous ROMs in logic,
products as gated rows, the final add of :mod:`rtl_gen.final_add` (ones' complement sign,
``B·v + C'`` from the projection, overflow clamp), registered windows, events and
``x.ready``; the minimal-latency design (``pipeline = 0``) is unchanged.

Choices worth knowing: ``first`` zeroes the state the step reads, and so does the first
step after reset (whatever its flag says); the output head's window is reserved every
step in ``last_step`` mode too, so ``cycles_per_step`` never depends on where sequences
end (the butterfly's head, ``n_out`` cycles, can therefore set it); an out-of-range token
id in onehot mode reads an undefined ROM word (the golden model refuses such inputs).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, fifo, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.archs import arch_spec
from hadam_hw.config import HardwareConfig, OutputMode, Weights
from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import Interval, csd
from hadam_hw.latency import ceil_log2
from hadam_hw.manifest import stream_specs
from hadam_hw.model import HadamModel
from hadam_hw.schedule import event_offsets, make_schedule, state_read_lead, x_handoff_offsets
from hadam_hw.widths import design_widths

from .arith import (
    Term,
    WidthLog,
    cat_lanes,
    const_mul,
    gated_rows,
    lane,
    pack_words,
    registered_sum,
    rom,
    saturate,
    sig,
    sum_tree,
)
from .datapaths import datapath_class
from .final_add import RegisteredFinalAdd

__all__ = ["HadamRNNCell", "stream_layouts"]


def stream_layouts(model: HadamModel, hw: HardwareConfig) -> dict[str, data.StructLayout]:
    """Payload layouts of the ``x``, ``y`` (and ``h``) streams, from
    :func:`hadam_hw.manifest.stream_specs` (field order = bit order)."""
    out = {}
    for name, spec in stream_specs(model, hw).items():
        fields = sorted(spec.fields.values(), key=lambda f: f.offset)
        out[name] = data.StructLayout({f.name: unsigned(f.width) for f in fields})
        assert out[name].size == spec.width, name
    return out


class _Window:
    """A run of ``length`` consecutive cycles that starts on a one-cycle ``start`` pulse."""

    def __init__(self, m: Module, name: str, start, length: int):
        self.m, self.name, self.start, self.length = m, name, start, length
        if length == 1:
            self.active = start
            self.idx = Const(0, 1)
            self.is_last = start
            return
        run = Signal(name=f"{name}_run")
        cnt = Signal(range(length), name=f"{name}_cnt")
        self.idx = Signal(range(length), name=f"{name}_idx")
        self.active = Signal(name=f"{name}_active")
        self.is_last = Signal(name=f"{name}_last")
        m.d.comb += [
            self.active.eq(start | run),
            self.idx.eq(Mux(start, 0, cnt)),
            self.is_last.eq(self.active & (self.idx == length - 1)),
        ]
        m.d.sync += [
            run.eq(self.active & ~self.is_last),
            cnt.eq(Mux(self.active, self.idx + 1, cnt)),
        ]

    def latch(self, value, name: str):
        """``value`` at the start pulse, held for the rest of the window."""
        reg = Signal(len(value), name=f"{self.name}_{name}")
        with self.m.If(self.start):
            self.m.d.sync += reg.eq(value)
        return Mux(self.start, value, reg)


class _RegWindow:
    """A run of ``length`` cycles starting the cycle after a one-cycle ``lead`` pulse, with its
    index and activity held in registers (they drive table addresses and wide enables)."""

    def __init__(self, m: Module, name: str, lead, length: int):
        self.length = length
        if length == 1:
            self.active = Signal(name=f"{name}_active")
            m.d.sync += self.active.eq(lead)
            self.idx = Const(0, 1)
            return
        self.active = Signal(name=f"{name}_active")
        self.idx = Signal(range(length), name=f"{name}_idx")
        with m.If(lead):
            m.d.sync += [self.active.eq(1), self.idx.eq(0)]
        with m.Elif(self.active):
            m.d.sync += self.idx.eq(self.idx + 1)
            with m.If(self.idx == length - 1):
                m.d.sync += self.active.eq(0)


class _StepEvents:
    """One-cycle pulses at fixed offsets after each handshake, with the step's flags.

    Offsets are reached by chaining delays from the handshake (offset 0). Steps start at
    least ``P`` cycles apart, so a delay of at most ``P`` cycles has at most one step in
    flight and is a down-counter with latched flags; shorter or longer ones are shift
    registers. ``first``/``last`` (and ``id``, the sequence of an interleaved step) are
    valid on the cycle of the pulse. Interleaved steps may be closer than a sequence's
    loop, but never closer than ``P``: the same rule holds.
    """

    def __init__(self, m: Module, P: int, pulse, first, last, offsets, registered: bool = False, ident=None):
        ident = Const(0, 1) if ident is None else ident
        idw = len(ident)
        self._ev = {0: (pulse, first, last, ident)}
        prev = 0
        for o in sorted(set(offsets) - {0}):
            p, f, la, i = self._ev[prev]
            delta = o - prev
            if delta <= 2 or delta > P:
                for k in range(delta):
                    n = prev + k + 1
                    q, qf, ql = Signal(name=f"ev{n}"), Signal(name=f"ev{n}_first"), Signal(name=f"ev{n}_last")
                    qi = Signal(idw, name=f"ev{n}_id") if not isinstance(i, Const) else i
                    m.d.sync += [q.eq(p), qf.eq(f), ql.eq(la)]
                    if qi is not i:
                        m.d.sync += qi.eq(i)
                    p, f, la, i = q, qf, ql, qi
            else:
                cnt = Signal(range(delta), name=f"ev{o}_cnt")
                armed = Signal(name=f"ev{o}_armed")
                ff, fl = Signal(name=f"ev{o}_first"), Signal(name=f"ev{o}_last")
                fi = Signal(idw, name=f"ev{o}_id") if not isinstance(i, Const) else i
                fire = Signal(name=f"ev{o}")
                latch = [ff.eq(f), fl.eq(la)] + ([fi.eq(i)] if fi is not i else [])
                if registered:  # the pulse is a register: it drives wide enables and resets
                    due = Signal(name=f"ev{o}_due")
                    m.d.comb += due.eq(armed & (cnt == 1))
                    m.d.sync += fire.eq(due)
                    with m.If(p):
                        m.d.sync += [cnt.eq(delta - 1), armed.eq(1), *latch]
                    with m.Elif(due):
                        m.d.sync += armed.eq(0)
                    with m.Elif(armed):
                        m.d.sync += cnt.eq(cnt - 1)
                    p, f, la, i = fire, ff, fl, fi
                    self._ev[o] = (p, f, la, i)
                    prev = o
                    continue
                m.d.comb += fire.eq(armed & (cnt == 0))
                with m.If(p):
                    m.d.sync += [cnt.eq(delta - 1), armed.eq(1), *latch]
                with m.Elif(fire):
                    m.d.sync += armed.eq(0)
                with m.Elif(armed):
                    m.d.sync += cnt.eq(cnt - 1)
                p, f, la, i = fire, ff, fl, fi
            self._ev[o] = (p, f, la, i)
            prev = o

    def pulse(self, offset: int):
        return self._ev[offset][0]

    def first(self, offset: int):
        return self._ev[offset][1]

    def last(self, offset: int):
        return self._ev[offset][2]

    def id(self, offset: int):
        """The sequence id of the step whose pulse is at ``offset`` (interleaved designs)."""
        return self._ev[offset][3]


def _select(values: list, index) -> Value:
    """``values[index]`` as a chain of multiplexers (``index`` in range). Not an ``Array``: its
    Verilog is a ``case`` in an ``always @*`` block, which Icarus leaves X until one of its
    inputs changes, and a sequence's state or flag may keep its initial value for a long time."""
    out = Value.cast(values[0])
    for c in range(1, len(values)):
        out = Mux(index == c, values[c], out)
    return out


class HadamRNNCell(wiring.Component):
    """The whole HadamRNN step engine for one model and one architecture.

    Weights baked as ROMs and constants by default; with ``hw.weights`` runtime, ``tables`` is
    the :class:`~rtl_gen.weight_store.WeightStore` whose RAMs and registers every table is
    read from, and every width is the shape's envelope (any model of the shape fits).

    Members: ``x`` (in stream: ``data``, ``first``, ``last``), ``y`` (out stream:
    ``data`` = ``n_out`` two's complement lanes, ``last``) and, with ``expose_state``,
    ``h`` (out stream: ``data`` = ``hidden`` lanes of ``state_bits``, ``last``).
    ``schedule`` holds ``cycles_per_step`` and ``latency_cycles``; ``internal_widths`` the
    widths of the RTL's own registers after elaboration.
    """

    def __init__(self, model: HadamModel, hw: HardwareConfig, *, tables=None):
        self.model, self.hw = model, hw
        self.schedule = make_schedule(model, hw)  # validates model × hardware first
        self._spec = arch_spec(hw.arch)
        # runtime weights: the tables come from a WeightStore (RAMs written over AXI4-Lite) and
        # every width is the shape's envelope, not the generating model's own bounds
        if (hw.weights is Weights.RUNTIME) != (tables is not None):
            raise ConfigError("a cell with weights 'runtime' reads its tables from a WeightStore (tables=); "
                              "a baked one has none")
        self.tables = tables
        self.widths = design_widths(model, hw)
        self.internal_widths = WidthLog()
        layouts = stream_layouts(model, hw)
        members = {"x": In(stream.Signature(layouts["x"])), "y": Out(stream.Signature(layouts["y"]))}
        if hw.expose_state:
            members["h"] = Out(stream.Signature(layouts["h"]))
        super().__init__(members)

    # --- helpers --------------------------------------------------------------------------
    def _iv(self, name: str) -> Interval:
        return self.widths.intervals[name]

    def _final_add(self, m: Module, r: Term, neg, v: Term, ch, ch_iv: Interval, name: str):
        """``h = clamp((±A·r + B·v + ch) >> F)`` and ``relu(h)`` for one row."""
        cfg = self.model.config
        ar = const_mul(m, r, cfg.A, f"{name}_Ar")
        bv = const_mul(m, v, cfg.B, f"{name}_Bv")
        if isinstance(neg, bool):
            signed_ar = -ar.value if neg else ar.value
        else:
            signed_ar = Mux(neg, -ar.value, ar.value)
        z = sig(self._iv("z"), f"{name}_z")
        m.d.comb += z.eq(signed_ar + bv.value + ch)
        hlo, hhi = cfg.h_range
        h = saturate(m, z >> cfg.frac_bits, hlo, hhi, cfg.state_bits, f"{name}_h")
        relu = Signal(unsigned(self.widths.width("relu")), name=f"{name}_relu")
        m.d.comb += relu.eq(Mux(h[-1], 0, h))
        self.internal_widths.note("final.Ar", ar.width)
        self.internal_widths.note("final.Bv", bv.width)
        self.internal_widths.note("final.C_plus_half", ch_iv.width)
        self.internal_widths.note("final.z", z.shape().width)
        return h, relu

    def _product_interval(self, weights: np.ndarray, lo: int, hi: int) -> Interval:
        wl, wh = self.model.config.w_range if self.tables is not None else (int(weights.min()), int(weights.max()))
        cands = [wl * lo, wl * hi, wh * lo, wh * hi, 0]
        return Interval(min(cands), max(cands))

    def _weights(self, m: Module, name: str, words, width: int, addr, *, en=None) -> Value:
        """Weight table ``name`` (``U``, ``V``, ``C``, ``c``, ``sign``) read synchronously at
        ``addr``: a ROM of ``words`` when baked, the WeightStore's table at run time."""
        if self.tables is None:
            return rom(m, f"{name}_rom", words, width, addr, domain="sync", en=en)
        port = self.tables.port(name)
        assert len(port.data) == width * (1 if port.table.storage == "ram" else port.table.rows), (name, width)
        if port.table.storage == "ram":
            m.d.comb += port.addr.eq(addr)
            if en is not None:
                m.d.comb += port.en.eq(en)
        return port.data

    def _bias_interval(self, name: str, values) -> Interval:
        """The interval of a bias table: its own values when baked, the design's words at run time."""
        return self._iv(name) if self.tables is not None else Interval.of(values)

    def _window(self, offset: int, length: int) -> _Window:
        """The (shared) window of ``length`` cycles starting ``offset`` cycles after the handshake."""
        key = (offset, length)
        if key not in self._windows:
            self._windows[key] = _Window(self._m, f"w{offset}_{length}", self._ev.pulse(offset), length)
        return self._windows[key]

    def _x_source(self, offset: int):
        """The register holding the step's x at this offset: ``x_reg`` (the next handshake comes at
        least P cycles later), or the hand-off register it was copied into every P cycles."""
        P = self.schedule.cycles_per_step
        assert 1 <= offset <= P * len(self._x_stages), (offset, P, len(self._x_stages))
        return self._x_stages[(offset - 1) // P]

    # --- elaboration ----------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        S = self.schedule
        cfg = self.model.config
        P = S.cycles_per_step
        every_step = cfg.output is OutputMode.EVERY_STEP

        # handshake: at most one x per P cycles, and only with room for its outputs
        # (registered design: x.ready comes straight from flip-flops holding next cycle's answer)
        accept = Signal()
        busy_ok = Const(1, 1)
        if P > 1:
            busy = Signal(range(P))
            busy_next = Mux(accept, P - 1, Mux(busy != 0, busy - 1, 0))
            m.d.sync += busy.eq(busy_next)
            if S.registered:  # next cycle's busy == 0, without a compare behind the handshake
                busy_ok = Signal(init=1, name="busy_zero")
                m.d.sync += busy_ok.eq(~accept & (busy <= 1))
            else:
                busy_ok = busy == 0

        def credit(depth: int, put, take, name: str):
            """Room in an output buffer of ``depth`` for one more step's output."""
            used = Signal(range(depth + 1), name=f"{name}_used")
            used_next = used + put - take
            m.d.sync += used.eq(used_next)
            if not S.registered:
                return used < depth
            ok = Signal(init=1, name=f"{name}_room")
            m.d.sync += ok.eq(used_next < depth)
            return ok

        m.submodules.y_fifo = yf = fifo.SyncFIFO(width=len(self.y.payload.as_value()), depth=S.y_fifo_depth)
        y_out = self.y.valid & self.y.ready
        makes_y = Const(1, 1) if every_step else self.x.payload.last
        room = credit(S.y_fifo_depth, accept & makes_y, y_out, "y")
        m.d.comb += [
            self.y.payload.eq(yf.r_data),
            self.y.valid.eq(yf.r_rdy),
            yf.r_en.eq(self.y.ready),
        ]
        hf = None
        if self.hw.expose_state:
            m.submodules.h_fifo = hf = fifo.SyncFIFO(width=len(self.h.payload.as_value()), depth=S.h_fifo_depth)
            h_out = self.h.valid & self.h.ready
            room = room & credit(S.h_fifo_depth, accept, h_out, "h")
            m.d.comb += [
                self.h.payload.eq(hf.r_data),
                self.h.valid.eq(hf.r_rdy),
                hf.r_en.eq(self.h.ready),
            ]
        C = S.interleave
        x_id = self.x.payload.id if C > 1 else Const(0, 1)
        ready = busy_ok & room
        if C > 1:
            # interleaved: a step of a sequence whose previous step is still in its loop waits
            # (x.ready low): per sequence a down-counter from its last handshake, and a register
            # saying whether it will be free next cycle; the one of the offered id is chosen
            L_ = S.loop_cycles
            free = []
            for c in range(C):
                cnt = Signal(range(L_), name=f"seq{c}_busy")
                nxt = Mux(accept & (x_id == c), L_ - 1, Mux(cnt != 0, cnt - 1, 0))
                m.d.sync += cnt.eq(nxt)
                ok = Signal(init=1, name=f"seq{c}_free")
                m.d.sync += ok.eq(nxt == 0)
                free.append(ok)
            ready = ready & _select(free, x_id)
        m.d.comb += [self.x.ready.eq(ready), accept.eq(self.x.ready & self.x.valid)]

        # after reset the state is zero whatever the first step says (the SDF's state memory
        # keeps its contents through a reset, the registers do not: treat both the same); each
        # interleaved sequence is fresh until its first step
        if C > 1:
            fresh_all = Signal(C, init=(1 << C) - 1, name="fresh")
            with m.If(accept):
                m.d.sync += fresh_all.bit_select(x_id, 1).eq(0)
            fresh = fresh_all.bit_select(x_id, 1)
        else:
            fresh = Signal(init=1)
            with m.If(accept):
                m.d.sync += fresh.eq(0)
        first_in = self.x.payload.first | fresh
        x_reg = Signal(self.x.payload.shape())
        # registered design: x_reg follows x while the cell is ready (its enable is then a
        # register, not the handshake): after a handshake ready drops for cycles_per_step − 1
        # cycles, so x_reg holds the accepted x at offsets 1 … cycles_per_step as before
        with m.If(self.x.ready if S.registered else accept):
            m.d.sync += [x_reg.eq(self.x.payload), x_reg.first.eq(first_in)]

        # the step's events (window starts) and its flags, at fixed offsets from the handshake;
        # tables are read synchronously, so their windows start one cycle ahead of the use
        offsets = set(event_offsets(S))
        self._ev = _StepEvents(m, P, accept, first_in, self.x.payload.last, offsets, registered=S.registered,
                               ident=x_id if C > 1 else None)
        # interleaved steps may come sooner than the projection latches x: hand-off registers
        self._x_stages = [x_reg]
        for k, o in enumerate(x_handoff_offsets(S)):
            stage = Signal(self.x.payload.shape(), name=f"x_handoff{k}")
            with m.If(self._ev.pulse(o)):
                m.d.sync += stage.eq(self._x_stages[-1])
            self._x_stages.append(stage)
        self._windows: dict[tuple[int, int], _Window] = {}
        self._m = m
        self._x_reg = x_reg
        self._every_step = every_step
        self._yf, self._hf = yf, hf

        if S.registered:
            self._elaborate_registered_serial(m)
        elif S.serial:
            self._elaborate_serial(m)
        else:
            self._elaborate_parallel(m)
        return m

    # --- row-serial: adder_tree, dense, sdf -------------------------------------------------
    def _elaborate_serial(self, m: Module) -> None:
        S, cfg, model, hw = self.schedule, self.model.config, self.model, self.hw
        d, L, G, sb, p = cfg.hidden, S.lanes, S.groups, cfg.state_bits, cfg.weight_bits
        ev = self._ev

        # recurrence datapath: reads the state of the previous step, row group per cycle
        rd_start = ev.pulse(S.read_offset)
        rd = self._window(S.read_offset, G)
        first = rd.latch(ev.first(S.read_offset), "first")
        state = None
        dp = datapath_class(hw.arch).for_cell(model, hw, registered=False)
        m.submodules.recurrence = dp
        if not self._spec.state_in_memory:
            state = Signal(d * sb, name="state")
            m.d.comb += [dp.h.eq(Mux(first, 0, state)), dp.row.eq(rd.idx)]
            r_out = dp.r
        else:
            if G > 1:
                # block-RAM friendly: synchronous read one cycle ahead, write-first so the
                # next step may read a row in the very cycle it is written
                mem = memory.Memory(shape=unsigned(L * sb), depth=G, init=[])
                m.submodules.state = mem
                wp = mem.write_port()
                rp = mem.read_port(transparent_for=(wp,))
                m.d.comb += rp.addr.eq(self._window(S.read_offset - 1, G).idx)
                rdata = rp.data
            else:
                state = Signal(L * sb, name="state")
                rdata = state
            m.d.comb += [dp.x.eq(Mux(first, 0, rdata)), dp.start.eq(rd_start)]
            r_out = dp.y
        assert dp.latency == S.rec_latency, (dp.latency, S.rec_latency)
        self.internal_widths.update(dp.internal_widths)
        r_iv = self._iv("r")
        r_terms = [Term(r_out[ln], r_iv) for ln in range(L)]

        # input projection for the same row groups (weights read one cycle ahead)
        v_iv = self._iv("v")
        v_terms = []
        if model.onehot:
            U = model.U.astype(np.int64)  # (d, vocab)
            vocab = cfg.n_in
            # word (token, g): the lanes' weights U[g·L + l, token], address token·G + g
            cols = U.T.reshape(vocab * G, L)
            words = pack_words(cols.tolist(), p)
            tbits = max(1, ceil_log2(vocab))
            aw = self._window(S.final_offset - 1, G)
            token = aw.latch(self._x_source(S.final_offset - 1).data[:tbits], "token")
            addr = Cat(aw.idx, token) if G > 1 else token
            udata = self._weights(m, "U", words, L * p, addr)
            for ln in range(L):
                v = sig(v_iv, f"v{ln}")
                m.d.comb += v.eq(lane(udata, ln, p))
                v_terms.append(Term(v, v_iv))
        else:
            U = model.U.astype(np.int64)  # (d, n_in)
            n_in, ib = cfg.n_in, cfg.in_bits
            xlo, xhi = cfg.x_range
            prod_iv = self._product_interval(U, xlo, xhi)
            words = pack_words(U.reshape(G, L * n_in).tolist(), p)
            uw = self._weights(m, "U", words, L * n_in * p, self._window(S.proj_offset - 1, G).idx)
            pw = self._window(S.proj_offset, G)
            xd = pw.latch(self._x_source(S.proj_offset).data, "x")
            xs = [lane(xd, k, ib, cfg.in_signed) for k in range(n_in)]
            for ln in range(L):
                terms = []
                for k in range(n_in):
                    pr = sig(prod_iv, f"ux{ln}_{k}")
                    m.d.comb += pr.eq(lane(uw, ln * n_in + k, p) * xs[k])
                    terms.append(Term(pr, prod_iv))
                tot, _ = sum_tree(m, terms, pipeline=0, name=f"proj{ln}", log=self.internal_widths, log_as="proj")
                v = sig(v_iv, f"v{ln}")
                if S.proj_latency:
                    m.d.sync += v.eq(tot.value)
                else:
                    m.d.comb += v.eq(tot.value)
                v_terms.append(Term(v, v_iv))
            self.internal_widths.note("proj.product", prod_iv.width)

        # final add, row group per cycle
        fa = self._window(S.final_offset, G)
        ca = self._window(S.final_offset - 1, G).idx  # constants read one cycle ahead
        half = (1 << cfg.frac_bits) >> 1
        CH = model.C.astype(np.int64) + half
        ch_iv = self._bias_interval("C", CH)
        wch = ch_iv.width
        neg_bits = (model.sign < 0).astype(np.int64).reshape(G, L)
        negw = self._weights(m, "sign", [int(sum(int(bit) << ln for ln, bit in enumerate(row))) for row in neg_bits],
                             L, ca)
        chw = self._weights(m, "C", pack_words(CH.reshape(G, L).tolist(), wch), L * wch, ca)
        hs, relus = [], []
        for ln in range(L):
            h, relu = self._final_add(m, r_terms[ln], negw[ln], v_terms[ln], lane(chw, ln, wch), ch_iv, f"fa{ln}")
            hs.append(h)
            relus.append(relu)
        hrow = cat_lanes(hs, sb)

        # state write and the h collector
        collected = None
        need_collect = not self._spec.state_in_memory or hw.expose_state
        if G > 1 and need_collect:
            nxt = [Signal(L * sb, name=f"hnext{g}") for g in range(G - 1)]
            with m.If(fa.active):
                m.d.sync += nxt[-1].eq(hrow)
                for g in range(G - 2):
                    m.d.sync += nxt[g].eq(nxt[g + 1])
            collected = Cat(*nxt, hrow)
        elif G == 1:
            collected = hrow
        if self._spec.state_in_memory and G > 1:
            m.d.comb += [wp.addr.eq(fa.idx), wp.data.eq(hrow), wp.en.eq(fa.active)]
        else:
            with m.If(fa.is_last):
                m.d.sync += state.eq(collected)
        if self._hf is not None:
            last_h = fa.latch(ev.last(S.final_offset), "last")
            m.d.comb += [self._hf.w_en.eq(fa.is_last), self._hf.w_data.eq(Cat(collected, last_h))]

        # output head: y += V[:, rows]·relu(h[rows]), lanes·n_out products per cycle
        if S.head_latency:
            rq = []
            for ln in range(L):
                q = Signal(unsigned(self.widths.width("relu")), name=f"relu_q{ln}")
                m.d.sync += q.eq(relus[ln])
                rq.append(q)
            relus = rq
        hw_ = self._window(S.head_offset, G)
        V = model.V.astype(np.int64)  # (n_out, d)
        n_out = cfg.n_out
        rmax = self._iv("relu").hi
        hp_iv = self._product_interval(V, 0, rmax)
        vwords = pack_words(V.T.reshape(G, L * n_out).tolist(), p)  # (l, o) at l·n_out + o
        vw = self._weights(m, "V", vwords, L * n_out * p, self._window(S.head_offset - 1, G).idx)
        y_iv = self._iv("y")
        wy = self.widths.width("y")
        ysums = []
        for o in range(n_out):
            acc = Signal(signed(wy), name=f"yacc{o}")
            c_o = int(model.c[o]) if self.tables is None else \
                lane(self._weights(m, "c", None, self._iv("c").width * n_out, 0), o, self._iv("c").width)
            base = Term(Mux(hw_.start, c_o, acc), y_iv)
            terms = [base]
            for ln in range(L):
                pr = sig(hp_iv, f"vh{o}_{ln}")
                m.d.comb += pr.eq(lane(vw, ln * n_out + o, p) * relus[ln])
                terms.append(Term(pr, hp_iv))
            tot, _ = sum_tree(m, terms, pipeline=0, name=f"head{o}", log=self.internal_widths, log_as="head")
            ys = sig(y_iv, f"y{o}")
            m.d.comb += ys.eq(tot.value)  # the exact partial sum stays inside the y interval
            with m.If(hw_.active):
                m.d.sync += acc.eq(ys)
            ysums.append(ys)
        self.internal_widths.note("head.product", hp_iv.width)
        self.internal_widths.note("head.acc", wy)
        last_y = hw_.latch(ev.last(S.head_offset), "last")
        m.d.comb += [
            self._yf.w_en.eq(hw_.is_last & (Const(1, 1) if self._every_step else last_y)),
            self._yf.w_data.eq(Cat(cat_lanes(ysums, wy), last_y)),
        ]

    # --- vector-parallel: butterfly ----------------------------------------------------------
    def _elaborate_parallel(self, m: Module) -> None:
        S, cfg, model, hw = self.schedule, self.model.config, self.model, self.hw
        d, sb, p = cfg.hidden, cfg.state_bits, cfg.weight_bits
        ev = self._ev
        n_in, n_out = cfg.n_in, cfg.n_out

        state = Signal(d * sb, name="state")
        bf = datapath_class(hw.arch).for_cell(model, hw)
        m.submodules.recurrence = bf
        assert bf.latency == S.rec_latency
        self.internal_widths.update(bf.internal_widths)
        m.d.comb += bf.x.eq(Mux(ev.first(S.read_offset), 0, state))
        r_iv = self._iv("r")

        # input projection
        v_iv = self._iv("v")
        vs = []
        if model.onehot:
            U = model.U.astype(np.int64)  # (d, vocab)
            words = pack_words(U.T.tolist(), p)
            tbits = max(1, ceil_log2(n_in))
            col = self._weights(m, "U", words, d * p, self.x.payload.data[:tbits], en=ev.pulse(0)) \
                if n_in > 1 or self.tables is not None else Const(words[0], d * p)
            for i in range(d):
                v = sig(v_iv, f"v{i}")
                m.d.comb += v.eq(lane(col, i, p))
                vs.append(Term(v, v_iv))
        else:
            U = model.U.astype(np.int64)
            xlo, xhi = cfg.x_range
            prod_iv = self._product_interval(U, xlo, xhi)
            pw = self._window(1, n_in)
            xs = [lane(self._x_source(n_in).data, k, cfg.in_bits, cfg.in_signed) for k in range(n_in)]
            xk = Signal(signed(cfg.in_bits) if cfg.in_signed else unsigned(cfg.in_bits), name="x_k")
            m.d.comb += xk.eq(Array(xs)[pw.idx] if n_in > 1 else xs[0])  # one multiplexer for all rows
            col = self._weights(m, "U", pack_words(U.T.tolist(), p), d * p, self._window(0, n_in).idx)
            aw = self._window(1 + S.proj_latency, n_in)
            for i in range(d):
                pr = sig(prod_iv, f"ux{i}")
                m.d.comb += pr.eq(lane(col, i, p) * xk)
                if S.proj_latency:
                    q = sig(prod_iv, f"ux_q{i}")
                    m.d.sync += q.eq(pr)
                    pr = q
                acc = sig(v_iv, f"v{i}")  # every partial sum lies inside the row's v range
                with m.If(aw.active):
                    m.d.sync += acc.eq(Mux(aw.start, pr, acc + pr))
                vs.append(Term(acc, v_iv))
            self.internal_widths.note("proj.product", prod_iv.width)

        # final add on the whole vector, once per step
        fa_now = ev.pulse(S.final_offset)
        half = (1 << cfg.frac_bits) >> 1
        CH = model.C.astype(np.int64) + half
        ch_iv = self._bias_interval("C", CH)
        if self.tables is None:
            negs, chs = [bool(s < 0) for s in model.sign], [int(v) for v in CH]
        else:  # every row's constants at once, from the store's registers
            negs = [self._weights(m, "sign", None, d, 0)[i] for i in range(d)]
            chs = [lane(self._weights(m, "C", None, d * ch_iv.width, 0), i, ch_iv.width) for i in range(d)]
        hs = []
        for i in range(d):
            h, _ = self._final_add(m, Term(bf.y[i], r_iv), negs[i], vs[i], chs[i], ch_iv, f"fa{i}")
            hs.append(h)
        hvec = cat_lanes(hs, sb)
        with m.If(fa_now):
            m.d.sync += state.eq(hvec)
        if self._hf is not None:
            m.d.comb += [self._hf.w_en.eq(fa_now), self._hf.w_data.eq(Cat(hvec, ev.last(S.final_offset)))]

        # output head: one output per cycle, a d-input tree over V[j, :]·relu(state)
        V = model.V.astype(np.int64)
        rmax = self._iv("relu").hi
        hp_iv = self._product_interval(V, 0, rmax)
        va = self._window(S.head_offset - 1, n_out).idx  # V[j, :] and c_j read one cycle ahead
        vrow = self._weights(m, "V", pack_words(V.tolist(), p), d * p, va)
        c_iv = self._bias_interval("c", model.c)
        cj = self._weights(m, "c", pack_words([[int(v)] for v in model.c], c_iv.width), c_iv.width, va)
        terms = []
        for i in range(d):
            hi_ = lane(state, i, sb)
            relu = Mux(hi_[-1], 0, hi_[:sb - 1])
            pr = sig(hp_iv, f"vh{i}")
            m.d.comb += pr.eq(lane(vrow, i, p) * relu)
            terms.append(Term(pr, hp_iv))
        terms.append(Term(cj.as_signed(), c_iv))
        tot, regs = sum_tree(m, terms, pipeline=hw.pipeline, name="head", log=self.internal_widths, log_as="head")
        assert regs == S.head_latency, (regs, S.head_latency)
        self.internal_widths.note("head.product", hp_iv.width)
        wy = self.widths.width("y")
        yj = Signal(signed(wy), name="yj")
        m.d.comb += yj.eq(tot.value)  # exact y_j fits the y width
        cw = self._window(S.head_offset + S.head_latency, n_out)
        ybuf = [Signal(signed(wy), name=f"ybuf{j}") for j in range(n_out - 1)]
        if ybuf:
            with m.If(cw.active):
                m.d.sync += ybuf[-1].eq(yj)
                for j in range(n_out - 2):
                    m.d.sync += ybuf[j].eq(ybuf[j + 1])
        last_y = cw.latch(ev.last(S.head_offset + S.head_latency), "last")
        m.d.comb += [
            self._yf.w_en.eq(cw.is_last & (Const(1, 1) if self._every_step else last_y)),
            self._yf.w_data.eq(Cat(cat_lanes([*ybuf, yj], wy), last_y)),
        ]

    # --- the registered row-serial design (pipeline > 0) -------------------------------------
    def _reg_window(self, start: int, length: int) -> _RegWindow:
        """The registered window of ``length`` cycles from ``start`` (its lead pulse at ``start − 1``)."""
        key = ("reg", start, length)
        if key not in self._windows:
            self._windows[key] = _RegWindow(self._m, f"rw{start}_{length}", self._ev.pulse(start - 1), length)
        return self._windows[key]

    def _table(self, m: Module, name: str, rows: np.ndarray, lane_width: int, addr, *, signed_lanes=True):
        """A table of ``rows`` (``(words, lanes)`` integers) read at ``addr`` in two registered
        stages (``table_latency`` = 2), kept in logic: 16-word sub-tables (one LUT per bit)
        addressed by the low four address bits, registered, then the sub-table chosen by the
        registered high bits, registered. No block RAM (an inferred one has no output
        register: its clock-to-out alone caps the clock) and no deep decoder on a wide,
        high-fan-out address. Returns the lanes as values and the word."""
        rows = np.asarray(rows, dtype=np.int64)
        words = pack_words(rows.tolist(), lane_width)
        n = rows.shape[1]
        width = n * lane_width
        if self.tables is not None:  # runtime: the store's table (one cycle), then registers up to table_latency
            word = self._weights(m, name.removesuffix("_rom"), None, width, addr)
            for k in range(self.schedule.table_latency - 1):
                q = Signal(width, name=f"{name}_q{k}")
                m.d.sync += q.eq(word)
                word = q
            return [lane(word, i, lane_width, signed_lanes) for i in range(n)], word
        if len(words) == 1:
            word = Const(words[0], unsigned(width))
            return [lane(word, i, lane_width, signed_lanes) for i in range(n)], word
        sub = 16
        addr = Value.cast(addr)
        if len(words) <= sub:
            first = rom(m, f"{name}0", words, width, addr, domain="sync", attrs={"rom_style": "logic"})
            word = Signal(width, name=f"{name}_q")
            m.d.sync += word.eq(first)
        else:
            lo, hi = addr[:4], addr[4:]
            parts = []
            for k in range(0, len(words), sub):
                chunk = words[k:k + sub]
                parts.append(rom(m, f"{name}{k // sub}", chunk, width, lo[:max(1, ceil_log2(len(chunk)))],
                                 domain="sync", attrs={"rom_style": "logic"}))
            hi_q = Signal(len(hi), name=f"{name}_hi")
            m.d.sync += hi_q.eq(hi)
            word = Signal(width, name=f"{name}_q")
            m.d.sync += word.eq(Array(parts)[hi_q])
        return [lane(word, i, lane_width, signed_lanes) for i in range(n)], word

    def _elaborate_registered_serial(self, m: Module) -> None:
        S, cfg, model, hw = self.schedule, self.model.config, self.model, self.hw
        d, L, G, sb, p, K = cfg.hidden, S.lanes, S.groups, cfg.state_bits, cfg.weight_bits, hw.pipeline
        ev, RL = self._ev, S.table_latency
        read, proj, final, head = S.read_offset, S.proj_offset, S.final_offset, S.head_offset

        C = S.interleave

        def held_id(offset: int, name: str):
            """The id of the step whose pulse is at ``offset``, held in a register until the next
            step's (steps are at least P >= G cycles apart: it covers that step's window)."""
            reg = Signal(len(ev.id(offset)), name=name)
            with m.If(ev.pulse(offset)):
                m.d.sync += reg.eq(ev.id(offset))
            return reg

        # --- recurrence: the state in, r out at `final` ----------------------------------------
        # interleaved: one state per sequence in the same memories (SDF: C × the rows, addressed
        # by the id above the row; trees: C state registers, the step's chosen by its id)
        state = None
        banks: list[Signal] = []
        state_mem = self._spec.state_in_memory and (G > 1 or C > 1)  # else a register (one row group)
        dp = datapath_class(hw.arch).for_cell(model, hw, registered=True)
        m.submodules.recurrence = dp
        if not self._spec.state_in_memory:
            if C > 1:
                banks = [Signal(d * sb, name=f"state{c}") for c in range(C)]
                m.d.comb += dp.h.eq(_select(banks, held_id(read - 1, "state_rid")))
            else:
                state = Signal(d * sb, name="state")
                m.d.comb += dp.h.eq(state)
            m.d.comb += dp.row.eq(self._reg_window(read - 1, G).idx)
            r_out = dp.r
        else:
            SR = state_read_lead(self._spec)
            zero = Signal(name="state_zero")  # this step reads h = 0 (first, or fresh after reset)
            with m.If(ev.pulse(read - SR)):
                m.d.sync += zero.eq(ev.first(read - SR))
            q = Signal(L * sb, name="state_q")  # after the memory's read register, cleared for `first`

            def state_addr(idx, ident):
                """Row ``idx`` of sequence ``ident``: the id above the row bits (G is a power of two)."""
                if C == 1:
                    return idx
                return Cat(idx, ident) if G > 1 else ident

            if state_mem:
                # slices of at most 4 bits: distributed RAM where the target has it (an inferred
                # block RAM has no output register and is slow), block RAM elsewhere
                raddr = state_addr(self._reg_window(read - SR, G).idx,
                                   held_id(read - SR - 1, "state_rid") if C > 1 else None)
                slices = []
                for lo_ in range(0, L * sb, 4):
                    width_ = min(4, L * sb - lo_)
                    mem = memory.Memory(shape=unsigned(width_), depth=G * C, init=[])
                    m.submodules[f"state{lo_ // 4}"] = mem
                    rp = mem.read_port()  # not transparent: the write comes before the next read
                    m.d.comb += rp.addr.eq(raddr)
                    slices.append((lo_, width_, mem.write_port(), rp))
                rdata = Cat(*[rp.data for *_, rp in slices])
            else:
                state = Signal(L * sb, name="state")
                rdata = state
            with m.If(zero):
                m.d.sync += q.eq(0)
            with m.Else():
                m.d.sync += q.eq(rdata)
            m.d.comb += [dp.x.eq(q), dp.start.eq(ev.pulse(read - 1))]
            r_out = dp.y
        assert dp.latency == S.rec_latency, (dp.latency, S.rec_latency)
        self.internal_widths.update(dp.internal_widths)
        r_iv = self._iv("r")

        # --- input projection: w = B·v + C' at `final`, C' = C + 2^(F-1) + A·[sign < 0] ---------
        half = (1 << cfg.frac_bits) >> 1
        neg_rows = (model.sign < 0).astype(np.int64)
        CP = model.C.astype(np.int64) + half + cfg.A * neg_rows
        cp_iv = self._bias_interval("C", CP)
        uw = self._reg_window(proj, G)
        cp_lanes, _ = self._table(m, "C_rom", CP.reshape(G, L), cp_iv.width, uw.idx)
        cp_terms = [Term(c, cp_iv) for c in cp_lanes]
        digits_B = csd(cfg.B)
        v_iv = self._iv("v")

        def b_sum(v_terms, cps, name):
            out = []
            for ln, (v, c) in enumerate(zip(v_terms, cps, strict=True)):
                terms = [Term(v.value << sh, v.interval.scale(1 << sh) if sg > 0 else -v.interval.scale(1 << sh), sg < 0)
                         for sh, sg in digits_B] + [c]
                out.append(registered_sum(m, terms, pipeline=K, name=f"{name}{ln}", log=self.internal_widths,
                                          log_as="proj.w"))
            return out

        def delayed(terms, n, name):
            for k in range(n):
                nxt = []
                for ln, t in enumerate(terms):
                    r_ = sig(t.interval, f"{name}{ln}_d{k}")
                    m.d.sync += r_.eq(t.value)
                    nxt.append(Term(r_, t.interval))
                terms = nxt
            return terms

        if model.onehot:
            tbits = max(1, ceil_log2(cfg.n_in))
            token = Signal(tbits, name="token")
            with m.If(ev.pulse(proj - 1)):
                m.d.sync += token.eq(self._x_source(proj - 1).data[:tbits])
            U = model.U.astype(np.int64)  # (d, vocab): word (token, g) holds U[g·L + l, token]
            cols = U.T.reshape(cfg.n_in * G, L)
            addr = Cat(uw.idx, token) if G > 1 else token
            u_lanes, _ = self._table(m, "U_rom", cols, p, addr)
            sums = b_sum([Term(u, v_iv) for u in u_lanes], cp_terms, "w")
        else:
            n_in, ib = cfg.n_in, cfg.in_bits
            xl = Signal(n_in * ib, name="x_hold")  # x for the whole window of this step
            with m.If(ev.pulse(proj + RL - 1)):
                m.d.sync += xl.eq(self._x_source(proj + RL - 1).data)
            xlo, xhi = cfg.x_range
            xs = [Term(lane(xl, k, ib, cfg.in_signed), Interval(xlo, xhi)) for k in range(n_in)]
            U = model.U.astype(np.int64)  # (d, n_in)
            Ug = U.reshape(G, L * n_in)
            _, uword = self._table(m, "U_rom", Ug, p, uw.idx)
            ubits = (Ug[:, :, None] >> np.arange(p)) & 1  # (G, L·n_in, p)
            vrows = []
            for ln in range(L):
                rows = []
                for k in range(n_in):
                    col = ln * n_in + k
                    bits = []
                    for j in range(p):
                        column = ubits[:, col, j]
                        const = self.tables is None and (column == column[0]).all()  # runtime: any bit may change
                        bits.append(int(column[0]) if const else uword[col * p + j])
                    rows += gated_rows(xs[k], bits, f"ux{ln}_{k}")
                vrows.append(rows)
            if len(digits_B) == 1:  # B = 2^s: shifted rows and C' in one sum
                sh = digits_B[0][0]
                sums = [registered_sum(m, [Term(t.value << sh, t.interval.scale(1 << sh), t.negate) for t in rows]
                                       + [cp_terms[ln]],
                                       pipeline=K, name=f"w{ln}", log=self.internal_widths, log_as="proj.w")
                        for ln, rows in enumerate(vrows)]
            else:
                vs = [registered_sum(m, rows, pipeline=K, name=f"v{ln}", log=self.internal_widths, log_as="proj.v")
                      for ln, rows in enumerate(vrows)]
                lag = vs[0][1]
                sums = b_sum([t for t, _ in vs], delayed(cp_terms, lag, "cp"), "w")
                sums = [(t, r_ + lag) for t, r_ in sums]
        w_terms = [t for t, _ in sums]
        assert all(RL + r_ == S.proj_latency for _, r_ in sums), ([r_ for _, r_ in sums], S.proj_latency)
        w_iv = w_terms[0].interval
        for t in w_terms[1:]:
            w_iv = w_iv.union(t.interval)

        # --- final add: h and relu registered at `head` ------------------------------------------
        sw = self._reg_window(final - RL, G)
        neg_lanes, _ = self._table(m, "sign_rom", neg_rows.reshape(G, L), 1, sw.idx, signed_lanes=False)
        fa = RegisteredFinalAdd(lanes=L, r_interval=r_iv, w_interval=w_iv, A=cfg.A, frac_bits=cfg.frac_bits,
                                state_bits=sb, pipeline=K)
        m.submodules.final_add = fa
        assert fa.latency == S.final_latency, (fa.latency, S.final_latency)
        for ln in range(L):
            m.d.comb += [fa.r[ln].eq(r_out[ln]), fa.neg[ln].eq(neg_lanes[ln]), fa.w[ln].eq(w_terms[ln].value)]
        self.internal_widths.update(fa.internal_widths)
        hrow = Cat(*[fa.h[ln] for ln in range(L)])

        # --- state write-back and the h collector --------------------------------------------------
        hw_win = self._reg_window(head, G)
        collected = hrow
        if G > 1 and (not self._spec.state_in_memory or hw.expose_state):
            nxt = [Signal(L * sb, name=f"hnext{g}") for g in range(G - 1)]
            with m.If(hw_win.active):
                m.d.sync += nxt[-1].eq(hrow)
                for g in range(G - 2):
                    m.d.sync += nxt[g].eq(nxt[g + 1])
            collected = Cat(*nxt, hrow)
        push_h = ev.pulse(S.h_push_offset)
        if state_mem:
            waddr = state_addr(hw_win.idx, held_id(head - 1, "state_wid") if C > 1 else None)
            for lo_, width_, wp, _ in slices:
                m.d.comb += [wp.addr.eq(waddr), wp.data.eq(hrow[lo_:lo_ + width_]), wp.en.eq(hw_win.active)]
        elif banks:
            # a step that starts a sequence reads h = 0: its bank is cleared just before its rows
            # (after that sequence's previous update in the same cycle, which it overrides)
            for c, bank in enumerate(banks):
                with m.If(push_h & (ev.id(S.h_push_offset) == c)):
                    m.d.sync += bank.eq(collected)
                with m.If(ev.pulse(read - 1) & ev.first(read - 1) & (ev.id(read - 1) == c)):
                    m.d.sync += bank.eq(0)
        else:
            with m.If(push_h):
                m.d.sync += state.eq(collected)
            if not self._spec.state_in_memory:
                # a step that starts a sequence reads h = 0: clear the state just before its rows
                # (after the previous step's update in the same cycle, which it overrides)
                with m.If(ev.pulse(read - 1) & ev.first(read - 1)):
                    m.d.sync += state.eq(0)
        h_id = [ev.id(S.h_push_offset)] if C > 1 else []
        if self._hf is not None:
            m.d.comb += [self._hf.w_en.eq(push_h),
                         self._hf.w_data.eq(Cat(collected, ev.last(S.h_push_offset), *h_id))]

        # --- output head: y += V[:, rows]·relu(h[rows]) from the registered relu --------------------
        V = model.V.astype(np.int64)  # (n_out, d)
        n_out = cfg.n_out
        rmax = self._iv("relu").hi
        Vg = V.T.reshape(G, L * n_out)  # (l, o) at l·n_out + o
        _, vword = self._table(m, "V_rom", Vg, p, self._reg_window(head - RL, G).idx)
        vbits = (Vg[:, :, None] >> np.arange(p)) & 1
        wy = self.widths.width("y")
        start = ev.pulse(head + S.head_latency - 1)  # the first row's sum is being accumulated
        accs = []
        for o in range(n_out):
            rows = []
            for ln in range(L):
                col = ln * n_out + o
                bits = [int(vbits[0, col, j]) if self.tables is None and (vbits[:, col, j] == vbits[0, col, j]).all()
                        else vword[col * p + j] for j in range(p)]
                rows += gated_rows(Term(fa.relu[ln], Interval(0, rmax)), bits, f"vh{o}_{ln}")
            tot, regs = registered_sum(m, rows, pipeline=K, name=f"head{o}", log=self.internal_widths, log_as="head")
            assert regs + 1 == S.head_latency, (regs, S.head_latency)
            acc = Signal(signed(wy), name=f"yacc{o}")  # every partial sum lies inside the y interval
            c_o = int(model.c[o]) if self.tables is None else \
                lane(self._weights(m, "c", None, self._iv("c").width * n_out, 0), o, self._iv("c").width)
            m.d.sync += acc.eq(Mux(start, c_o, acc) + tot.value)
            accs.append(acc)
        self.internal_widths.note("head.acc", wy)
        last_y = ev.last(S.y_push_offset)
        y_id = [ev.id(S.y_push_offset)] if C > 1 else []
        m.d.comb += [
            self._yf.w_en.eq(ev.pulse(S.y_push_offset) & (Const(1, 1) if self._every_step else last_y)),
            self._yf.w_data.eq(Cat(cat_lanes(accs, wy), last_y, *y_id)),
        ]
