"""Execution backends: the same jobs give the same results on threads, processes and Ray."""

import math
import operator
import os
import sys
import time

import pytest

from estimate.backends import (
    Job,
    JobOutput,
    LocalBackend,
    Resources,
    error_line,
    make_backend,
    run_jobs,
)
from hadam_hw.errors import HadamHWError


def make_files(name: str, text: str) -> JobOutput:
    return JobOutput(len(text), {f"{name}/a.txt": text.encode(), f"{name}/b.txt": text.upper().encode()})


def escape() -> JobOutput:
    return JobOutput(None, {"../outside.txt": b"x"})


def nap(seconds: float) -> float:
    t0 = time.perf_counter()
    time.sleep(seconds)
    return t0


def jobs_for(root) -> list[Job]:
    return [
        Job("mul", operator.mul, (6, 7)),
        Job("fact", math.factorial, (10,)),
        Job("bad", int, ("not a number",)),
        Job("files", make_files, ("one", "hello"), files_to=root),
    ]


def check(results, root) -> None:
    by = {r.key: r for r in results}
    assert [r.key for r in results] == ["mul", "fact", "bad", "files"]
    assert by["mul"].value == 42 and by["mul"].ok
    assert by["fact"].value == 3628800
    assert not by["bad"].ok and by["bad"].value is None
    assert by["bad"].error == "ValueError: invalid literal for int() with base 10: 'not a number'"
    assert "Traceback" in by["bad"].log
    assert by["files"].value == 5
    assert (root / "one" / "a.txt").read_text() == "hello"
    assert (root / "one" / "b.txt").read_text() == "HELLO"
    assert sorted(by["files"].files) == [str(root / "one" / "a.txt"), str(root / "one" / "b.txt")]
    assert not [p for p in root.rglob("*") if ".tmp" in p.name]  # atomic writes leave no temporaries


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_local_backend_results_failures_and_files(tmp_path, mode):
    with LocalBackend(2, mode=mode) as b:
        seen = []
        results = run_jobs(b, jobs_for(tmp_path), progress=lambda r: seen.append(r.key))
    check(results, tmp_path)
    assert sorted(seen) == ["bad", "fact", "files", "mul"]


def test_a_job_may_not_write_outside_its_folder(tmp_path):
    with LocalBackend(1) as b:
        (r,) = run_jobs(b, [Job("esc", escape, files_to=tmp_path / "inside")])
    assert r.error == "the job returned a file outside its folder: ../outside.txt"
    assert not (tmp_path / "outside.txt").exists()


def test_declared_cpus_limit_what_runs_at_once():
    # 2 CPUs: two 1-CPU jobs overlap; a 2-CPU job runs alone
    with LocalBackend(2) as b:
        starts = {r.key: (r.value, r.value + r.seconds) for r in run_jobs(b, [
            Job("a", nap, (0.3,)), Job("b", nap, (0.3,)), Job("big", nap, (0.3,), resources=Resources(cpus=2))])}
    (a0, a1), (b0, b1), (g0, _) = starts["a"], starts["b"], starts["big"]
    assert b0 < a1 and a0 < b1  # overlapped
    assert g0 >= max(a1, b1) - 0.01  # waited for both


def test_jobs_submitted_while_collecting_run_too():
    with LocalBackend(2) as b:
        b.submit(Job("first", operator.add, (1, 2)))
        got = {}
        for r in b.as_completed():
            got[r.key] = r.value
            if r.key == "first":
                b.submit(Job("second", operator.add, (r.value, 10)))
    assert got == {"first": 3, "second": 13}


def test_backend_choice_errors_are_one_line():
    with pytest.raises(HadamHWError, match="backend must be one of local, ray, not 'slurm'"):
        make_backend("slurm")
    with pytest.raises(HadamHWError, match="--address needs --backend ray"):
        make_backend("local", address="auto")
    with pytest.raises(HadamHWError, match="job keys must be unique"):
        run_jobs(LocalBackend(1), [Job("x", abs, (1,)), Job("x", abs, (2,))])
    with pytest.raises(HadamHWError, match="more than 0 CPUs"):
        Resources(cpus=0)
    assert error_line(HadamHWError("one\ntwo")) == "one"


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'hadam-hw[ray]'")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # the jobs of this module travel by value: Ray workers need not import the tests package
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_backend_matches_local(tmp_path, ray_local):
    with make_backend("ray") as b:
        assert b.describe().startswith("ray (1 node, 2 CPUs")
        results = run_jobs(b, jobs_for(tmp_path / "ray"))
    check(results, tmp_path / "ray")
    with make_backend("ray") as b:
        (gpu,) = run_jobs(b, [Job("gpu", abs, (-1,), resources=Resources(cpus=1, gpus=1))])
    assert gpu.error == "the job needs 1 GPUs; the Ray cluster has 0"
    assert ray_local.is_initialized()  # an instance the test started is left to the test
    with LocalBackend(2) as b:
        local = run_jobs(b, jobs_for(tmp_path / "local"))
    assert [(r.key, r.value, r.error) for r in results] == [(r.key, r.value, r.error) for r in local]


@pytest.mark.slow
def test_sweep_on_ray_equals_local(tmp_path, ray_local, cache_dir):
    from estimate.sweep import Grid, run_sweep

    grid = Grid(hidden=(8,), archs=("adder_tree", "sdf"), n_in=2, n_out=2)
    local = run_sweep(grid, tmp_path / "local", cache_dir=tmp_path / "c1", plots=False, show_progress=False, jobs=2)
    ray = run_sweep(grid, tmp_path / "ray", cache_dir=tmp_path / "c2", plots=False, show_progress=False,
                    backend="ray")
    assert ray.synthesized == 2 and local.synthesized == 2
    drop = ("cached", "seconds")
    assert [{k: v for k, v in r.items() if k not in drop} for r in ray.rows] == \
           [{k: v for k, v in r.items() if k not in drop} for r in local.rows]
