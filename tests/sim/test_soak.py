"""The soak run (marker ``soak``): at least a million checked steps, zero mismatches."""

import time

import pytest

from sim.soak import run_soak

from .conftest import need


@pytest.mark.soak
def test_soak_million_steps(tmp_path):
    need("verilator")
    t0 = time.perf_counter()
    res = run_soak(1_000_000, simulator="verilator", seed=0, build_dir=tmp_path)
    print(res.summary())
    print(f"soak wall time {time.perf_counter() - t0:.0f} s")
    assert res.passed, res.summary()
    assert res.steps_checked >= 1_000_000
    assert sum(r.resets for r in res.runs) > len(res.runs)  # resets in the middle happened
