"""What the estimate adds to the synthesis wrapper: Fmax below the requested frequency is a
figure, not a failure; a tool error names its ERROR line."""

import pytest

from estimate.synth import cached_result, synthesize
from hadam_hw.errors import HadamHWError

# registers on both sides: out of context (ECP5) only register-to-register paths are timed
ADDER = """
module top(input clk, input [15:0] a, input [15:0] b, output reg [16:0] s);
  reg [15:0] ra, rb;
  always @(posedge clk) begin ra <= a; rb <= b; s <= ra + rb; end
endmodule
"""


def test_fmax_below_the_requested_frequency_is_reported(tmp_path):
    v = tmp_path / "add.v"
    v.write_text(ADDER)
    r = synthesize(v, "top", "ecp5", pnr=True, freq_mhz=2000, cache_dir=tmp_path / "c")
    assert 50 < r.fmax_mhz < 2000 and "--timing-allow-fail" in r.pnr_command
    assert cached_result(v, "top", "ecp5", pnr=True, freq_mhz=2000, cache_dir=tmp_path / "c").fmax_mhz == r.fmax_mhz
    assert cached_result(v, "top", "ecp5", pnr=True, freq_mhz=100, cache_dir=tmp_path / "c") is None


def test_a_yosys_error_names_its_error_line(tmp_path):
    v = tmp_path / "bad.v"
    v.write_text("module top(input clk); this is not verilog endmodule\n")
    with pytest.raises(HadamHWError, match="ERROR") as e:
        synthesize(v, "top", "ecp5", cache_dir=tmp_path)
    assert "\n" not in str(e.value)
