"""Exact bounds and widths of every intermediate of the integer recurrence (SPEC §2).

The bounds come from the model's actual weights and the configured input and state ranges,
so they are tight and proven: the golden model refuses a model whose intermediates could
leave int64, and the RTL sizes its registers from the same numbers (by name).

Names: ``x`` input lane, ``h`` state, ``r`` Hadamard sum ``S_b h``, ``Ar`` = ``A·sign·r``,
``v`` = ``U x``, ``Bv``, ``C``, ``z`` (before rounding, half added), ``relu`` = ``max(h,0)``,
``Vh`` = ``V·relu(h)``, ``c``, ``y``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import WidthError
from .fixedpoint import Interval, unsigned_width
from .model import HadamModel

__all__ = ["Widths", "derive_widths", "check_int64", "INT64_LIMIT", "hadamard_sum_interval", "size_bits",
           "envelope_widths", "design_widths", "bias_bits"]

INT64_LIMIT = (1 << 63) - 1


def hadamard_sum_interval(block: int, h: Interval) -> Interval:
    """Exact range of one row of ``S_b h`` for ``h`` in ``[h.lo, h.hi]`` elementwise.

    Row 0 of ``S_b`` is all +1; every other row has ``b/2`` entries of each sign.
    """
    row0 = h.scale(block)
    if block == 1:
        return row0
    half = block // 2
    other = h.scale(half) + (-h).scale(half)
    return row0.union(other)


def _row_intervals(weights: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row exact range of ``weights @ x`` for ``x`` elementwise in ``[lo, hi]``."""
    w = weights.astype(object)  # Python ints: exact whatever the sizes
    a, b = w * lo, w * hi
    return np.minimum(a, b).sum(axis=1), np.maximum(a, b).sum(axis=1)


@dataclass(frozen=True)
class Widths:
    """Named exact intervals; ``width(name)`` is the two's complement width of each."""

    intervals: dict[str, Interval]
    abs_bound: int  # a bound on |every partial sum| the numpy golden model forms

    def width(self, name: str) -> int:
        if name == "relu":
            return unsigned_width(self.intervals["relu"].hi)
        return self.intervals[name].width

    def to_json(self) -> dict[str, int]:
        return {k: self.width(k) for k in self.intervals}


def derive_widths(model: HadamModel) -> Widths:
    cfg = model.config
    hlo, hhi = cfg.h_range
    h = Interval(hlo, hhi)
    xlo, xhi = cfg.x_range
    r = hadamard_sum_interval(cfg.block, h)
    ar = Interval(-r.magnitude, r.magnitude).scale(cfg.A)  # sign flips make it symmetric
    if model.onehot:
        U = model.U.astype(object)
        vlo, vhi = U.min(axis=1), U.max(axis=1)
        v_abs = np.abs(U).max(axis=1)
    else:
        vlo, vhi = _row_intervals(model.U, xlo, xhi)
        v_abs = np.abs(model.U.astype(object)).sum(axis=1) * max(abs(xlo), abs(xhi))
    C = model.C.astype(object)
    half = (1 << cfg.frac_bits) >> 1
    z_lo = ar.lo + cfg.B * vlo + C + half
    z_hi = ar.hi + cfg.B * vhi + C + half
    relu = Interval(0, max(hhi, 0))
    vh_lo, vh_hi = _row_intervals(model.V, 0, relu.hi)
    c = model.c.astype(object)
    y_lo, y_hi = vh_lo + c, vh_hi + c
    vh_abs = np.abs(model.V.astype(object)).sum(axis=1) * relu.hi
    intervals = {
        "x": Interval(xlo, xhi),
        "h": h,
        "r": r,
        "Ar": ar,
        "v": Interval(int(vlo.min()), int(vhi.max())),
        "Bv": Interval(int(vlo.min()), int(vhi.max())).scale(cfg.B),
        "C": Interval.of(C),
        "z": Interval(int(z_lo.min()), int(z_hi.max())),
        "relu": relu,
        "Vh": Interval(int(vh_lo.min()), int(vh_hi.max())),
        "c": Interval.of(model.c),
        "y": Interval(int(y_lo.min()), int(y_hi.max())),
    }
    # Python ints: the bound itself cannot overflow while it is being computed.
    abs_bound = max(
        ar.magnitude + cfg.B * int(v_abs.max()) + max((abs(v) for v in C), default=0) + half,
        int(vh_abs.max()) + max((abs(v) for v in c), default=0),
        r.magnitude,
    )
    return Widths(intervals, abs_bound)


def _signed_range(bits: int) -> Interval:
    return Interval(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def bias_bits(cfg) -> dict[str, int]:
    """Widths of the biases a runtime-weights design holds (``C``, ``c``), from the shape only.

    ``C``: wide enough for ``±(2^(F+sb−1) + |A·r| + |B·v|)``; a bias beyond that saturates
    every state whatever the inputs, so nothing of use is lost. ``c``: the width of the
    head's sum ``V·relu(h)`` for any ``p``-bit ``V`` (``|c|`` at most about that sum).
    """
    env = _envelope(cfg)
    m = (1 << (cfg.frac_bits + cfg.state_bits - 1)) + env["Ar"].magnitude + env["Bv"].magnitude
    return {"C": Interval(-m, m).width, "c": env["Vh"].width}


def _envelope(cfg) -> dict[str, Interval]:
    """The intervals that do not depend on the biases, for every admissible ``U`` and ``V``."""
    hlo, hhi = cfg.h_range
    h = Interval(hlo, hhi)
    xlo, xhi = cfg.x_range
    wlo, whi = cfg.w_range
    r = hadamard_sum_interval(cfg.block, h)
    ar = Interval(-r.magnitude, r.magnitude).scale(cfg.A)
    if cfg.vocab is not None:
        v = Interval(wlo, whi)
    else:
        prods = [wlo * xlo, wlo * xhi, whi * xlo, whi * xhi]
        v = Interval(min(prods) * cfg.n_in, max(prods) * cfg.n_in)
    relu = Interval(0, max(hhi, 0))
    vh = Interval(wlo * relu.hi * cfg.hidden, whi * relu.hi * cfg.hidden)
    return {"x": Interval(xlo, xhi), "h": h, "r": r, "Ar": ar, "v": v, "Bv": v.scale(cfg.B), "relu": relu, "Vh": vh}


def envelope_widths(cfg) -> Widths:
    """The widths of a design whose weights are loaded at run time: exact bounds over every
    ``p``-bit ``U``, ``V`` and every bias of :func:`bias_bits` bits (SPEC §4.2)."""
    env = _envelope(cfg)
    bits = bias_bits(cfg)
    C, c = _signed_range(bits["C"]), _signed_range(bits["c"])
    half = (1 << cfg.frac_bits) >> 1
    z = env["Ar"] + env["Bv"] + C + Interval(0, half)  # C's words may hold C + half already
    y = env["Vh"] + c
    intervals = {**{k: env[k] for k in ("x", "h", "r", "Ar", "v", "Bv")}, "C": C, "z": z, "relu": env["relu"],
                 "Vh": env["Vh"], "c": c, "y": y}
    abs_bound = max(z.magnitude, y.magnitude, env["r"].magnitude)
    return Widths(intervals, abs_bound)


def design_widths(model: HadamModel, hw) -> Widths:
    """The widths a design of ``model`` built as ``hw`` has: the model's own exact bounds with
    baked weights, the shape's envelope (:func:`envelope_widths`) with runtime weights."""
    from .config import Weights

    if getattr(hw, "weights", Weights.BAKED) is Weights.RUNTIME:
        return envelope_widths(model.config)
    return derive_widths(model)


def check_int64(model: HadamModel) -> Widths:
    """Derive the widths and refuse a model whose exact intermediates could leave int64."""
    w = derive_widths(model)
    if w.abs_bound > INT64_LIMIT:
        worst = max(w.intervals, key=lambda k: w.intervals[k].magnitude)
        raise WidthError(
            f"model {model.config.tag}: intermediate '{worst}' needs {w.width(worst)} bits and "
            f"partial sums reach {w.abs_bound.bit_length() + 1} bits, beyond int64; "
            "reduce state_bits, frac_bits, A, B or the biases"
        )
    return w


def size_bits(model: HadamModel) -> dict[str, int]:
    """Storage of each parameter in bits (sign 1 bit, U/V p bits, biases at their width)."""
    cfg = model.config
    w = derive_widths(model)
    return {
        "sign": cfg.hidden,
        "U": cfg.hidden * cfg.n_in * cfg.weight_bits,
        "V": cfg.n_out * cfg.hidden * cfg.weight_bits,
        "C": cfg.hidden * w.width("C"),
        "c": cfg.n_out * w.width("c"),
    }
