"""Interleaved sequences (SPEC §4.1) through the cocotb testbench: several sequences in random
order under stalls, back-pressure and resets, each checked against the golden model per id;
the hidden-128 SDF's aggregate cycles per step measured with one, two and four sequences."""

from __future__ import annotations

import pytest

from flow.cli import main
from hadam_hw.artifact import random_model, save_artifact
from hadam_hw.config import HardwareConfig
from sim.soak import SOAK_CONFIGS, run_soak
from sim.verify import verify

from .conftest import need
from .designs import design_root


# the registered adder_tree has a known X under Icarus, with one sequence too (tests/sim/designs.py,
# issue 11): it runs on Verilator here
@pytest.mark.parametrize("arch, c, output, h, simulator", [
    ("sdf", 2, "every_step", True, "icarus"), ("adder_tree", 4, "every_step", True, "verilator"),
    ("dense", 3, "last_step", True, "icarus")])
def test_interleaved_design_matches_golden_per_sequence(arch, c, output, h, simulator, tmp_path_factory):
    need(simulator)
    m = random_model(16, 4, 3, 2, seed=c, output=output)
    hw = HardwareConfig(arch=arch, lanes=4, interleave=c, expose_state=h)
    r = verify(m, hw, simulator=simulator, sequences=c + 1, seq_len=24, seed=2,
               build_dir=design_root(tmp_path_factory))
    assert r.passed, r.summary()
    rep = r.report
    # round-robin at full rate: every interval exactly the manifest's cycles_per_step
    assert set(rep["observed_intervals"]) == {str(rep["cycles_per_step"])}
    assert rep["segments"][0]["rows"] == c and rep["segments"][0]["steps_in"] == c * 24
    # a reset with outputs in flight (they are discarded, the rows it cut dropped); stalls interleaved
    assert r.resets >= 2 and rep["discarded_by_reset"] >= 1 and any(s["rows"] > 1 for s in rep["segments"][2:])
    # every accepted step checked, but those whose outputs a reset discarded in flight
    assert 0 <= r.steps_in - r.steps_checked <= rep["discarded_by_reset"] * (1 if h or output == "every_step" else 24)
    assert r.steps_checked >= (c + 1) * 24


@pytest.mark.parametrize("c", [1, 2, 4])
def test_hidden128_sdf_aggregate_cycles_per_step(c, tmp_path_factory, capsys):
    """The registered SDF at hidden 128 waits for its loop with one sequence (141 cycles per
    step); two or more interleaved sequences keep it full: 128 cycles per step in aggregate."""
    need("icarus")
    m = random_model(128, 128, 10, 9, seed=0)
    r = verify(m, HardwareConfig(arch="sdf", interleave=c), simulator="icarus", sequences=c, seq_len=6, seed=1,
               build_dir=design_root(tmp_path_factory), stalls=False, resets=False, extremes=False)
    assert r.passed, r.summary()
    intervals = {int(k): v for k, v in r.report["observed_intervals"].items()}
    with capsys.disabled():
        print(f"\nsdf hidden 128, interleave {c}: measured cycles per step {intervals} (aggregate over {c} sequence(s))")
    assert intervals == {141 if c == 1 else 128: 6 * c - 1}


def test_interleaved_soak_configuration_runs(tmp_path):
    need("icarus")
    cfg = [k for k in SOAK_CONFIGS if k[1].interleave > 1]
    assert cfg, "the soak has an interleaved configuration"
    res = run_soak(1500, simulator="icarus", seed=1, build_dir=tmp_path, configs=tuple(cfg))
    assert res.passed, res.summary()
    assert res.steps_checked >= 1500
    segs = res.runs[0].report["segments"]
    assert all(s["rows"] == cfg[0][1].interleave for s in segs[:-1])


def test_sim_cli_interleaved(tmp_path, capsys):
    need("icarus")
    m = random_model(16, 4, 3, 2, seed=0, output="every_step")
    path = save_artifact(m, tmp_path / "m.hrnn.npz")
    rc = main(["sim", str(path), "--arch", "sdf", "--lanes", "4", "--interleave", "2", "--simulator",
               "icarus", "--sequences", "2", "--seq-len", "10", "--build-dir", str(tmp_path / "b"), "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert out.startswith("PASS") and "sdf-l4-p1-i2" in out
    rc = main(["sim", str(path), "--arch", "butterfly", "--interleave", "2", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "not supported by the butterfly architecture" in err
