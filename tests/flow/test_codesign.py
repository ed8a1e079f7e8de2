"""``hadam-hw codesign``: the grid, the caches (resume, re-run), failures, the tables, local and Ray.

The fast tests replace training (minutes) with a stand-in that writes a random model of the
configuration's sizes, and keep the analytic estimates (milliseconds); the slow ones train
for real (the ``sdigits-tiny`` preset, seconds per run), synthesize and verify with cocotb.
"""

import csv
import json
import os
import sys

import pytest

from estimate.backends import JobOutput, LocalBackend
from flow.cli import main
from flow.codesign import CodesignGrid, HardwareOptions, expand, run_codesign, train_key
from flow.codesign_report import accuracy_front
from hadam_hw.artifact import artifact_bytes, random_model
from train.config import TrainConfig

FAST = HardwareOptions(fast=True, verify=False)


def fake_train(cfg_json: str) -> JobOutput:
    """A stand-in for training: a random model of the sizes, a made-up accuracy that grows with the bits."""
    cfg = TrainConfig.from_json(json.loads(cfg_json))
    if cfg.weight_bits == 3:
        raise RuntimeError("diverged")
    model = random_model(cfg.hidden, cfg.block or cfg.hidden, 1, 10, weight_bits=cfg.weight_bits,
                         state_bits=cfg.state_bits, seed=cfg.seed)
    acc = 0.5 + cfg.weight_bits / 20 + cfg.state_bits / 100 - (cfg.block or cfg.hidden) / 1000
    metrics = {"seq_len": 64, "train_seconds": 0.0,
               "final": {"test": {"integer": {"accuracy": acc}, "float": {"accuracy": acc + 0.01}}}}
    return JobOutput(None, {"model.hrnn.npz": artifact_bytes(model), "train.log": b"fake\n",
                            "metrics.json": json.dumps(metrics).encode()})


def grid(**kw) -> CodesignGrid:
    base = dict(preset="sdigits-tiny", hidden=(16,), blocks=(0, 4), weight_bits=(2, 4), state_bits=(10,),
                archs=("sdf", "adder_tree"), pipeline=(0,))
    return CodesignGrid(**(base | kw))


def run(tmp_path, g, out="out", **kw):
    kw.setdefault("opts", FAST)
    with LocalBackend(2, mode="threads") as b:
        return run_codesign(g, tmp_path / out, backend=b, cache_dir=tmp_path / "cache", show_progress=False,
                            train_fn=fake_train, **kw)


def test_expand_names_every_point_and_skips_oversized_blocks():
    points, skipped = expand(grid(hidden=(8, 16), blocks=(0, 16)))
    assert len(points) == 2 * 2 * 2  # (d8 full, d16 full = d16 b16) × 2 weight widths × 2 archs
    assert skipped == ["hidden 8 block 16: the block exceeds the hidden size"] * 2
    assert points[0].tag == "sdigits-d8b8-w2s10-seed0-sdf-l1-p0-ecp5"
    assert len({train_key(p.train) for p in points}) == 4
    # the key follows the content, not where the files go
    cfg = points[0].train
    assert train_key(cfg) == train_key(cfg.replace(out_dir="elsewhere", progress=True))
    assert train_key(cfg) != train_key(cfg.replace(lr=cfg.lr / 2))


def test_grid_writes_tables_plots_logs_and_models(tmp_path):
    res = run(tmp_path, grid(), plots=True)
    assert (res.computed, res.cached, res.failed) == (8, 0, 0)
    assert res.jobs == {"train": 4, "estimate": 8, "verify": 0}
    out = tmp_path / "out"
    for name in ("codesign.csv", "codesign.md", "codesign.json", "accuracy_vs_luts_ecp5.png",
                 "accuracy_vs_latency_ecp5.png"):
        assert (out / name).is_file(), name
    assert len(list((out / "logs").glob("*.log"))) == 8
    assert len(list((out / "models").glob("*.hrnn.npz"))) == 4
    rows = list(csv.DictReader((out / "codesign.csv").open()))
    assert len(rows) == 8 and {r["status"] for r in rows} == {"ok"}
    r = rows[0]
    assert r["tag"] == "sdigits-d16b16-w2s10-seed0-sdf-l1-p0-ecp5" and r["source"] == "analytic"
    assert int(r["sequence_cycles"]) == 63 * int(r["cycles_per_step"]) + int(r["latency_cycles"])
    assert float(r["accuracy"]) == pytest.approx(0.5 + 0.1 + 0.1 - 0.016)
    meta = json.loads((out / "codesign.json").read_text())["meta"]
    assert meta["points"] == 8 and meta["backend"] == "local (2 CPUs, threads)"


def test_rerun_costs_nothing_and_a_new_folder_reuses_the_caches(tmp_path):
    first = run(tmp_path, grid())
    again = run(tmp_path, grid())
    assert again.jobs == {"train": 0, "estimate": 0, "verify": 0}
    assert (again.computed, again.cached) == (0, 8)
    assert again.table() == first.table()
    other = run(tmp_path, grid(), out="other")
    assert other.cached == 8 and other.table() == first.table()
    # a backend named, not made: with nothing to run, no Ray instance is started
    warm = run_codesign(grid(), tmp_path / "warm", backend="ray", cache_dir=tmp_path / "cache", opts=FAST,
                        show_progress=False, train_fn=fake_train)
    assert warm.backend == "ray (not started: nothing to run)" and warm.cached == 8


def test_interrupted_sweep_resumes_with_the_missing_points_only(tmp_path):
    full = len(expand(grid())[0])
    part = run(tmp_path, grid(), max_points=3)
    assert part.stopped == "stopped after 3 computed points (max_points 3)"
    done = sum(1 for r in part.rows if r["status"] == "ok")
    assert 3 <= done < full and part.not_run == full - done
    md = (tmp_path / "out" / "codesign.md").read_text()
    assert "not run" in md and part.stopped in md
    rest = run(tmp_path, grid())
    assert rest.cached == done and rest.computed == full - done and rest.failed == 0
    assert rest.table() == run(tmp_path, grid(), out="fresh").table()


class InterruptedBackend(LocalBackend):
    """Ctrl-C in the driver after ``after`` results (what a user's interrupt does to the loop)."""

    def __init__(self, after: int):
        super().__init__(1, mode="threads")
        self.after = after

    def as_completed(self):
        for n, r in enumerate(super().as_completed(), 1):
            yield r
            if n == self.after:
                raise KeyboardInterrupt


def test_ctrl_c_leaves_consistent_caches_and_a_partial_table(tmp_path):
    with pytest.raises(KeyboardInterrupt), InterruptedBackend(after=3) as b:
        run_codesign(grid(), tmp_path / "out", backend=b, cache_dir=tmp_path / "cache", opts=FAST,
                     show_progress=False, train_fn=fake_train)
    assert not [p for p in (tmp_path / "cache").rglob("*") if ".tmp" in p.name]
    for d in (tmp_path / "cache" / "train").iterdir():  # every training entry is whole or absent
        assert (d / "metrics.json").is_file() == (d / "model.hrnn.npz").is_file()
    md = (tmp_path / "out" / "codesign.md").read_text()
    assert "interrupted (Ctrl-C)" in md and "not run" in md
    rest = run(tmp_path, grid())
    assert rest.failed == 0 and rest.cached + rest.computed == 8 and rest.jobs["train"] < 4


def test_failing_points_are_reported_and_the_others_complete(tmp_path, capsys):
    # weight bits 3: the stand-in training raises; lanes 3 cannot build a hidden-16 model
    res = run(tmp_path, grid(weight_bits=(3, 4), lanes=(1, 3)))
    by = {r["tag"]: r for r in res.rows}
    assert res.failed == 12 and sum(r["status"] == "ok" for r in res.rows) == 4
    assert by["sdigits-d16b16-w3s10-seed0-sdf-l1-p0-ecp5"]["error"] == "train: RuntimeError: diverged"
    assert by["sdigits-d16b16-w4s10-seed0-sdf-l3-p0-ecp5"]["error"] == \
        "hardware: lanes must divide the hidden size 16, not 3"
    log = (tmp_path / "out" / "logs" / "sdigits-d16b16-w3s10-seed0-sdf-l1-p0-ecp5.log").read_text()
    assert "RuntimeError: diverged" in log and "Traceback" in log
    md = (tmp_path / "out" / "codesign.md").read_text()
    assert "- `sdigits-d16b16-w3s10-seed0-sdf-l1-p0-ecp5`: train: RuntimeError: diverged" in md
    # a failure is not cached: the re-run tries the failed training again, nothing else
    again = run(tmp_path, grid(weight_bits=(3, 4), lanes=(1, 3)))
    assert again.jobs == {"train": 2, "estimate": 0, "verify": 0} and again.failed == 12


def test_max_failures_stops_the_sweep(tmp_path):
    res = run(tmp_path, grid(weight_bits=(3,), blocks=(0,), hidden=(16, 32)), max_failures=1)
    assert res.stopped.startswith("stopped after") and "(--max-failures 1)" in res.stopped
    assert res.failed >= 1


def test_a_verify_failure_fails_its_point(tmp_path):
    def failing_verify(artifact, hw_json, **kw):
        out = {"passed": False, "first_failure": "step 3 lane 1: h = 5, expected 6", "steps_checked": 0,
               "summary": "FAIL"}
        return JobOutput(out, {kw["out_name"]: json.dumps(out).encode()})

    res = run(tmp_path, grid(blocks=(0,), weight_bits=(4,), archs=("sdf",)),
              opts=HardwareOptions(fast=True), verify_fn=failing_verify)
    (row,) = res.rows
    assert row["status"] == "failed" and row["verified"] == "FAIL"
    assert row["error"] == "verify: step 3 lane 1: h = 5, expected 6"


def test_accuracy_front_keeps_the_points_nobody_beats():
    rows = [{"luts": 100, "accuracy": 0.8}, {"luts": 200, "accuracy": 0.7}, {"luts": 200, "accuracy": 0.9},
            {"luts": 50, "accuracy": 0.5}, {"luts": 300, "accuracy": 0.9}]
    assert [(r["luts"], r["accuracy"]) for r in accuracy_front(rows, "luts")] == [(50, 0.5), (100, 0.8), (200, 0.9)]


@pytest.mark.parametrize("argv, message", [
    (["--preset", "nope"], "unknown preset 'nope'"),
    (["--weight-bits", "9"], "weight_bits must be"),
    (["--block", "x"], "argument --block"),
    (["--address", "auto"], "--address needs --backend ray"),
    (["--backend", "ray", "--address", "nohost"], "--address must be 'auto' or HOST:PORT"),
    (["--fast", "--pnr"], "--pnr needs synthesis"),
    (["--target", "asic"], "targets must be among"),
])
def test_bad_command_lines_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    try:
        rc = main(["codesign", "-o", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c"), "--no-progress", *argv])
    except SystemExit as e:  # argparse's own errors
        rc = e.code
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and "\n" not in err


# --- the real flow: training, Yosys, cocotb; the same table on the local backend and on Ray -----------

REAL = dict(preset="sdigits-tiny", hidden=(16,), blocks=(0, 8), weight_bits=(2,), state_bits=(14,), archs=("sdf",),
            pipeline=(0,))


def real_run(tmp_path, name, backend, **kw):
    return run_codesign(CodesignGrid(**REAL), tmp_path / name, backend=backend, jobs=2,
                        opts=HardwareOptions(fast=False, verify=True, seq_len=16),
                        cache_dir=tmp_path / f"cache-{name}", show_progress=False, **kw)


@pytest.mark.slow
def test_real_grid_local_and_ray_give_identical_tables(tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'hadam-hw[ray]'")
    local = real_run(tmp_path, "local", "local")
    assert local.failed == 0 and local.computed == 2
    assert {r["verified"] for r in local.rows} == {"pass"} and {r["source"] for r in local.rows} == {"yosys"}
    assert all(0.0 <= r["accuracy"] <= 1.0 and r["luts"] > 0 for r in local.rows)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = real_run(tmp_path, "ray", "ray")
    finally:
        ray.shutdown()
    assert on_ray.backend.startswith("ray (1 node, 2 CPUs")
    assert on_ray.jobs == local.jobs == {"train": 2, "estimate": 2, "verify": 2}
    assert on_ray.table() == local.table()
    assert (tmp_path / "ray" / "codesign.csv").read_text() == (tmp_path / "local" / "codesign.csv").read_text()


@pytest.mark.slow
def test_real_cli_run_then_rerun_is_cached(tmp_path, capsys):
    argv = ["codesign", "--preset", "sdigits-tiny", "--hidden", "16", "--weight-bits", "4", "--arch", "sdf,adder_tree",
            "--fast", "--jobs", "2", "--no-progress", "-o", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c")]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert "2 points: 2 computed, 0 cached, 0 failed; jobs run: train 1, estimate 2, verify 2" in first
    assert main(argv) == 0
    assert "2 points: 0 computed, 2 cached, 0 failed; jobs run: train 0, estimate 0, verify 0" in \
        capsys.readouterr().out


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
