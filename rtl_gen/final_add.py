"""The registered final add: ``h = clamp((A·sign·r + w) >> F)`` and ``relu(h)``, ``lanes`` rows per cycle.

``w = B·v + C'`` comes from the input projection, where ``C' = C + 2^(F−1) + A·n`` already
holds the rounding half and the sign's correction (``n = 1`` for a negative sign). The
sign is folded into the operand as a ones' complement: ``A·sign·r = A·(r XOR n) + A·n``,
so there is no negate and no multiplexer, only an XOR in front of the first adder level.
``A`` is a power of two (a shift) or its canonical signed digits, each a shifted operand
of one registered multi-operand sum with ``w`` (a register after every ``pipeline`` adder
levels and at the root). The clamp is an overflow test on the top bits of ``z >> F``
(all equal: in range) with relu selected in the same step, then registered: every cycle
holds at most one carry chain.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import Interval, csd
from hadam_hw.schedule import registered_tree_latency

from .arith import Term, WidthLog, overflow_clamp, registered_sum, sig

__all__ = ["RegisteredFinalAdd", "ones_complement_interval"]


def ones_complement_interval(iv: Interval) -> Interval:
    """What ``r XOR n`` can hold for ``r`` in ``iv`` and either ``n``: ``r`` or ``−r − 1``."""
    return iv.union(Interval(-iv.hi - 1, -iv.lo - 1))


class RegisteredFinalAdd(wiring.Component):
    """Members: ``r`` (in, ``lanes`` signed), ``neg`` (in, one bit per lane: the row's sign is
    negative), ``w`` (in, ``lanes`` signed: ``B·v + C'``), ``h`` (out, ``lanes`` × ``state_bits``
    signed), ``relu`` (out, ``lanes`` unsigned). Outputs at cycle ``c + latency`` belong to
    the inputs at cycle ``c``.
    """

    def __init__(self, *, lanes: int, r_interval: Interval, w_interval: Interval, A: int, frac_bits: int,
                 state_bits: int, pipeline: int):
        if not isinstance(lanes, int) or lanes < 1:
            raise ConfigError(f"Lanes must be a positive integer, not {lanes!r}")
        if not isinstance(A, int) or A < 1:
            raise ConfigError(f"A must be a positive integer, not {A!r}")
        if not isinstance(pipeline, int) or pipeline < 1:
            raise ConfigError(f"The registered final add needs pipeline >= 1, not {pipeline!r}")
        self.lanes, self.A, self.frac_bits, self.state_bits, self.pipeline = lanes, A, frac_bits, state_bits, pipeline
        self.r_interval, self.w_interval = r_interval, w_interval
        self.digits = csd(A)
        self.internal_widths = WidthLog()
        super().__init__({
            "r": In(data.ArrayLayout(signed(r_interval.width), lanes)),
            "neg": In(lanes),
            "w": In(data.ArrayLayout(signed(w_interval.width), lanes)),
            "h": Out(data.ArrayLayout(signed(state_bits), lanes)),
            "relu": Out(data.ArrayLayout(unsigned(state_bits - 1), lanes)),
        })

    @property
    def latency(self) -> int:
        return registered_tree_latency(len(self.digits) + 1, self.pipeline) + 1

    def model(self, r, neg, w) -> tuple[np.ndarray, np.ndarray]:
        """Bit-exact reference: ``(N, lanes)`` arrays (``w`` already holding ``C'``) → ``(h, relu)``."""
        r, neg, w = (np.asarray(a, dtype=np.int64) for a in (r, neg, w))
        z = self.A * np.where(neg != 0, ~r, r) + w
        lo, hi = -(1 << (self.state_bits - 1)), (1 << (self.state_bits - 1)) - 1
        h = np.clip(z >> self.frac_bits, lo, hi)
        return h, np.maximum(h, 0)

    def elaborate(self, platform):
        m = Module()
        sb = self.state_bits
        lo, hi = -(1 << (sb - 1)), (1 << (sb - 1)) - 1
        xr_iv = ones_complement_interval(self.r_interval)
        for ln in range(self.lanes):
            xr = sig(xr_iv, f"rx{ln}")
            m.d.comb += xr.eq(self.r[ln] ^ self.neg[ln].replicate(xr_iv.width).as_signed())
            terms = []
            for shift, s in self.digits:
                iv = xr_iv.scale(1 << shift)
                terms.append(Term(xr << shift, iv if s > 0 else -iv, s < 0))
            terms.append(Term(self.w[ln], self.w_interval))
            z, regs = registered_sum(m, terms, pipeline=self.pipeline, name=f"z{ln}", log=self.internal_widths,
                                     log_as="final.z")
            assert regs + 1 == self.latency, (regs, self.latency)
            zs = z.value >> self.frac_bits
            h_expr, relu_expr = overflow_clamp(zs, lo, hi, sb)
            h = Signal(signed(sb), name=f"h{ln}")
            relu = Signal(unsigned(sb - 1), name=f"relu{ln}")
            m.d.sync += [h.eq(h_expr), relu.eq(relu_expr)]
            m.d.comb += [self.h[ln].eq(h), self.relu[ln].eq(relu)]
            self.internal_widths.note("final.z", z.width)
        return m
