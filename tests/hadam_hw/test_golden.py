from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadam_hw.artifact import random_model
from hadam_hw.config import OutputMode
from hadam_hw.errors import HadamHWError, WidthError
from hadam_hw.golden import run_golden, run_reference
from hadam_hw.model import HadamModel
from hadam_hw.widths import check_int64, derive_widths

from .strategies import models, random_inputs


def assert_streams_equal(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    if not np.array_equal(got, want):
        t, lane = (int(i) for i in np.argwhere(got != want)[0])
        raise AssertionError(f"{what}: first mismatch at step {t}, lane {lane}: got {got[t, lane]}, expected {want[t, lane]}")


def random_first(rng, T):
    first = rng.random(T) < 0.2
    first[0] = True
    return first


@given(models(), st.integers(1, 12), st.integers(0, 2**31), st.booleans())
def test_fast_path_equals_the_definition(model, T, seed, extreme):
    """run_golden (FWHT, vectorized) == SPEC §2 literally (explicit I⊗S_b, Python ints)."""
    rng = np.random.default_rng(seed)
    x = random_inputs(model, 2, T, seed, extreme=extreme)
    first = np.stack([random_first(rng, T) for _ in range(2)])
    res = run_golden(model, x, first)
    for b in range(2):
        hs, ys = run_reference(model, x[b], first[b])
        assert_streams_equal(res.h[b], hs, f"h of sequence {b}")
        assert_streams_equal(res.y[b], ys, f"y of sequence {b}")


@given(models(saturating=True), st.integers(0, 2**31))
def test_saturation_heavy_models_stay_in_range_and_match(model, seed):
    x = random_inputs(model, 1, 8, seed, extreme=True)
    res = run_golden(model, x)
    lo, hi = model.config.h_range
    assert res.h.min() >= lo and res.h.max() <= hi
    hs, ys = run_reference(model, x[0])
    assert_streams_equal(res.h[0], hs, "h")
    assert_streams_equal(res.y[0], ys, "y")


@given(models(), st.integers(0, 2**31))
def test_values_stay_inside_derived_intervals(model, seed):
    w = derive_widths(model)
    res = run_golden(model, random_inputs(model, 3, 10, seed, extreme=True))
    for name, arr in (("h", res.h), ("y", res.y)):
        iv = w.intervals[name]
        assert iv.lo <= arr.min() and arr.max() <= iv.hi, name


def test_first_resets_state_like_a_fresh_sequence():
    m = random_model(16, 4, 3, 2, seed=3)
    x = random_inputs(m, 1, 12, seed=1)
    first = np.zeros((1, 12), dtype=bool)
    first[0, [0, 5]] = True
    joint = run_golden(m, x, first)
    alone = run_golden(m, x[:, 5:])
    np.testing.assert_equal(joint.h[:, 5:], alone.h)
    np.testing.assert_equal(joint.y[:, 5:], alone.y)


def test_batch_rows_are_independent():
    m = random_model(32, 8, 4, 3, seed=5)
    x = random_inputs(m, 4, 9, seed=2)
    res = run_golden(m, x)
    for b in range(4):
        np.testing.assert_equal(run_golden(m, x[b]).h[0], res.h[b])


def test_output_modes_mark_emitted_steps():
    base = random_model(8, 8, 2, 2, seed=0)
    every = HadamModel(replace(base.config, output=OutputMode.EVERY_STEP), base.sign, base.U, base.C, base.V, base.c)
    x = random_inputs(base, 2, 6, seed=0)
    last = np.zeros((2, 6), dtype=bool)
    last[:, [2, 5]] = True
    assert run_golden(every, x, last=last).y_valid.all()
    r = run_golden(base, x, last=last)
    np.testing.assert_equal(r.y_valid, last)
    assert [(b, t) for b, t, _ in r.y_stream()] == [(0, 2), (0, 5), (1, 2), (1, 5)]


def test_onehot_reads_the_column_of_the_token():
    m = random_model(8, 8, 5, 2, input_mode="onehot", seed=0)
    tokens = np.array([[3]])
    r = run_golden(m, tokens)
    cfg = m.config
    z = cfg.B * m.U[:, 3].astype(np.int64) + m.C + (1 << cfg.frac_bits) // 2
    np.testing.assert_equal(r.h[0, 0], np.clip(z >> cfg.frac_bits, *cfg.h_range))


@pytest.mark.parametrize(
    "x,msg",
    [
        (np.zeros((2, 3, 5), dtype=np.int64), r"inputs must have shape \(batch, T, 4\)"),
        (np.full((1, 2, 4), 128), r"x\[0, 0, 0\] = 128 is outside the 8-bit signed input range \[-128, 127\]"),
        (np.zeros((1, 2, 4)), "inputs must be integers"),
        (np.zeros((1, 0, 4), dtype=int), "no time steps"),
    ],
)
def test_bad_inputs_are_refused_with_a_message(x, msg):
    m = random_model(8, 8, 4, 2, seed=0)
    with pytest.raises(HadamHWError, match=msg):
        run_golden(m, x)


def test_bad_token_is_refused():
    m = random_model(8, 8, 5, 2, input_mode="onehot", seed=0)
    with pytest.raises(HadamHWError, match=r"x\[0, 1\] = 5 is outside the token id range \[0, 4\]"):
        run_golden(m, np.array([[0, 5]]))


def test_int64_overflow_is_refused_before_running():
    m = random_model(1024, 1024, 4, 2, state_bits=32, frac_bits=30, seed=0)
    cfg = replace(m.config, A=2**30, B=2**40)
    big = HadamModel(cfg, m.sign, m.U, m.C, m.V, m.c)
    with pytest.raises(WidthError, match="beyond int64"):
        check_int64(big)
    with pytest.raises(WidthError):
        run_golden(big, np.zeros((1, 1, 4), dtype=int))


def test_widths_of_a_known_configuration():
    m = random_model(128, 16, 10, 9, state_bits=12, seed=0)
    w = derive_widths(m)
    # r = S_16 h with 12-bit h: |r| <= 16 * 2048 -> 12 + log2(16) bits exactly
    assert w.width("r") == 16 and w.width("h") == 12 and w.width("relu") == 11
    assert w.intervals["r"].lo == -16 * 2048 and w.intervals["r"].hi == 16 * 2048 - 8
