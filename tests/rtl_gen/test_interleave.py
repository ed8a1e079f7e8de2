"""Interleaved sequences (SPEC §4.1) in the whole cell, in the Amaranth simulator, against the
golden model of interleaved traffic: values per sequence, ids, and the exact timing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from rtl_gen import render
from rtl_gen.cell import HadamRNNCell
from rtl_gen.lint import verilator_lint
from tests.support.amaranth_sim import run_cell_interleaved

from .test_writer import _port_width, check_manifest

# (model: hidden, block, n_in, n_out, input mode, output), (arch, lanes, expose_state), interleave
CASES = [
    ((16, 16, 3, 2, "dense", "every_step"), ("sdf", 2, True), c) for c in (1, 2, 4)  # x handed off
] + [
    ((32, 32, 3, 2, "onehot", "last_step"), ("sdf", 4, False), 2),  # P = ceil(loop / 2) > G, token handed off
    ((16, 4, 3, 2, "dense", "every_step"), ("adder_tree", 4, True), 1),
    ((16, 4, 3, 2, "dense", "every_step"), ("adder_tree", 4, True), 2),
    ((16, 4, 3, 2, "dense", "every_step"), ("adder_tree", 4, True), 4),
    ((16, 8, 3, 2, "onehot", "every_step"), ("adder_tree", 2, True), 3),  # C not a power of two
    ((16, 16, 3, 2, "dense", "last_step"), ("dense", 4, False), 2),
    ((16, 16, 3, 2, "dense", "every_step"), ("dense", 4, True), 4),
]


def _cell(model_kw, hw_kw, c):
    d, b, n_in, n_out, mode, out = model_kw
    arch, lanes, h = hw_kw
    m = random_model(d, b, n_in, n_out, seed=d + b + c, input_mode=mode, output=out)
    return HadamRNNCell(m, HardwareConfig(arch=arch, lanes=lanes, expose_state=h, interleave=c))


def _inputs(model, n, rng):
    lo, hi = model.config.x_range
    return rng.integers(lo, hi + 1, size=(n,) if model.onehot else (n, model.config.n_in))


def _id(case):
    (d, b, *_rest, mode, out), (arch, lanes, h), c = case
    return f"{arch}-d{d}b{b}l{lanes}-{mode}-{out}{'-h' if h else ''}-i{c}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_round_robin_at_full_rate_is_exact(case):
    """C sequences offered round-robin, every ready high: inputs exactly cycles_per_step apart,
    every output exactly latency_cycles after its input, values and ids the golden model's."""
    cell = _cell(*case)
    S, c = cell.schedule, case[2]
    rng = np.random.default_rng(1)
    ids = np.tile(np.arange(c), 7)
    run, g = run_cell_interleaved(cell, ids, _inputs(cell.model, len(ids), rng))
    assert set(np.diff(run.accept_cycles).tolist()) == {S.cycles_per_step}
    steps = np.nonzero(g.y_valid)[0]
    lat = np.array(run.y_cycles) - np.array(run.accept_cycles)[steps]
    assert set(lat.tolist()) == {S.latency_cycles}
    assert run.y_id == g.id[steps].tolist()  # the pipeline keeps arrival order
    if cell.hw.expose_state:
        assert set((np.array(run.h_cycles) - np.array(run.accept_cycles)).tolist()) == {S.latency_cycles_h}
    assert S.cycles_per_step == max(S.groups, -(-S.loop_cycles // c))


@pytest.mark.parametrize("case", CASES[1:3] + CASES[5:8] + CASES[9:], ids=[_id(c) for c in CASES[1:3] + CASES[5:8]
                                                                             + CASES[9:]])
def test_any_order_with_stalls_and_back_pressure(case):
    """Random order of sequences (runs of one sequence included), sequences restarting with
    first, random valid gaps and ready back-pressure: each sequence's outputs exactly in order."""
    cell = _cell(*case)
    c = case[2]
    rng = np.random.default_rng(7)
    n = 60
    ids = rng.integers(0, c, size=n)
    first = rng.random(n) < 0.1
    last = rng.random(n) < 0.25
    run_cell_interleaved(cell, ids, _inputs(cell.model, n, rng), first, last, gap=0.3, ready=0.6, seed=3)


@pytest.mark.parametrize("case", [CASES[1], CASES[5], CASES[9]], ids=[_id(c) for c in (CASES[1], CASES[5], CASES[9])])
def test_one_sequence_waits_for_its_own_loop(case):
    """Steps of one sequence back to back: each waits for the previous one's loop, whatever C."""
    cell = _cell(*case)
    S = cell.schedule
    ids = np.zeros(6, dtype=np.int64)
    run, _ = run_cell_interleaved(cell, ids, _inputs(cell.model, 6, np.random.default_rng(2)))
    assert set(np.diff(run.accept_cycles).tolist()) == {S.loop_cycles}


@pytest.mark.parametrize("arch", ["sdf", "adder_tree", "dense"])
def test_id_ports_match_the_manifest(arch, tmp_path):
    m = random_model(16, 4, 3, 2, seed=0, output="every_step")
    hw = HardwareConfig(arch=arch, lanes=4, expose_state=True, interleave=3)
    text, man = render(m, hw)
    check_manifest(man, text)
    for name, st in man["streams"].items():
        f = st["fields"]["id"]
        assert f == {"offset": st["width"] - 2, "width": 2}
        assert _port_width(text, "input" if name == "x" else "output", st["payload"]) == st["width"]
    assert man["interleave"] == 3 and man["cycles_per_step"] == 4 and man["loop_cycles"] > 4
    (tmp_path / "hadamrnn.v").write_text(text)
    verilator_lint(tmp_path / "hadamrnn.v", top=man["top"])



def test_generate_cli_interleave(tmp_path, capsys):
    from flow.cli import main
    from hadam_hw.artifact import save_artifact

    path = save_artifact(random_model(16, 4, 3, 2, seed=0), tmp_path / "m.hrnn.npz")
    assert main(["generate", str(path), "--arch", "adder_tree", "--lanes", "4", "--interleave", "2",
                 "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "aggregate over 2 interleaved sequences" in out and "-i2)" in out
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert man["interleave"] == 2 and man["streams"]["x"]["fields"]["id"]["width"] == 1
    assert main(["generate", str(path), "--arch", "butterfly", "--interleave", "2", "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not supported by the butterfly architecture" in err[0]
    assert not (tmp_path / "b").exists()
