import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadam_hw.constants import recurrence_constant, round_down_to_digits
from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import (
    FixedPoint,
    Interval,
    Rounding,
    Saturation,
    csd,
    csd_value,
    round_shift,
    signed_width,
)


@given(st.integers(-(2**40), 2**40))
def test_csd_round_trips_with_no_adjacent_digits(n):
    digits = csd(n)
    assert csd_value(digits) == n
    shifts = [k for k, _ in digits]
    assert all(b - a >= 2 for a, b in zip(shifts, shifts[1:], strict=False))
    assert all(s in (-1, 1) for _, s in digits)


@given(st.integers(1, 2**12))
def test_csd_is_minimal_against_binary(n):
    assert len(csd(n)) <= bin(n).count("1")


@given(st.integers(-(2**50), 2**50), st.integers(0, 20))
def test_round_shift_half_up_is_floor_of_half_added(z, f):
    half = 2**f // 2
    assert round_shift(z, f) == (z + half) // 2**f
    assert round_shift(np.array([z], dtype=np.int64), f)[0] == (z + half) // 2**f
    assert round_shift(z, f, Rounding.TRUNCATE) == z // 2**f


def test_round_half_up_ties_go_up_for_negatives_too():
    # -2.5 -> -2, -1.5 -> -1, 2.5 -> 3 (half up, not half away from zero)
    assert [round_shift(v, 1) for v in (-5, -3, 5)] == [-2, -1, 3]


@given(st.integers(-(2**40), 2**40), st.integers(-(2**40), 2**40))
def test_signed_width_is_smallest(a, b):
    lo, hi = min(a, b), max(a, b)
    w = signed_width(lo, hi)
    assert -(2 ** (w - 1)) <= lo and hi <= 2 ** (w - 1) - 1
    if w > 1:
        assert not (-(2 ** (w - 2)) <= lo and hi <= 2 ** (w - 2) - 1)


def test_fixed_point_saturates_and_wraps():
    sat = FixedPoint(4)
    np.testing.assert_equal(sat.quantize(np.array([-100, -8, 7, 100])), [-8, -8, 7, 7])
    wrap = FixedPoint(4, saturation=Saturation.WRAP)
    np.testing.assert_equal(wrap.quantize(np.array([8, -9, 16])), [-8, 7, 0])
    assert FixedPoint.from_json(sat.to_json()) == sat
    with pytest.raises(ConfigError, match="width"):
        FixedPoint(0)


def test_interval_arithmetic():
    a = Interval(-3, 5)
    assert (a + Interval(1, 2)) == Interval(-2, 7)
    assert a.scale(-2) == Interval(-10, 6)
    assert (-a) == Interval(-5, 3)
    assert a.magnitude == 5 and a.width == 4


def test_round_down_to_digits_matches_brute_force():
    for n in range(1, 300):
        for k in (1, 2, 3):
            best = max(v for v in range(1, n + 1) if len(csd(v)) <= k)
            assert round_down_to_digits(n, k) == best


@pytest.mark.parametrize("block", [4, 16, 64, 256])
def test_recurrence_constant_exact_for_powers_of_four(block):
    rc = recurrence_constant(block, 10)
    assert rc.exact and rc.shift_only and rc.gain == 1.0


@pytest.mark.parametrize("block", [2, 8, 32, 128, 512])
def test_recurrence_constant_rounds_down_for_odd_log2(block):
    rc = recurrence_constant(block, 12)
    assert not rc.exact and rc.gain < 1.0
    assert (rc.A + 1) ** 2 * block > 2**24  # A is the floor: one more would exceed 2^F/sqrt(b)
    few = recurrence_constant(block, 12, max_digits=2)
    assert few.digits <= 2 and few.A <= rc.A and few.gain < rc.gain
