"""Mutation tests: a deliberately corrupted copy of a generated design must fail the testbench.

The three defects of the issue, each applied where it is observable (see tests/sim/mutations.py):
one sign constant flipped (in the model the design is generated from, every architecture;
and one add of the butterfly turned into a subtract in the Verilog text); one pipeline
register removed (a register of an adder tree whose input changes every cycle: a butterfly
stage register holds a value that is stable for the whole step, so removing it is an
equivalent mutant no testbench can see); the saturation removed (comparisons with the
state bounds replaced by false, with inputs driven to their extremes so the state clamps).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hadam_hw.golden import run_golden
from sim.verify import design_dir, generate, simulate

from . import mutations
from .conftest import need
from .designs import case, design_root, params

# small, so Icarus runs each in seconds; every_step + h: every step is compared
SAT = dict(output="every_step", state_bits=8)


def _mutant(tmp_path: Path, clean: Path, mutate) -> Path:
    """Copy the clean design to ``tmp_path`` and apply ``mutate(text) -> (text, n)``."""
    man = json.loads((clean / "manifest.json").read_text())
    out = tmp_path / "mutant"
    shutil.copytree(clean, out)
    v = out / man["verilog"]
    text, n = mutate(v.read_text())
    assert n >= 1
    v.write_text(text)
    return out / "manifest.json"


def _run(c, manifest, tmp_path, simulator="icarus", **kw):
    need(simulator)
    return simulate(manifest, c.model, simulator=simulator, sequences=3, seq_len=30, seed=2,
                    build_dir=tmp_path / "sim", hw_tag=c.hw.tag, **kw)


def _clean(c, tmp_path_factory) -> Path:
    d = design_dir(c.model, c.hw, design_root(tmp_path_factory)) / "rtl"
    generate(c.model, c.hw, d)
    return d


def _assert_caught(r, kinds=("mismatch",)):
    assert not r.passed, "the mutant passed: the testbench is blind to this defect\n" + r.summary()
    f = r.failures[0]
    assert f["kind"] in kinds, r.summary()
    if f["kind"] == "mismatch":
        assert f["step"] is not None and f["expected"] != f["got"]


SIGN_CASES = [
    case(16, 16, 3, 2, arch="butterfly", expose_state=True, output="every_step"),
    case(16, 4, 3, 2, arch="adder_tree", lanes=4, pipeline=1, expose_state=True, output="every_step"),
    case(16, 8, 3, 2, arch="sdf", lanes=2, expose_state=True, output="every_step"),
    case(16, 16, 3, 2, arch="dense", lanes=4, expose_state=True, output="every_step"),
]


@pytest.mark.parametrize("c", params(SIGN_CASES[:2]) + params(SIGN_CASES[2:], pytest.mark.slow))
def test_one_sign_flipped_in_the_model_is_caught(c, tmp_path):
    i = c.model.config.hidden // 2 + 1
    mutant = mutations.flip_model_sign(c.model, i)
    mdir = tmp_path / "mutant"
    generate(mutant, c.hw, mdir)
    r = _run(c, mdir / "manifest.json", tmp_path)
    _assert_caught(r)
    assert r.failures[0]["stream"] == "h" and r.failures[0]["lane"] == i  # the flipped row, named


def test_one_butterfly_add_flipped_in_the_verilog_is_caught(tmp_path, tmp_path_factory):
    c = SIGN_CASES[0]
    man = _mutant(tmp_path, _clean(c, tmp_path_factory), lambda t: mutations.flip_butterfly_add(t, lane=0))
    _assert_caught(_run(c, man, tmp_path))


REG_CASES = [
    case(16, 16, 3, 2, arch="adder_tree", lanes=2, pipeline=1, expose_state=True, output="every_step"),
    case(16, 16, 3, 2, arch="dense", lanes=2, pipeline=1, expose_state=True, output="every_step"),
]


@pytest.mark.parametrize("c", params(REG_CASES[:1]) + params(REG_CASES[1:], pytest.mark.slow))
def test_one_pipeline_register_removed_is_caught(c, tmp_path, tmp_path_factory):
    clean = _clean(c, tmp_path_factory)
    text = (clean / f"{c.hw.top}.v").read_text()
    regs = [r for r in mutations.find_pipeline_registers(text) if r.startswith("t0_r")]
    assert regs, "no adder-tree pipeline register found"
    # the root-most register of tree 0 holds that row's whole sum, different for every row;
    # a first-level register may add two leaves whose signs agree on every row of the tree
    # (e.g. leaves 0 and 1 on even rows), a value stable over the step: an equivalent mutant
    reg = max(regs, key=lambda r: (int(r.split("_r")[1].split("_")[0]), r))
    man = _mutant(tmp_path, clean, lambda t: mutations.remove_register(t, reg))
    _assert_caught(_run(c, man, tmp_path), kinds=("mismatch", "latency", "throughput"))


SAT_CASES = [
    case(16, 16, 3, 2, arch="butterfly", expose_state=True, **SAT),
    case(16, 4, 3, 2, arch="adder_tree", lanes=4, expose_state=True, **SAT),
]


@pytest.mark.parametrize("c", params(SAT_CASES[:1]) + params(SAT_CASES[1:], pytest.mark.slow))
def test_saturation_removed_is_caught(c, tmp_path, tmp_path_factory):
    # the plan's extremes row must really drive the state to its bounds, or this proves nothing
    from sim.stimulus import draw_inputs

    x = draw_inputs(c.model, 1, 30, np.random.default_rng(0), extremes=True)
    h = run_golden(c.model, x).h
    lo, hi = c.model.config.h_range
    assert ((h == lo) | (h == hi)).any(), "the extremes do not saturate this model"
    sb = c.model.config.state_bits
    man = _mutant(tmp_path, _clean(c, tmp_path_factory), lambda t: mutations.remove_saturation(t, sb))
    r = _run(c, man, tmp_path)
    _assert_caught(r)
    assert r.failures[0]["expected"] in (lo, hi)  # the first wrong value is a clamped one


def test_mutations_refuse_to_be_silent_no_ops():
    with pytest.raises(mutations.MutationError):
        mutations.remove_saturation("module m; endmodule", 12)
    with pytest.raises(mutations.MutationError):
        mutations.remove_register("module m; endmodule", "t0_r1_0")
    with pytest.raises(mutations.MutationError):
        mutations.flip_butterfly_add("module m; endmodule")
