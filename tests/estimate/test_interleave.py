"""The analytic resource model of interleaved designs (SPEC §4.1): C states, the id in every
event, the per-sequence loop counters; the timing figures the manifest's."""

from __future__ import annotations

import pytest

from estimate.model import predict
from estimate.resources import resources
from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig


@pytest.mark.parametrize("arch", ["adder_tree", "dense"])
def test_state_registers_are_counted_per_sequence(arch):
    m = random_model(16, 4, 3, 2, seed=0)
    one = resources(m, HardwareConfig(arch=arch, lanes=4)).by_part()
    for c in (2, 4):
        many = resources(m, HardwareConfig(arch=arch, lanes=4, interleave=c)).by_part()
        extra = many["recurrence"]["ff"] - one["recurrence"]["ff"]
        assert extra >= (c - 1) * 16 * 12  # one hidden × state_bits register per further sequence
        assert many["recurrence"]["mux"] >= one["recurrence"]["mux"] + (c - 1) * 16 * 12
        assert many["control"]["ff"] > one["control"]["ff"]  # ids in the events, loop counters


def test_sdf_state_memory_holds_every_sequence():
    m = random_model(16, 16, 3, 2, seed=0)
    for c in (1, 2, 4):
        r = resources(m, HardwareConfig(arch="sdf", lanes=2, interleave=c))
        rec = next(x for x in r.components if x.part == "recurrence")
        assert f"state memory {8 * c}×24" in rec.formula


def test_interleaved_estimate_timing_is_the_schedules():
    m = random_model(128, 128, 10, 9, seed=0)
    est = predict(m, HardwareConfig(arch="sdf", interleave=2), "ecp5")
    assert est.cycles_per_step == 128 and est.latency_cycles == 273
