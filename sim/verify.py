"""One call from a model to a verdict: generate, build, simulate, compare with the golden model.

:func:`verify` generates the design through ``rtl_gen``; :func:`simulate` takes an
already generated design (its ``manifest.json``): the mutation tests and the stand-in
design use that. Both return a :class:`VerifyResult`. Build folders are one per
configuration: ``<root>/<model tag>-<artifact hash>/<hardware tag>/{rtl,<simulator>}``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hadam_hw.archs import ARCH_SPECS
from hadam_hw.artifact import artifact_bytes, atomic_write_bytes, load_artifact
from hadam_hw.config import HardwareConfig
from hadam_hw.errors import HadamHWError
from hadam_hw.manifest import Manifest, load_manifest
from hadam_hw.model import HadamModel

from .runner import SIMULATORS, Build, build_design, run_plan, waves_path
from .stimulus import (
    Plan,
    ResetPoint,
    Segment,
    draw_inputs,
    make_stimulus,
    sequence_flags,
    write_plan,
)

__all__ = [
    "VerifyResult",
    "verify",
    "simulate",
    "generate",
    "design_dir",
    "check_plan",
    "DEFAULT_BUILD_ROOT",
]

DEFAULT_BUILD_ROOT = Path("build") / "sim"


@dataclass
class VerifyResult:
    """The outcome of one verification run; ``passed`` is the verdict."""

    passed: bool
    simulator: str
    model_tag: str
    hw_tag: str
    steps_in: int  # input steps accepted by the design
    steps_checked: int  # input steps whose outputs were compared and matched
    checked: dict  # output transfers compared, per stream
    cycles: int  # clock cycles simulated
    sim_wall_s: float  # wall time of the simulated cycles (the testbench's own clock)
    wall_s: float  # wall time of the whole call: generate + build + simulate
    build_s: float
    generate_s: float
    cycles_per_s: float
    resets: int
    failures: list[dict] = field(default_factory=list)
    waves: str | None = None
    run_dir: str | None = None
    log: str | None = None
    report: dict = field(default_factory=dict)
    split_nets: bool = False
    saturated_lanes: int = 0  # (step, lane) pairs of the expected h at a clamp bound: saturation exercised

    @property
    def first_failure(self) -> str | None:
        return self.failures[0]["message"] if self.failures else None

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        lines = [
            f"{verdict}  {self.model_tag} / {self.hw_tag} / {self.simulator}"
            + (" (nets split by yosys)" if self.split_nets else ""),
            f"  steps checked  {self.steps_checked:,} of {self.steps_in:,} accepted "
            f"(outputs compared: {', '.join(f'{k} {v:,}' for k, v in sorted(self.checked.items()))}; "
            f"resets {self.resets}; state lanes saturated {self.saturated_lanes:,})",
            f"  cycles         {self.cycles:,} simulated in {self.sim_wall_s:.2f} s = {self.cycles_per_s:,.0f} cycles/s",
            f"  wall time      {self.wall_s:.2f} s (generate {self.generate_s:.2f} s, build {self.build_s:.2f} s)",
        ]
        if not self.passed:
            lines.append(f"  first failure  {self.first_failure}")
            for f in self.failures[1:4]:
                lines.append(f"  then           {f['message']}")
            lines.append(f"  log            {self.log}")
        elif self.waves:
            lines.append(f"  waveform       {self.waves}")
        return "\n".join(lines)


def _as_model(model: HadamModel | str | os.PathLike) -> HadamModel:
    return model if isinstance(model, HadamModel) else load_artifact(model)


def design_dir(model: HadamModel, hw: HardwareConfig, root: str | os.PathLike | None = None) -> Path:
    """``<root>/<model tag>-<8 hex of the artifact>/<hardware tag>``: one per configuration.

    The hash keeps two models with equal sizes (equal tags) from sharing a build.
    """
    sha = hashlib.sha256(artifact_bytes(model)).hexdigest()[:8]
    return Path(root or DEFAULT_BUILD_ROOT) / f"{model.config.tag}-{sha}" / hw.tag


def generate(model: HadamModel, hw: HardwareConfig, out_dir: str | os.PathLike, *, force: bool = False) -> Path:
    """The design of ``(model, hw)`` in ``out_dir``; returns its ``manifest.json``.

    The Verilog comes from the one RTL cache (:func:`rtl_gen.cache.generate_cached`, keyed
    by the artifact, the hardware configuration and the generator's fingerprint), and is
    copied here only when ``out_dir`` does not already hold that very design.
    """
    try:
        from rtl_gen.cache import generate_cached
    except ImportError as e:
        raise HadamHWError(f"rtl_gen cannot be imported ({e})") from None
    verilog, _ = generate_cached(model, hw, use_cache=not force)
    out = Path(out_dir)
    dest = out / "manifest.json"
    cached = verilog.parent / "manifest.json"
    here = out / verilog.name
    if dest.is_file() and here.is_file() and dest.read_bytes() == cached.read_bytes() \
            and here.read_bytes() == verilog.read_bytes():  # a generator change can leave the manifest alike
        return dest
    for src in sorted(verilog.parent.iterdir(), key=lambda p: p.name == "manifest.json"):  # manifest last
        if src.is_file():
            atomic_write_bytes(out / src.name, src.read_bytes())
    return dest


def check_plan(model: HadamModel, manifest: Manifest, *, sequences: int, seq_len: int, seed: int,
               stalls: bool = True, resets: bool = True, extremes: bool = True):
    """The default checks over ``sequences`` random sequences of ``seq_len`` steps.

    Rows: the user's sequences, then (``extremes``) one of inputs held at their range ends,
    then (``resets``) one cut by a reset partway, one cut right after its last step (its
    ``y`` still in flight) and one that must start clean after them.
    Segments: full throughput with exact timing over up to two sequences and the extremes
    row, back to back; the reset rows; the remaining sequences under idle and back-pressure
    levels from mild to heavy. Returns ``(x, first, last, segments)``.

    Interleaved designs (``interleave`` C > 1): at least C sequences, the full-throughput
    segment has C of them (the extremes row among them) offered round-robin, the resets cut
    interleaved rows, and the others stall C at a time in a random order of sequences.
    """
    if sequences < 1 or seq_len < 1:
        raise HadamHWError("sequences and seq_len must be at least 1")
    C = manifest.interleave
    if C > 1:
        sequences = max(sequences, C)
    rng = np.random.default_rng(seed)
    user = list(range(sequences))
    xs = [draw_inputs(model, sequences, seq_len, rng)]
    n = sequences
    extreme_row = None
    if extremes:
        xs.append(draw_inputs(model, 1, seq_len, rng, extremes=True))
        extreme_row, n = n, n + 1
    cut_rows = None
    if resets:
        xs.append(draw_inputs(model, 3, seq_len, rng))
        cut_rows, n = (n, n + 1, n + 2), n + 3
    x = np.concatenate(xs, axis=0)
    first, last = sequence_flags(n, seq_len)
    # up to two sequences at full throughput (back to back, then the extremes row); the rest stall
    n_timing = sequences if not stalls else (2 if sequences >= 3 else 1)
    timing_rows = user[:n_timing] + ([extreme_row] if extreme_row is not None else [])
    if C > 1:  # a multiple of C rows of equal length: round-robin to the end
        pool = user + ([extreme_row] if extreme_row is not None else [])
        pool = pool[-1:] + pool[:-1] if extreme_row is not None else pool  # the extremes row first
        n_t = C if stalls else C * (len(pool) // C)
        timing_rows = pool[:n_t]
    segs = [Segment("full-throughput", timing_rows, timing=True)]
    if cut_rows is not None:
        # one reset in the middle of a sequence (state and outputs in flight), one just after
        # a sequence's last step, before its y can come out; then a sequence that must be clean
        step = int(rng.integers(0, max(1, seq_len - 1)))
        span = manifest.latency_cycles + manifest.cycles_per_step + 1
        lat_y = manifest.latency("y")
        segs.append(Segment("resets-in-flight", list(cut_rows), idle=0.2, backpressure=0.2, resets=[
            ResetPoint(cut_rows[0], step, delay=int(rng.integers(0, span)), hold=int(rng.integers(1, 4))),
            ResetPoint(cut_rows[1], seq_len - 1, delay=int(rng.integers(0, max(1, lat_y))), hold=1)]))
    levels = [(0.3, 0.0), (0.0, 0.3), (0.5, 0.5), (0.1, 0.8), (0.8, 0.1)] if stalls else [(0.0, 0.0)]
    rest = [r for r in user if r not in timing_rows]
    for i, k in enumerate(range(0, len(rest), C)):
        idle, bp = levels[i % len(levels)]
        segs.append(Segment(f"stalls-idle{idle}-bp{bp}", rest[k:k + C], idle=idle, backpressure=bp))
    return x, first, last, segs


def simulate(manifest_path: str | os.PathLike, model: HadamModel | str | os.PathLike, *,
             simulator: str = "icarus", sequences: int = 4, seq_len: int = 200, seed: int = 0,
             waves: bool = False, build_dir: str | os.PathLike | None = None,
             stalls: bool = True, resets: bool = True, extremes: bool = True,
             plan: tuple | None = None, hw_tag: str | None = None,
             progress: Callable[[dict], None] | None = None, stage: Callable[[str], None] | None = None,
             generate_s: float = 0.0, split_nets: bool | None = None) -> VerifyResult:
    """Simulate an already generated design against the golden model.

    ``plan``: ``(x, first, last, segments)`` to replace :func:`check_plan`'s default
    checks (the soak run passes its own). ``build_dir`` defaults to a folder beside the
    manifest, named after the simulator. ``split_nets``: Icarus simulates a copy with its
    nets split by Yosys (the same logic, 17-50x faster for the butterfly at hidden 64-128;
    see :func:`sim.runner.split_nets`); ``None`` (auto) does so for Icarus and the butterfly.
    """
    if simulator not in SIMULATORS:
        raise HadamHWError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    t0 = time.perf_counter()
    model = _as_model(model)
    manifest = load_manifest(manifest_path)
    manifest.check_model(model)
    if split_nets is None:
        # whole-vector nets (a manifest may come from elsewhere and name no architecture of ours)
        split_nets = simulator == "icarus" and manifest.arch in {s.name for s in ARCH_SPECS.values() if not s.serial}
    split_nets = bool(split_nets) and simulator == "icarus"
    base = Path(build_dir) if build_dir else manifest.path.parent.parent
    sim_dir = base / (simulator + ("-split" if split_nets else "") + ("-waves" if waves else ""))
    say = stage or (lambda s: None)
    say(f"build    {simulator} model of {manifest.verilog.name} in {sim_dir}")
    build: Build = build_design(manifest, simulator, sim_dir, waves=waves, split=split_nets)
    if plan is None:
        plan = check_plan(model, manifest, sequences=sequences, seq_len=seq_len, seed=seed,
                          stalls=stalls, resets=resets, extremes=extremes)
    x, first, last, segs = plan
    run_dir = sim_dir / f"run-seed{seed}"
    run_dir.mkdir(parents=True, exist_ok=True)
    stim = make_stimulus(model, x, first, last)
    stim.save(run_dir / "stimulus.npz")
    lo, hi = model.config.h_range
    saturated = int(((stim.golden.h == lo) | (stim.golden.h == hi)).sum())
    wpath = waves_path(build, run_dir) if waves else None
    p = Plan(
        manifest=str(manifest.path.resolve()), stimulus=str((run_dir / "stimulus.npz").resolve()),
        report=str((run_dir / "report.json").resolve()), segments=segs, seed=seed,
        waves=str(wpath) if wpath else None,
        progress_file=str((run_dir / "progress.json").resolve()) if progress else None,
    )
    write_plan(p, run_dir / "plan.json")
    say(f"simulate {int(first.size):,} steps in {len(segs)} segment(s) ({', '.join(s.name for s in segs)})")
    rep = run_plan(build, run_dir / "plan.json", run_dir / "report.json", run_dir, progress=progress,
                   progress_file=p.progress_file, seed=seed)
    return VerifyResult(
        passed=bool(rep["passed"]), simulator=simulator, model_tag=model.config.tag,
        hw_tag=hw_tag or str(manifest.arch) + "-" + "-".join(f"{k}{v}" for k, v in sorted(manifest.params.items())
                                                         if isinstance(v, (int, bool))),
        steps_in=rep["steps_in"], steps_checked=rep["steps_checked"], checked=rep["checked"],
        cycles=rep["cycles"], sim_wall_s=rep["wall_s"], wall_s=time.perf_counter() - t0 + generate_s,
        build_s=build.seconds, generate_s=generate_s, cycles_per_s=rep["cycles_per_s"] or 0.0,
        resets=rep["resets"], failures=rep["failures"], waves=str(wpath) if wpath else None,
        run_dir=str(run_dir), log=rep.get("log"), report=rep, split_nets=split_nets,
        saturated_lanes=saturated,
    )


def verify(model: HadamModel | str | os.PathLike, hw: HardwareConfig | None = None, *,
           simulator: str = "icarus", sequences: int = 4, seq_len: int = 200, seed: int = 0,
           waves: bool = False, build_dir: str | os.PathLike | None = None, stalls: bool = True,
           resets: bool = True, extremes: bool = True, progress: Callable[[dict], None] | None = None,
           stage: Callable[[str], None] | None = None, split_nets: bool | None = None) -> VerifyResult:
    """Generate the design for ``(model, hw)`` with rtl_gen, simulate it, compare with the golden model.

    ``model``: a :class:`HadamModel` or the path of a ``*.hrnn.npz`` artifact. The result's
    ``passed`` is the verdict; ``summary()`` prints what a person needs.
    """
    model = _as_model(model)
    hw = hw or HardwareConfig()
    hw.check_against(model.config)
    if simulator not in SIMULATORS:
        raise HadamHWError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    ddir = design_dir(model, hw, build_dir)
    say = stage or (lambda s: None)
    say(f"generate {hw.arch.value} design of {model.config.tag} ({hw.tag}) into {ddir / 'rtl'}")
    t0 = time.perf_counter()
    manifest_path = generate(model, hw, ddir / "rtl")
    gen_s = time.perf_counter() - t0
    return simulate(manifest_path, model, simulator=simulator, sequences=sequences, seq_len=seq_len, seed=seed,
                    waves=waves, build_dir=ddir, stalls=stalls, resets=resets, extremes=extremes,
                    hw_tag=hw.tag, progress=progress, stage=stage, generate_s=gen_s, split_nets=split_nets)
