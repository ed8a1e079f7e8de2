"""Interleaved sequences (SPEC §4.1) in the kernel: the configuration, the schedule, the
manifest's id fields and the golden model of interleaved traffic (no simulator)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from flow.cli import main
from hadam_hw.artifact import random_model, save_artifact
from hadam_hw.config import HardwareConfig
from hadam_hw.errors import ConfigError, HadamHWError
from hadam_hw.golden import run_golden, run_interleaved, run_interleaved_steps
from hadam_hw.manifest import load_manifest, make_manifest, stream_specs
from hadam_hw.schedule import event_offsets, make_schedule, x_handoff_offsets


def test_interleave_is_validated_tagged_and_round_trips():
    hw = HardwareConfig(arch="sdf", interleave=4)
    assert hw.tag == "sdf-l1-p1-i4" and HardwareConfig(arch="sdf").tag == "sdf-l1-p1"
    assert HardwareConfig.from_json(json.loads(hw.dumps())) == hw
    with pytest.raises(ConfigError, match="interleave must be at least 1, not 0"):
        HardwareConfig(arch="sdf", interleave=0)
    with pytest.raises(ConfigError, match="not supported by the butterfly architecture \\(only by adder_tree, "
                                          "sdf, dense\\)"):
        HardwareConfig(arch="butterfly", interleave=2)
    with pytest.raises(ConfigError, match="needs the registered design \\(pipeline >= 1\\), not pipeline 0"):
        HardwareConfig(arch="adder_tree", pipeline=0, interleave=2)
    assert HardwareConfig(arch="butterfly", interleave=1).interleave == 1


@pytest.mark.parametrize("arch, per_step", [("sdf", {1: 141, 2: 128, 3: 128, 4: 128}),
                                            ("adder_tree", {1: 140, 2: 128, 4: 128}),
                                            ("dense", {1: 140, 2: 128, 4: 128})])
def test_hidden_128_interleaved_runs_at_the_datapath_rate(arch, per_step):
    """One sequence waits for its own loop; two share it and the datapath takes a step every
    hidden/lanes = 128 cycles. The latency of a step does not change."""
    m = random_model(128, 128, 10, 9, seed=0)
    one = make_schedule(m, HardwareConfig(arch=arch))
    for c, cps in per_step.items():
        S = make_schedule(m, HardwareConfig(arch=arch, interleave=c))
        assert S.cycles_per_step == cps, (c, S.cycles_per_step)
        assert S.loop_cycles == one.cycles_per_step and S.latency_cycles == one.latency_cycles
        assert S.cycles_per_step * c >= S.loop_cycles  # round-robin: a sequence is back after its loop


def test_sdf_x_is_handed_off_when_steps_come_before_its_latch():
    m = random_model(128, 128, 10, 9, seed=0)
    one = make_schedule(m, HardwareConfig(arch="sdf"))
    two = make_schedule(m, HardwareConfig(arch="sdf", interleave=2))
    assert two.x_latch == 131 > two.cycles_per_step  # the projection latches x after the next handshake
    assert x_handoff_offsets(two) == [128] and 128 in event_offsets(two)
    assert x_handoff_offsets(one) == [] and event_offsets(one) == sorted(set(event_offsets(two)) - {128})


@pytest.mark.parametrize("c", [2, 3, 4, 5])
def test_manifest_id_field_is_ceil_log2_c_wide(c, tmp_path):
    m = random_model(16, 4, 3, 2, seed=0, output="every_step")
    hw = HardwareConfig(arch="adder_tree", lanes=4, expose_state=True, interleave=c)
    man = make_manifest(m, hw, artifact_sha256="0" * 64)
    assert man["interleave"] == c
    for name in ("x", "y", "h"):
        s = man["streams"][name]
        f = s["fields"]["id"]
        assert f["width"] == math.ceil(math.log2(c)) and f["offset"] + f["width"] == s["width"]
    (tmp_path / "hadamrnn.v").write_text("module hadamrnn; endmodule\n")
    (tmp_path / "manifest.json").write_text(json.dumps(man))
    assert load_manifest(tmp_path).interleave == c
    man["streams"]["y"]["fields"].pop("id")
    man["streams"]["y"]["width"] -= math.ceil(math.log2(c))
    (tmp_path / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(HadamHWError, match="streams.y: interleave .* needs an id field"):
        load_manifest(tmp_path)


def test_one_sequence_has_no_id_field():
    m = random_model(16, 4, 3, 2, seed=0)
    hw = HardwareConfig(arch="sdf", lanes=4)
    assert all("id" not in s.fields for s in stream_specs(m, hw).values())
    man = make_manifest(m, hw, artifact_sha256="0" * 64)
    assert man["interleave"] == 1 and man["streams"]["x"]["width"] == 3 * 8 + 2


def _traffic(model, n, c, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, c, size=n)
    lo, hi = model.config.x_range
    x = rng.integers(lo, hi + 1, size=(n,) if model.onehot else (n, model.config.n_in))
    first = rng.random(n) < 0.1
    last = rng.random(n) < 0.2
    return ids, x, first, last


@pytest.mark.parametrize("output, mode", [("every_step", "dense"), ("last_step", "dense"), ("every_step", "onehot")])
def test_interleaved_golden_is_each_sequence_alone(output, mode):
    m = random_model(16, 4, 5, 2, seed=3, output=output, input_mode=mode)
    ids, x, first, last = _traffic(m, 80, 3, seed=1)
    g = run_interleaved(m, ids, x, first, last)
    for c in range(3):
        mine = ids == c
        ref = run_golden(m, x[mine][None], first[mine][None], last[mine][None])
        np.testing.assert_equal(g.h[mine], ref.h[0])
        np.testing.assert_equal(g.y[mine], ref.y[0])
        np.testing.assert_equal(g.y_valid[mine], ref.y_valid[0])
    stream = list(g.y_stream())
    assert [n for n, _, _ in stream] == np.nonzero(g.y_valid)[0].tolist()
    assert all(i == ids[n] for n, i, _ in stream)
    # the list-of-steps form gives the same
    steps = [(int(i), bool(f), bool(la), xs) for i, f, la, xs in zip(ids, first, last, x, strict=True)]
    s = run_interleaved_steps(m, steps)
    np.testing.assert_equal(s.h, g.h)
    np.testing.assert_equal(s.y, g.y)


def test_interleaved_golden_defaults_and_errors():
    m = random_model(16, 4, 3, 2, seed=0)
    ids = np.array([1, 0, 1, 1, 0])
    g = run_interleaved(m, ids, np.zeros((5, 3), dtype=np.int64))
    np.testing.assert_equal(g.first, [1, 1, 0, 0, 0])
    np.testing.assert_equal(g.last, [0, 0, 0, 1, 1])
    np.testing.assert_equal(g.y_valid, g.last)  # last_step: one y per sequence
    with pytest.raises(HadamHWError, match="non-negative integers"):
        run_interleaved(m, np.array([0, -1]), np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(HadamHWError, match="ids has 2 steps"):
        run_interleaved(m, np.array([0, 1]), np.zeros((3, 3), dtype=np.int64))


def test_golden_command_with_ids(tmp_path, capsys):
    m = random_model(16, 4, 3, 2, seed=0, output="every_step")
    path = save_artifact(m, tmp_path / "m.hrnn.npz")
    ids, x, _, _ = _traffic(m, 30, 2, seed=4)
    np.save(tmp_path / "ids.npy", ids)
    np.save(tmp_path / "x.npy", x)
    assert main(["golden", str(path), "--input", str(tmp_path / "x.npy"), "--ids", str(tmp_path / "ids.npy"),
                 "-o", str(tmp_path / "out.npz")]) == 0
    assert "2 interleaved sequence(s), 30 steps" in capsys.readouterr().out
    ref = run_interleaved(m, ids, x)
    with np.load(tmp_path / "out.npz") as z:
        np.testing.assert_equal(z["id"], ids)
        np.testing.assert_equal(z["h"], ref.h)
        np.testing.assert_equal(z["y"], ref.y)
        np.testing.assert_equal(z["y_valid"], ref.y_valid)
