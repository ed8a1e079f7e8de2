"""Stimulus, plans and pause patterns (no simulator)."""

import itertools

import numpy as np
import pytest

from hadam_hw.artifact import random_model
from hadam_hw.golden import run_golden
from hadam_hw.manifest import load_manifest
from sim.inserters import bursty_pauses
from sim.soak import soak_plan
from sim.stimulus import Plan, Segment, draw_inputs, read_plan, sequence_flags, write_plan
from sim.verify import check_plan

from .standin_dut import write_standin


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.8])
def test_pauses_have_the_asked_frequency_and_are_seeded(p):
    a = list(itertools.islice(bursty_pauses(p, seed=3), 20000))
    b = list(itertools.islice(bursty_pauses(p, seed=3), 20000))
    assert a == b
    assert abs(sum(a) / len(a) - p) < 0.03


def test_extremes_hit_both_ends_and_saturate_the_state():
    m = random_model(16, 16, 3, 2, seed=0, state_bits=8)
    x = draw_inputs(m, 2, 60, np.random.default_rng(0), extremes=True)
    lo, hi = m.config.x_range
    assert set(np.unique(x)) == {lo, hi}
    h = run_golden(m, x).h
    assert (h == m.config.h_range[0]).any() and (h == m.config.h_range[1]).any()


def test_sequence_flags_pair_up():
    first, last = sequence_flags(4, 50, np.random.default_rng(1), max_len=7)
    for f, la in zip(first, last, strict=True):
        starts, ends = np.nonzero(f)[0], np.nonzero(la)[0]
        assert starts[0] == 0 and ends[-1] == 49 and len(starts) == len(ends)
        assert (starts[1:] == ends[:-1] + 1).all()


def test_plan_round_trips_and_timing_refuses_stalls(tmp_path):
    plan = Plan(manifest="m.json", stimulus="s.npz", report="r.json", seed=4,
                segments=[Segment("a", [0, 1], timing=True), Segment("b", [2], idle=0.3,
                                                                    resets=[{"row": 2, "step": 5}])])
    assert read_plan(write_plan(plan, tmp_path / "p.json")) == plan
    with pytest.raises(ValueError, match="full throughput"):
        Segment("c", [0], timing=True, idle=0.1)


def test_default_checks_and_soak_plan_cover_what_the_issue_asks(tmp_path):
    m = random_model(8, 8, 2, 2, seed=0)
    man = load_manifest(write_standin(m, tmp_path))
    x, first, last, segs = check_plan(m, man, sequences=4, seq_len=20, seed=0)
    names = [s.name for s in segs]
    assert names[0] == "full-throughput" and segs[0].timing and len(segs[0].rows) == 3  # back to back
    assert any(s.resets for s in segs) and any(s.backpressure for s in segs) and any(s.idle for s in segs)
    assert x.shape[0] == 4 + 1 + 3
    x, first, last, segs = soak_plan(m, man, 20_000, np.random.default_rng(0))
    assert first.size >= 20_000 and first.sum() > 100  # many sequences, back to back in rows
    assert any(s.timing for s in segs) and sum(len(s.resets) for s in segs) > 0
