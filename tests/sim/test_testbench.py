"""The testbench against a plain stand-in design: it passes a correct design and catches
each planted defect with the right kind of report (independent of rtl_gen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadam_hw.artifact import random_model
from sim.verify import simulate

from .conftest import need
from .standin_dut import write_standin

SMALL = dict(hidden=8, block=4, n_in=3, n_out=2)


def _run(tmp_path: Path, bug=None, simulator="icarus", expose_state=True, **model_kw):
    need(simulator)
    kw = {**SMALL, **model_kw}
    m = random_model(kw.pop("hidden"), kw.pop("block"), kw.pop("n_in"), kw.pop("n_out"), seed=7, **kw)
    mp = write_standin(m, tmp_path / "rtl", bug=bug, expose_state=expose_state)
    return simulate(mp, m, simulator=simulator, sequences=4, seq_len=40, seed=1, build_dir=tmp_path)


@pytest.mark.parametrize("output, expose_state, input_mode", [
    ("every_step", True, "dense"),
    ("last_step", False, "dense"),
    ("every_step", False, "onehot"),
], ids=["all-h", "last", "onehot-all"])
def test_correct_design_passes(tmp_path, output, expose_state, input_mode):
    r = _run(tmp_path, output=output, expose_state=expose_state, input_mode=input_mode)
    assert r.passed, r.summary()
    assert r.resets == 3  # the initial one and the two of the reset segment
    # only the sequences cut by the resets may have steps whose outputs never came out
    assert 0 <= r.steps_in - r.steps_checked <= 80 and r.steps_checked > 200
    assert r.report["discarded_by_reset"] >= 1  # an output really was in flight at a reset
    if output == "every_step":
        assert r.checked["y"] == r.steps_checked
    assert r.report["observed_intervals"] == {"1": r.report["segments"][0]["steps_in"] - 1}


@pytest.mark.parametrize("bug, kind", [
    ("sign", "mismatch"),
    ("saturation", "mismatch"),
    ("drop_first", "mismatch"),
    ("stall_ready", "throughput"),
    ("x_on_reset", "x_value"),
])
def test_planted_defect_is_caught(tmp_path, bug, kind):
    r = _run(tmp_path, bug=bug)
    assert not r.passed
    first = r.failures[0]
    assert first["kind"] == kind, r.summary()
    assert f"cycle {first['cycle']}" in first["message"]
    if kind == "mismatch":
        assert first["lane"] is not None and first["expected"] != first["got"]


def test_waveform_is_written_where_the_report_says(tmp_path):
    need("icarus")
    m = random_model(8, 4, 3, 2, seed=7, output="every_step")
    mp = write_standin(m, tmp_path / "rtl", bug="sign")
    r = simulate(mp, m, simulator="icarus", sequences=1, seq_len=10, seed=1, waves=True, build_dir=tmp_path)
    assert not r.passed and r.waves and Path(r.waves).is_file()
    assert r.waves in r.first_failure


def test_verilator_runs_the_same_testbench(tmp_path):
    r = _run(tmp_path, simulator="verilator", output="every_step")
    assert r.passed, r.summary()
