"""The schedule (cycles per step, latencies, what sets them) and the configuration checks."""

from __future__ import annotations

import pytest

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from hadam_hw.errors import ConfigError
from hadam_hw.schedule import STATE_READ_LATENCY, check_hardware, make_schedule


@pytest.fixture(scope="module")
def m16():
    return random_model(16, 4, 3, 2, seed=0)


def test_adder_tree_schedule(m16):
    s = make_schedule(m16, HardwareConfig(arch="adder_tree", lanes=2, pipeline=0))
    # 8 row groups, combinational tree: one group per cycle, state updated with the last group
    assert (s.cycles_per_step, s.latency_cycles, s.set_by) == (8, 9, "recurrence")
    s = make_schedule(m16, HardwareConfig(arch="adder_tree", lanes=2, pipeline=1))
    # the registered design: log2(4) + 1 = 3 adder levels, a register after each; the final add
    # (A = 2^11: r and w in one registered add, then the clamp register) takes 2; the state
    # register is rewritten after the last of 8 row groups: 3 + 2 + 8 cycles per step
    assert s.registered and (s.rec_latency, s.final_latency) == (3, 2)
    assert (s.cycles_per_step, s.set_by, s.latency_cycles) == (13, "recurrence", 22)
    # the head: 2 lanes × 4 weight bits = 8 gated rows, 3 registered levels, then the accumulator
    assert s.head_latency == 4 and s.y_push_offset == s.head_offset + 4 + 8 - 1


def test_sdf_schedule(m16):
    s = make_schedule(m16, HardwareConfig(arch="sdf", lanes=1, pipeline=0))
    # b - 1 = 3 cycles of delay lines; the state memory is rewritten before the next step reads it
    assert (s.rec_latency, s.cycles_per_step, s.latency_cycles) == (3, 16, 20)
    big = random_model(16, 16, 3, 2, seed=0)
    s = make_schedule(big, HardwareConfig(arch="sdf", lanes=1, pipeline=1))
    # registered: 15 delay cycles + 4 stage registers, the final add (2), and the state memory
    # read two cycles ahead (read register, zeroing register), written strictly before the next
    # read: the loop (19 + 2 + 2 + 1 = 24 cycles) is longer than the 16 elements
    assert (s.rec_latency, s.final_latency, s.cycles_per_step) == (19, 2, 24)
    assert s.table_latency == 2  # the tables: two registered stages in logic


@pytest.mark.parametrize("arch", ["sdf", "adder_tree", "dense"])
@pytest.mark.parametrize("mode", ["dense", "onehot"])
def test_registered_schedule_is_consistent(arch, mode):
    """In the registered design the projection's w meets r at the final add, and the state
    loop closes inside a step (SDF: the write comes before the next step's read address)."""
    for args in [(16, 4, 3, 2), (32, 32, 5, 3), (16, 16, 4, 2)]:
        m = random_model(*args, input_mode=mode, seed=1)
        for lanes, k in ((1, 1), (2, 2), (4, 3)):
            s = make_schedule(m, HardwareConfig(arch=arch, lanes=lanes, pipeline=k))
            assert s.registered
            assert s.final_offset == s.read_offset + s.rec_latency == s.proj_offset + s.proj_latency
            assert s.head_offset == s.final_offset + s.final_latency
            assert s.cycles_per_step >= s.groups
            if arch == "sdf":
                assert s.cycles_per_step + s.read_offset - STATE_READ_LATENCY > s.head_offset
            else:
                assert s.cycles_per_step + s.read_offset >= s.head_offset + s.groups


def test_butterfly_schedule_names_the_bottleneck(m16):
    s = make_schedule(m16, HardwareConfig(arch="butterfly", pipeline=0))
    assert s.parts == {"recurrence": 1, "input_projection": 3, "output_head": 2}
    assert (s.cycles_per_step, s.set_by, s.latency_cycles) == (3, "input_projection", 7)
    wide_out = random_model(16, 16, 1, 10, seed=0)
    s = make_schedule(wide_out, HardwareConfig(arch="butterfly", pipeline=0))
    assert (s.cycles_per_step, s.set_by) == (10, "output_head")
    onehot = random_model(16, 16, 5, 1, input_mode="onehot", seed=0)
    s = make_schedule(onehot, HardwareConfig(arch="butterfly", pipeline=2))
    assert (s.cycles_per_step, s.set_by) == (3, "recurrence")


@pytest.mark.parametrize("arch,lanes,pipeline,message", [
    ("adder_tree", 3, 0, "lanes must divide the hidden size 16, not 3"),
    ("sdf", 32, 0, "lanes must divide the hidden size 16, not 32"),
    ("butterfly", 2, 0, "lanes must be 1 for the butterfly architecture"),
    ("dense", 1, 65, "pipeline must be at most 64"),
], ids=["lanes-not-dividing", "lanes-too-many", "butterfly-lanes", "pipeline-too-deep"])
def test_bad_hardware_is_refused_in_one_sentence(m16, arch, lanes, pipeline, message):
    with pytest.raises(ConfigError) as e:
        check_hardware(m16, HardwareConfig(arch=arch, lanes=lanes, pipeline=pipeline))
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_unknown_arch_is_refused():
    with pytest.raises(ConfigError, match="arch must be one of"):
        HardwareConfig(arch="systolic")


def test_too_wide_state_stream_is_refused():
    m = random_model(4096, 64, 2, 2, state_bits=20, frac_bits=12, seed=0)
    with pytest.raises(ConfigError, match="h stream payload would be"):
        check_hardware(m, HardwareConfig(arch="sdf", expose_state=True))
