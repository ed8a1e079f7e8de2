"""``sdf``: the folded, streaming Walsh–Hadamard transform (single-path delay feedback).

The state streams through ``lanes`` elements per cycle (element ``p`` of a step in lane
``p mod lanes`` at cycle ``p // lanes``). A butterfly at stride ``s >= lanes`` pairs
elements ``D = s / lanes`` cycles apart and is one SDF stage: one add/subtract unit per
lane, busy every cycle, and the stage's input delayed by ``D`` and ``2D`` cycles. A
``2D``-cycle group brings ``a`` (first ``D`` cycles) then ``c`` (next ``D``): while ``c``
arrives the unit outputs ``a + c`` (``a`` from the ``D`` delay); during the next group's
first ``D`` cycles it outputs the same pair's ``a − c`` (``a`` from the ``2D`` delay, ``c``
from the ``D`` delay). Every element leaves a stage exactly ``D`` cycles after it entered,
in natural order, so the transform's output is in Sylvester order with no reordering.
The delays of a stage with ``2D >= 16`` words live in memories of ``(x, x delayed D)``
words, banks of at most 16 words in cascade, each read through its read register
(distributed RAM on ECP5, block RAM on iCE40); shorter ones in flip-flops. Strides below ``lanes`` are plain butterflies across lanes. With one
lane: ``log2 b`` add/subtract units and ``2·(b − 1)`` words of delay storage per datapath,
the fewest adders of all architectures (the FWHT's ``b·log2 b`` additions in ``b`` cycles).

Why one unit and twice the storage, not an adder and a subtractor with ``D`` words (storing
``a − c``): the unit is the costly part (a carry chain, and its operand multiplexer), while
the second ``D`` words sit in RAM, a few LUTs per 64 bits or a fraction of a block RAM.

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
from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.archs import Arch, arch_spec, sdf_delay_cycles
from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import Interval
from hadam_hw.hadamard import fwht, log2_exact
from hadam_hw.targets import ADDSUB_FORMS

from ..add_sub import select_add_sub
from ..arith import Term, WidthLog, sig
from . import register

__all__ = ["SDFButterfly", "SDF_RAM_MIN_WORDS", "SDF_RAM_BANK_WORDS", "sdf_stage_in_ram"]

# an SDF stage pairing elements D cycles apart keeps its input for D and 2D cycles (2D words
# per lane); from this many words on they live in a memory (distributed RAM on ECP5, Xilinx
# and Gowin, block RAM on iCE40) read through its read register, below in flip-flops
SDF_RAM_MIN_WORDS = 16


# the depth of one distributed-RAM cell (ECP5 TRELLIS_DPR16X4, Gowin RAM16SDP4): a longer delay
# is a cascade of banks this deep, with no read multiplexer
SDF_RAM_BANK_WORDS = 16


def sdf_stage_in_ram(delay: int) -> bool:
    """Whether an SDF stage of delay ``D`` keeps its ``2D`` words of delay storage in a memory."""
    return 2 * delay >= SDF_RAM_MIN_WORDS


@register(Arch.SDF)
class SDFButterfly(wiring.Component):
    """Streaming ``(I ⊗ S_b)`` transform, ``lanes`` elements per cycle.

    Members: ``x`` (in, ``lanes`` signed lanes), ``start`` (in, first cycle of a step),
    ``y`` (out, ``lanes`` signed lanes). Element group ``g`` of a step whose ``start`` is at
    cycle ``c`` enters at ``c + g`` and its transform leaves at ``c + g + latency``. Steps
    must start at least ``groups_per_block = max(1, b / lanes)`` cycles apart and
    their element groups must be consecutive cycles.
    """

    def __init__(self, *, block: int, lanes: int, in_width: int, pipeline: int = 0, registered: bool = False,
                 addsub: str = "generic", primitives: bool = True):
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
        if addsub not in ADDSUB_FORMS:
            raise ConfigError(f"Add/subtract form must be one of {', '.join(ADDSUB_FORMS)}, not {addsub!r}")
        self.addsub = addsub
        self.primitives = bool(primitives)  # False: a target form's behavioural twin (simulation)
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
                self.internal_widths.note(f"sdf.delay{k + 1}", self.intervals[k].width)
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
                   registered=registered, addsub=hw.addsub)

    @classmethod
    def resources(cls, counter, rec, *, registered: bool) -> None:
        """Resource formula (called by :mod:`estimate.resources` with its counting toolkit and the
        recurrence part), per lane. A temporal stage (pairs ``D`` cycles apart) is one add/subtract
        unit of the stage's output width ``w``: ``generic``, a carry chain (``alu``) with one LUT
        per bit choosing its first operand (``mux``), and the last temporal stage's un-inversion
        (``mux``); ``ccu2c``, one carry chain of ``w + 1`` bits (the carry-in injector) with the
        operand choice inside its cells. Its input, ``w − 1`` bits, is kept for ``D`` and ``2D``
        cycles: from :data:`SDF_RAM_MIN_WORDS` words on in memories of ``2·lanes·(w − 1)``-bit
        words, banks of at most :data:`SDF_RAM_BANK_WORDS` words in cascade (each with its read
        register), the write and read pointer counters shared by all stages; below, ``2D`` words of flip-flops. Its group
        counter, the next stage's step mark and (generic) the previous group's polarity are
        control. A stride below ``lanes`` is a plain butterfly across lanes (two adders); a
        register after every ``pipeline`` stages (registered: and after the last). The state
        memory is the cell's."""
        cfg, S, hw = counter.cfg, counter.S, counter.hw
        K, L = hw.pipeline, S.lanes
        strides = [s for s in _strides(cfg.block) if s >= L] + [s for s in _strides(cfg.block) if s < L]
        n_temporal = sum(1 for s in strides if s >= L)
        generic = hw.addsub == "generic"
        ram_seen = False
        w = cfg.state_bits
        for k, s in enumerate(strides, 1):
            w += 1
            if s >= L:
                D = s // L
                if generic:
                    rec.add(alu=L * w, mux=L * w * (2 if k == n_temporal else 1), ff=1)
                else:
                    rec.add(alu=L * (w + 1))
                if sdf_stage_in_ram(D):
                    bank = min(D, SDF_RAM_BANK_WORDS)
                    for _ in range(D // bank):
                        counter.ram(rec, bank, 2 * L * (w - 1), sync=True)
                    if not ram_seen:  # write and read pointers (one address ahead), shared by the stages
                        counter.counter(rec, bank)
                        counter.counter(rec, bank)
                        ram_seen = True
                else:
                    rec.add(ff=2 * D * L * (w - 1))
                counter.counter(rec, 2 * D)
                rec.add(ff=1, ctl=1)  # the next stage's step mark
            else:
                rec.add(alu=L * 2 * w)
            if (k % K == 0 or k == len(strides)) if registered else (K and k % K == 0):
                rec.add(ff=L * w + 1 + (1 if generic and k < n_temporal else 0))
        rec.formula = (f"{L} lane(s) × {len(strides)} SDF stage(s){', registered' if registered else ''} "
                       f"(one {hw.addsub} add/subtract unit, delays D and 2D)")

    @property
    def delay_cycles(self) -> int:
        return sdf_delay_cycles(self.block, self.lanes)

    @property
    def latency(self) -> int:
        return arch_spec(Arch.SDF).latency(self.block, self.block, self.lanes, self.pipeline, self.registered)

    @property
    def stage_delays(self) -> list[int]:
        """``D`` of each temporal stage (pairs ``D`` cycles apart), largest first."""
        return [s // self.lanes for s in self.strides if s >= self.lanes]

    @property
    def delay_words(self) -> tuple[int, int]:
        """Words of delay storage per lane, ``(in memories, in flip-flops)``: each stage keeps
        its input for ``D`` and ``2D`` cycles, ``2·(b/lanes − 1)`` words in all."""
        ram = sum(2 * D for D in self.stage_delays if sdf_stage_in_ram(D))
        return ram, sum(2 * D for D in self.stage_delays) - ram

    def model(self, steps) -> np.ndarray:
        """Bit-exact reference: ``(S, n)`` steps of ``n`` elements (a multiple of ``b``) → transforms."""
        return fwht(np.asarray(steps, dtype=np.int64), self.block)

    def elaborate(self, platform):
        m = Module()
        L = self.lanes
        vals = [Term(self.x[ln], self.intervals[0]) for ln in range(L)]
        tok = self.start
        pol = Const(0, 1)  # the generic form's inverted groups (see below)
        n_temporal = len(self.stage_delays)
        ram_delays = [D for D in self.stage_delays if sdf_stage_in_ram(D)]
        pointers = None
        if ram_delays:  # the memories' write and read pointers, shared
            depth = min(ram_delays[0], SDF_RAM_BANK_WORDS)
            pointers = (Signal(range(depth), name="dl_wptr"), Signal(range(depth), init=1, name="dl_rptr"))
            m.d.sync += [pointers[0].eq(pointers[0] + 1), pointers[1].eq(pointers[1] + 1)]
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
                phase = idx[log2_exact(D)]  # 0: emit the previous group's a − c; 1: emit a + c
                w_in = iv_in.width
                xs = [vals[ln].value for ln in range(L)]
                taps = _delay_taps(m, xs, w_in, D, f"dl{k}", pointers)
                nxt = []
                if self.addsub == "generic":
                    # the pair's first operand enters inverted, a − c as ~(~a + c): each sum is
                    # one LUT (the operand's multiplexer) per bit on a plain carry chain. A group
                    # then leaves inverted or not (pol_out), the next stage adds its pol as the
                    # carry in (~a + ~c + 1 = ~(a + c), ~~a + ~c + 1 = a − c), the last undoes it
                    pol_prev = Signal(name=f"pol{k}_prev")  # the previous group's polarity
                    with m.If(phase):
                        m.d.sync += pol_prev.eq(pol)
                    cin = Mux(phase, pol, pol_prev)
                    pol = Mux(phase, pol, ~pol_prev)
                    plain = k == n_temporal
                    for ln in range(L):
                        y1, y2 = taps[ln]  # the input D and 2D cycles ago
                        out = sig(iv, f"o{k}_{ln}")
                        total = Mux(phase, xs[ln], ~y2) + y1 + cin
                        m.d.comb += out.eq(total ^ pol.replicate(iv.width) if plain else total)
                        nxt.append(Term(out, iv))
                    if plain:
                        pol = Const(0, 1)
                else:
                    # one add/subtract unit: a + c in the second half, a − c of the same pair D
                    # cycles later (a = y2, c = y1), the select folded into the target's carry cells
                    for ln in range(L):
                        y1, y2 = taps[ln]
                        out = select_add_sub(m, phase, xs[ln], y2, y1, iv.width, f"o{k}_{ln}",
                                             form="ccu2c" if self.primitives else "behavioural")
                        nxt.append(Term(out, iv))
                # the step mark of the next stage: group 0 leaves this one D cycles after it
                # entered, where the group counter passes D (one cycle earlier when tok leads).
                # Between steps the counter runs on and marks every 2D cycles: each such mark
                # falls where the next stage's D-periodic counter wraps anyway, so it is harmless
                t = Signal(name=f"tok{k}")
                if D > 1 or not self.registered:
                    m.d.sync += t.eq(idx == (D - 2 if self.registered else D - 1))
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
                if k < n_temporal:
                    t = Signal(name=f"ppol{k}")
                    m.d.sync += t.eq(pol)
                    pol = t
            vals = nxt
        for ln in range(L):
            m.d.comb += self.y[ln].eq(vals[ln].value)
        return m


def _delay_taps(m: Module, xs: list[Value], width: int, delay: int, name: str,
                pointers: tuple[Signal, Signal]) -> list[tuple[Value, Value]]:
    """``(x delayed D, x delayed 2D)`` of each lane's ``width``-bit signed input, free running.

    Flip-flops below :data:`SDF_RAM_MIN_WORDS` words; above, memories holding ``(x, x delayed
    D)`` per lane, each written at a free-running pointer and read one address ahead through
    its read register. At most :data:`SDF_RAM_BANK_WORDS` deep, a memory costs Yosys less as
    distributed RAM than as a block RAM (whose inferred read has no output register and is
    slow) where the target has distributed RAM, and less as block RAM than as flip-flops where
    it has not (iCE40: the block RAM's read register is its own). A delay beyond
    :data:`SDF_RAM_BANK_WORDS` is a cascade of such banks, each delaying both fields by its
    depth (the second field's input is the first field's output): a read register per bank
    instead of a multiplexer over banks before one register. ``pointers``: the write pointer
    and the read pointer (one ahead, its own register: no adder before the RAM), free running,
    shared by every stage (each takes its low bits: the delay is exact whatever their origin).
    """
    L = len(xs)
    if not sdf_stage_in_ram(delay):
        taps = []
        for ln, x in enumerate(xs):
            line = [Signal(signed(width), name=f"{name}_{ln}_{i}") for i in range(2 * delay)]
            m.d.sync += line[0].eq(x)
            for i in range(1, 2 * delay):
                m.d.sync += line[i].eq(line[i - 1])
            taps.append((line[delay - 1], line[2 * delay - 1]))
        return taps
    bank = min(delay, SDF_RAM_BANK_WORDS)
    ptr, rptr = pointers[0][:log2_exact(bank)], pointers[1][:log2_exact(bank)]
    y1s = [Signal(signed(width), name=f"{name}_{ln}_d") for ln in range(L)]
    firsts, seconds = [_fit_signed(x, width) for x in xs], list(y1s)
    for j in range(delay // bank):  # banks in cascade, each a delay of `bank` cycles
        word = Cat(*[Cat(f, s_) for f, s_ in zip(firsts, seconds, strict=True)])
        mem = memory.Memory(shape=unsigned(len(word)), depth=bank, init=[])
        m.submodules[f"{name}_mem{j}"] = mem
        wp, rp = mem.write_port(), mem.read_port()  # the read address is never the one written
        m.d.comb += [wp.addr.eq(ptr), wp.data.eq(word), wp.en.eq(1), rp.addr.eq(rptr)]
        rdata = rp.data
        firsts = [rdata[2 * ln * width:(2 * ln + 1) * width] for ln in range(L)]
        seconds = [rdata[(2 * ln + 1) * width:(2 * ln + 2) * width] for ln in range(L)]
    for ln in range(L):
        m.d.comb += y1s[ln].eq(firsts[ln].as_signed())
    return [(y1s[ln], seconds[ln].as_signed()) for ln in range(L)]


def _fit_signed(x: Value, width: int) -> Value:
    """``x`` sign-extended (or cut) to exactly ``width`` bits."""
    x = Value.cast(x)
    if len(x) >= width:
        return x[:width]
    return Cat(x, x[-1].replicate(width - len(x)))


def _strides(block: int) -> list[int]:
    """Butterfly strides of a size-``block`` transform, largest first."""
    out, s = [], block // 2
    while s >= 1:
        out.append(s)
        s //= 2
    return out
