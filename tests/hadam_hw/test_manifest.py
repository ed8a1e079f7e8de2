"""Payload packing and manifest validation (no simulator)."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadam_hw.artifact import random_model
from hadam_hw.manifest import FieldSpec, ManifestError, StreamSpec, load_manifest
from tests.sim.standin_dut import write_standin


def _x_stream(lanes: int, width: int, signed: bool) -> StreamSpec:
    data = FieldSpec("data", 0, lanes * width, lanes, width, signed)
    return StreamSpec("x", "x_valid", "x_ready", "x_payload", lanes * width + 2, {
        "data": data,
        "first": FieldSpec("first", lanes * width, 1),
        "last": FieldSpec("last", lanes * width + 1, 1),
    })


@given(st.integers(1, 12), st.integers(2, 40), st.booleans(), st.integers(0, 2**32 - 1))
def test_pack_rows_matches_pack_and_unpack(lanes, width, signed, seed):
    s = _x_stream(lanes, width, signed)
    lo, hi = s.data.lane_range
    rng = np.random.default_rng(seed)
    n = 7
    data = rng.integers(lo, hi, size=(n, lanes), endpoint=True)
    data[0] = lo  # the extremes pack too
    data[1] = hi
    first, last = rng.integers(0, 2, n), rng.integers(0, 2, n)
    packed = s.pack_rows(data=data, first=first, last=last)
    for i in range(n):
        assert packed[i] == s.pack(data=data[i], first=first[i], last=last[i])
        u = s.unpack(packed[i])
        assert u["data"] == data[i].tolist() and u["first"] == first[i] and u["last"] == last[i]
        assert packed[i] < 1 << s.width


def test_lane_zero_is_least_significant():
    s = _x_stream(3, 8, True)
    assert s.pack(data=[1, 0, -1], first=1, last=0) == (0xFF << 16) | 1 | (1 << 24)


def test_out_of_range_value_is_named():
    s = _x_stream(2, 4, True)
    with pytest.raises(ManifestError, match="lane 1: 8 .* does not fit 4 signed bits"):
        s.pack_rows(data=np.array([[0, 8]]))


def test_standin_manifest_loads_and_checks_model(tmp_path):
    m = random_model(8, 8, 3, 2, seed=0)
    man = load_manifest(write_standin(m, tmp_path))
    man.check_model(m)
    assert man.cycles_per_step == 1 and man.latency("y") == 1 and man.has_state
    other = random_model(8, 8, 4, 2, seed=0)
    with pytest.raises(ManifestError, match="x data has 3 lanes, the model needs 4"):
        man.check_model(other)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(format="hrnn-rtl/0"), "format must be 'hrnn-rtl/1'"),
    (lambda d: d.pop("cycles_per_step"), "missing key 'cycles_per_step'"),
    (lambda d: d["streams"]["x"]["fields"]["last"].update(offset=0), "overlaps field 'data'"),
    (lambda d: d["streams"]["y"]["fields"]["last"].update(offset=10_000), "outside the"),
    (lambda d: d.update(verilog="nowhere.v"), "does not exist"),
])
def test_bad_manifest_is_refused_with_one_clear_message(tmp_path, edit, message):
    m = random_model(8, 8, 3, 2, seed=0)
    path = write_standin(m, tmp_path)
    d = json.loads(path.read_text())
    edit(d)
    path.write_text(json.dumps(d))
    with pytest.raises(ManifestError, match=message):
        load_manifest(path)


def test_stream_specs_are_what_the_generator_writes_and_the_reader_reads(tmp_path):
    """One home: the kernel's derivation, the written manifest and the reader agree."""
    from hadam_hw.artifact import random_model
    from hadam_hw.config import HardwareConfig
    from hadam_hw.manifest import stream_specs
    from hadam_hw.schedule import make_schedule
    from rtl_gen import generate

    for model, hw in ((random_model(16, 8, 3, 2, seed=1), HardwareConfig(arch="adder_tree", expose_state=True)),
                      (random_model(16, 16, 5, 3, input_mode="onehot", output="every_step", seed=2),
                       HardwareConfig(arch="sdf"))):
        generate(model, hw, tmp_path / hw.tag)
        man = load_manifest(tmp_path / hw.tag)
        want = stream_specs(model, hw, make_schedule(model, hw))
        assert set(man.streams) == set(want)
        for name, spec in want.items():
            assert man.streams[name] == spec, name
        man.check_model(model)
