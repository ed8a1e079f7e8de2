"""The SDF stage's add/subtract unit: ``phase ? x + y1 : y2 − y1`` on one carry chain.

Two forms compute the same function (:func:`select_add_sub`):

* ``behavioural``: the Amaranth expression, for simulation and for any target;
* ``ccu2c`` (ECP5): a chain of ``CCU2C`` cells whose LUT4s take ``(y1, phase, x, y2)`` of one
  bit each, so the operand multiplexer and the add/subtract select ride inside the carry
  cells: ``⌈(w + 1) / 2⌉`` cells for a ``w``-bit result (``w + 2`` LUT-equivalents), where
  Yosys makes a multiplexer LUT, an XOR LUT and the carry chain of every bit. The first half
  cell injects the carry in (``1`` when subtracting). Yosys' ECP5 cell library models the
  cell (``share/lattice/ccu2c_sim.vh``); the test suite proves the chain equal to the
  behavioural form with Yosys' SAT solver.

Which form a design uses is :attr:`hadam_hw.config.HardwareConfig.addsub`, whose choices
live in the target registry (:data:`hadam_hw.targets.ADDSUB_FORMS`).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Instance, Module, Mux, Signal, Value

__all__ = ["select_add_sub", "ccu2c_init"]


def ccu2c_init() -> int:
    """INIT of one bit's LUT4, inputs ``A = y1, B = phase, C = x, D = y2``: the propagate
    ``(phase ? x : y2) ⊕ (phase ? y1 : ~y1)``. The cell's carry generate is the same LUT's
    ``INIT[3:0]`` (``C = D = 0``): ``y1 ⊕ ~phase``, which is both operands' bit whenever they
    are equal (the only case the generate is used), so one INIT serves both."""
    init = 0
    for idx in range(16):
        a, b, c, d = idx & 1, (idx >> 1) & 1, (idx >> 2) & 1, (idx >> 3) & 1
        prop = (c if b else d) ^ a ^ (1 - b)
        init |= prop << idx
    return init


_INJECT_INIT = 0x0005  # LUT4 part (D = 1) 0: no propagate; LUT2 part ~A with A = phase: carry in


def _sext(v: Value, width: int) -> Value:
    v = Value.cast(v)
    return Cat(v, v[-1].replicate(width - len(v))) if len(v) < width else v[:width]


def select_add_sub(m: Module, phase: Value, x: Value, y2: Value, y1: Value, width: int, name: str, *,
                   form: str = "behavioural") -> Value:
    """``phase ? x + y1 : y2 − y1`` as a signed ``width``-bit value (the caller guarantees it fits)."""
    out = Signal(width, name=name)
    if form == "behavioural":
        m.d.comb += out.eq(Mux(phase, x + y1, y2 - y1))
        return out.as_signed()
    if form != "ccu2c":
        raise ValueError(f"add/subtract form must be 'behavioural' or 'ccu2c', not {form!r}")
    xs, y2s, y1s = _sext(x, width), _sext(y2, width), _sext(y1, width)
    zero = Const(0, 1)
    # halves: the carry injector, then one per result bit, padded to whole cells
    halves = [(phase, zero, zero, Const(1, 1), _INJECT_INIT, None)]
    init = ccu2c_init()
    for i in range(width):
        halves.append((y1s[i], phase, xs[i], y2s[i], init, out[i]))
    if len(halves) % 2:
        halves.append((zero, zero, zero, zero, 0, None))
    carry = zero
    for j in range(0, len(halves), 2):
        lo, hi = halves[j], halves[j + 1]
        cout = Signal(name=f"{name}_c{j // 2}")
        ports = {"i_CIN": carry, "o_COUT": cout}
        for h, (a, b, c, d, ini, s) in enumerate((lo, hi)):
            ports.update({f"i_A{h}": a, f"i_B{h}": b, f"i_C{h}": c, f"i_D{h}": d,
                          f"p_INIT{h}": Const(ini, 16), f"p_INJECT1_{h}": "NO"})
            ports[f"o_S{h}"] = s if s is not None else Signal(name=f"{name}_nc{j + h}")
        m.submodules[f"{name}_ccu{j // 2}"] = Instance("CCU2C", **ports)
        carry = cout
    return out.as_signed()
