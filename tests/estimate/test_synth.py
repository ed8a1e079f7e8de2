"""Synthesis wrapper on a small hand-written design (the generated cells are covered by
the estimate tests). Figures are checked by structure, not by a Yosys-version snapshot."""

import pytest

from estimate.synth import TARGETS, io_wrapper, synthesize
from hadam_hw.errors import HadamHWError

ADDER = """
module top(input clk, input [15:0] a, input [15:0] b, output reg [16:0] s);
  always @(posedge clk) s <= a + b;
endmodule
"""


# registers on both sides: out of context (ECP5) only register-to-register paths are timed
REGISTERED_ADDER = """
module top(input clk, input [15:0] a, input [15:0] b, output reg [16:0] s);
  reg [15:0] ra, rb;
  always @(posedge clk) begin ra <= a; rb <= b; s <= ra + rb; end
endmodule
"""


@pytest.fixture
def adder(tmp_path):
    p = tmp_path / "add.v"
    p.write_text(ADDER)
    return p


@pytest.fixture
def registered_adder(tmp_path):
    p = tmp_path / "radd.v"
    p.write_text(REGISTERED_ADDER)
    return p


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_registered_adder_counts(adder, tmp_path, target):
    r = synthesize(adder, "top", target, cache_dir=tmp_path / "cache")
    assert r.ffs == 17  # the 17-bit output register
    assert r.luts >= 16  # at least one LUT-equivalent per sum bit
    assert r.carries > 0  # the adder went to the carry chain
    assert TARGETS[target].script in r.command and " ".join(TARGETS[target].flags) in r.command
    expected = sum(n * TARGETS[target].luts.get(c, 0) for c, n in r.cells.items())
    assert r.luts == expected


def test_ecp5_counts_ccu2c_as_two_luts(adder, tmp_path):
    r = synthesize(adder, "top", "ecp5", cache_dir=tmp_path)
    assert r.luts == r.cells.get("LUT4", 0) + 2 * r.cells["CCU2C"]


def test_cache_makes_a_rerun_instant_and_identical(adder, tmp_path):
    a = synthesize(adder, "top", "ice40", cache_dir=tmp_path)
    b = synthesize(adder, "top", "ice40", cache_dir=tmp_path)
    assert not a.cached and b.cached
    assert (a.luts, a.ffs, a.cells) == (b.luts, b.ffs, b.cells)
    c = synthesize(adder, "top", "ice40", flags=("-nocarry",), cache_dir=tmp_path)  # other flags: other key
    assert not c.cached
    c = synthesize(adder, "top", "ice40", flow="full", cache_dir=tmp_path)  # other flow: other key
    assert not c.cached


def test_pnr_reports_fmax_out_of_context_on_ecp5_and_through_the_io_wrapper_on_ice40(registered_adder, tmp_path):
    r = synthesize(registered_adder, "top", "ecp5", pnr=True, cache_dir=tmp_path)
    assert r.fmax_mhz and r.fmax_mhz > 50
    assert "nextpnr-ecp5" in r.pnr_command and "--out-of-context" in r.pnr_command
    r = synthesize(registered_adder, "top", "ice40", pnr=True, cache_dir=tmp_path)
    assert r.fmax_mhz and r.fmax_mhz > 50
    assert "nextpnr-ice40" in r.pnr_command and "--out-of-context" not in r.pnr_command


def test_io_wrapper_connects_every_port():
    v = io_wrapper("top", {"clk": ("input", 1), "a": ("input", 3), "b": ("input", 2), "s": ("output", 4)})
    assert ".a(sr[2:0])" in v and ".b(sr[4:3])" in v and ".s(o_s)" in v and "q_s <= o_s" in v
    # the outputs are XOR-reduced four bits per registered level: no long path in the wrapper
    assert "x0[0] <= q_s[0] ^ q_s[1] ^ q_s[2] ^ q_s[3];" in v and "so <= x0[0];" in v


def test_errors_are_one_sentence(adder, tmp_path):
    with pytest.raises(HadamHWError, match="target must be one of"):
        synthesize(adder, "top", "stratix")
    with pytest.raises(HadamHWError, match="--pnr is available for ice40 and ecp5, not xilinx"):
        synthesize(adder, "top", "xilinx", pnr=True)
    with pytest.raises(HadamHWError, match="no such Verilog file"):
        synthesize(tmp_path / "none.v", "top", "ice40")
    bad = tmp_path / "bad.v"
    bad.write_text("module top(input clk); syntax error here endmodule")
    with pytest.raises(HadamHWError, match="Yosys synth_ice40 of bad.v failed"):
        synthesize(bad, "top", "ice40", cache_dir=tmp_path)


def test_pnr_of_a_design_larger_than_the_part_says_so_instead_of_failing(adder, tmp_path, monkeypatch):
    import estimate.synth as synth
    from hadam_hw.targets import Device

    tiny = Device("ice40-tiny", "ice40", 8, 8, 0, 1)  # the default part, shrunk: the adder's 17 FFs do not fit
    monkeypatch.setitem(synth.DEVICES, TARGETS["ice40"].default_device, tiny)
    monkeypatch.setattr(synth, "_place_and_route", lambda *a: pytest.fail("nextpnr ran on a design that cannot fit"))
    r = synthesize(adder, "top", "ice40", pnr=True, cache_dir=tmp_path)
    assert r.fmax_mhz is None and r.ffs == 17
    assert r.extra["does_not_fit"].endswith("17 FF > 8 of ice40-tiny")
    plain = synthesize(adder, "top", "ice40", cache_dir=tmp_path)  # its figures came from the plain run's cache
    assert plain.cached and (plain.luts, plain.ffs) == (r.luts, r.ffs)


def test_nextpnr_utilisation_over_the_part_is_read_from_its_log():
    from estimate.synth import over_capacity

    log = ("Info: Device utilisation:\nInfo: \t         ICESTORM_LC:    3543/   1280   276%\n"
           "Info: \t        ICESTORM_RAM:       0/     16     0%\nInfo: \t               SB_IO:     264/     96   275%\n"
           "ERROR: Unable to place cell 'x', no BELs remaining to implement cell type 'ICESTORM_LC'\n")
    assert over_capacity(log) == "3,543 ICESTORM_LC > 1,280, 264 SB_IO > 96"
    assert over_capacity("Info: \t         ICESTORM_LC:    1000/   1280    78%\n") is None
