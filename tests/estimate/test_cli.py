"""``hadam-hw estimate``: table, JSON and CSV, with synthesis and with the analytic model; misuse
is one line and exit status 2."""

import csv
import json
import subprocess
import sys

import pytest

from flow.cli import main


def cli(*args):
    return subprocess.run([sys.executable, "-m", "flow", *map(str, args)], capture_output=True, text=True)


def test_fast_table_json_csv(tiny_artifact, tmp_path, capsys):
    out = tmp_path / "e.csv"
    assert main(["estimate", str(tiny_artifact), "--arch", "sdf", "--target", "ecp5", "--fast", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    for needle in ("analytic model", "LUT-equivalents", "cycles per step", "set by the", "dense baseline",
                   "adder lower bound", "recurrence"):
        assert needle in text
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1 and rows[0]["source"] == "analytic" and rows[0]["arch"] == "sdf"
    assert int(rows[0]["luts"]) > 0 and rows[0]["dense_lanes"] == "1"
    assert main(["estimate", str(tiny_artifact), "--arch", "butterfly", "--pipeline", "0", "--target", "ice40",
                 "--fast", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["source"] == "analytic" and rep["dsps"] == 0  # no DSP on the iCE40 HX
    assert rep["cycles_per_step"] == 2 and rep["set_by"] in ("input_projection", "output_head")
    assert rep["dense"]["cycles_per_step"] >= 1 and rep["luts_vs_dense"] > 0
    assert rep["bound"]["adders_per_step"] == 8 * 3


def test_synthesized_estimate_reports_yosys_figures_and_the_command(tiny_artifact, cache_dir, capsys):
    args = ["estimate", str(tiny_artifact), "--arch", "adder_tree", "--target", "ecp5", "--json",
            "--cache-dir", str(cache_dir)]
    assert main(args) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["source"] == "yosys" and rep["luts"] > 0 and rep["ffs"] > 0
    assert "synth_ecp5 -abc9 -nowidelut" in rep["command"] and rep["flags"] == ["-abc9", "-nowidelut"]
    assert rep["dense"]["source"] == "yosys" and rep["dense"]["lanes"] == 1
    assert abs(rep["analytic"]["error_vs_yosys"]) < 0.25  # a tiny design, far below the calibrated sizes
    assert main(args[:-1] + [str(cache_dir)]) == 0  # the second run comes from the cache
    again = json.loads(capsys.readouterr().out)
    assert again["cached"] and again["luts"] == rep["luts"]


@pytest.mark.parametrize("args, message", [
    (["--target", "ecp5"], "needs a MODEL artifact"),
    (["{m}", "--target", "ecp5"], "needs --arch"),
    (["{m}", "--arch", "sdf", "--target", "ecp5", "--fast", "--pnr"], "cannot be combined with --fast"),
    (["{m}", "--arch", "sdf", "--target", "xilinx", "--pnr"], "--pnr is available for ice40 and ecp5"),
    (["{m}", "--arch", "butterfly", "--lanes", "2", "--target", "ecp5", "--fast"], "lanes must be 1"),
    (["{m}", "--target", "ecp5", "--calibrate"], "--calibrate takes no MODEL"),
    (["{m}", "--arch", "sdf", "--target", "ecp5", "--reuse-unchanged"], "--reuse-unchanged goes with --calibrate"),
    (["{m}", "--arch", "sdf", "--target", "stratix"], "invalid choice"),
    (["{m}", "--arch", "sdf"], "required: --target"),
    (["nothere.hrnn.npz", "--arch", "sdf", "--target", "ecp5"], "no such file"),
])
def test_misuse_is_one_line_and_exit_2(tiny_artifact, args, message):
    r = cli("estimate", *[a.replace("{m}", str(tiny_artifact)) for a in args])
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_sweep_misuse(tmp_path):
    r = cli("sweep", "--hidden", "16", "--block", "32", "--arch", "sdf", "--fast", "-o", tmp_path / "s")
    assert r.returncode == 2 and "no valid configuration" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli("sweep", "--arch", "systolic", "-o", tmp_path / "s")
    assert r.returncode == 2 and "architectures must be among" in r.stderr


@pytest.mark.parametrize("target,extra,hardware", [
    ("ecp5", [], "sdf-l1-p1-ccu2c"),  # the target's own add/subtract form
    ("ice40", [], "sdf-l1-p1"),
    ("ecp5", ["--addsub", "generic"], "sdf-l1-p1"),  # unless asked otherwise
])
def test_the_sdf_takes_the_targets_add_sub_form(tiny_artifact, capsys, target, extra, hardware):
    assert main(["estimate", str(tiny_artifact), "--arch", "sdf", "--target", target, "--fast", "--json",
                 "--no-baseline", *extra]) == 0
    assert json.loads(capsys.readouterr().out)["hardware"] == hardware
