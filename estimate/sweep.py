"""Sweeps: many design points × targets, synthesized in parallel (or predicted), with a cache.

:func:`run_sweep` expands a :class:`Grid` (hidden sizes, block sizes, architectures, lanes,
pipelining, state bits, targets) into design points, estimates each one with
:func:`estimate.report.estimate_point` — real synthesis, or the analytic model
with ``fast=True`` — and writes ``sweep.csv``, ``sweep.md`` and the plots
(:mod:`estimate.plots`). Every point is first looked up in the caches in this
process (generated RTL keyed by artifact, hardware configuration and generator source;
synthesis keyed by Verilog hash, target, flags, flow and tool versions); only the misses go
to ``jobs`` worker threads (default: the CPU count; each runs Yosys as a subprocess), or to a
Ray cluster with ``backend="ray"`` (:mod:`estimate.backends`), so a warm re-run takes seconds
and starts no worker at all.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hadam_hw.archs import arch_names, arch_spec
from hadam_hw.errors import HadamHWError
from rtl_gen.cache import generate_cached

from .backends import Backend, Job, JobResult, LocalBackend, make_backend, run_jobs
from .points import DesignPoint, cpu_count

__all__ = ["Grid", "SweepResult", "expand_grid", "run_sweep", "synth_points", "synth_point",
           "CSV_COLUMNS", "write_csv", "markdown_table"]


@dataclass(frozen=True)
class Grid:
    """The axes of a sweep; ``blocks`` entries of 0 mean the hidden size (HadamRNN)."""

    hidden: tuple[int, ...] = (32, 64, 128)
    blocks: tuple[int, ...] = (0,)
    archs: tuple[str, ...] = arch_names()
    lanes: tuple[int, ...] = (1,)
    pipeline: tuple[int, ...] = (0,)
    state_bits: tuple[int, ...] = (12,)
    targets: tuple[str, ...] = ("ecp5",)
    n_in: int = 10
    n_out: int = 9
    seed: int = 0


def expand_grid(grid: Grid) -> tuple[list[tuple[DesignPoint, str]], list[str]]:
    """``([(point, target)], skipped)``: every valid combination, and why the others were dropped."""
    out, skipped, seen = [], [], set()
    for d, b, arch, L, K, sb, tgt in itertools.product(grid.hidden, grid.blocks, grid.archs, grid.lanes,
                                                       grid.pipeline, grid.state_bits, grid.targets):
        b = b or d
        spec = arch_spec(arch)
        if b > d:
            skipped.append(f"hidden {d} block {b}: the block exceeds the hidden size")
            continue
        if "lanes" not in spec.options and L != 1:
            if (d, b, arch, 1, K, sb, tgt) in seen or 1 in grid.lanes:
                continue  # the lanes axis does not apply (butterfly): its lanes=1 point stands
            L = 1
        if d % L:
            skipped.append(f"hidden {d} lanes {L}: lanes must divide the hidden size")
            continue
        key = (d, b, arch, L, K, sb, tgt)
        if key in seen:
            continue
        seen.add(key)
        out.append((DesignPoint(d, b, arch, L, K, n_in=grid.n_in, n_out=grid.n_out, state_bits=sb,
                                seed=grid.seed), tgt))
    return out, skipped


# --- synthesis of many points ------------------------------------------------------------------

def _synth_dict(res, manifest: dict) -> dict:
    return {"luts": res.luts, "ffs": res.ffs, "brams": res.brams, "dsps": res.dsps, "carries": res.carries,
            "fmax_mhz": res.fmax_mhz, "command": res.command, "pnr_command": res.pnr_command,
            "yosys_version": res.yosys_version, "seconds": res.seconds, "cached": res.cached,
            "cycles_per_step": manifest["cycles_per_step"], "latency_cycles": manifest["latency_cycles"],
            "set_by": manifest["cycles_per_step_set_by"], "parts": manifest["cycles_per_step_parts"]}


def synth_point(point: dict, target: str, flow: str, flags, cache_dir, pnr: bool = False,
                freq_mhz: float = 100.0, cache_only: bool = False) -> dict | None:
    """Generate (cached) and synthesize (cached) one point; a plain dict, picklable for workers.

    ``cache_only``: return ``None`` instead of generating or synthesizing anything.
    """
    from .synth import cached_result, synthesize

    p = DesignPoint.from_json(point)
    cache_dir = Path(cache_dir) if cache_dir else None
    if cache_only:
        from rtl_gen.cache import rtl_cache_lookup

        hit = rtl_cache_lookup(p.model(), p.hw(), cache_dir=cache_dir)
        if hit is None:
            return None
        v, manifest = hit
        res = cached_result(v, manifest["top"], target, flags=flags, flow=flow, pnr=pnr, freq_mhz=freq_mhz,
                            cache_dir=_synth_dir(cache_dir))
        return None if res is None else _synth_dict(res, manifest)
    with _GENERATE_LOCK:
        v, manifest = generate_cached(p.model(), p.hw(), cache_dir=cache_dir)
    res = synthesize(v, manifest["top"], target, flags=flags, flow=flow, pnr=pnr, freq_mhz=freq_mhz,
                     cache_dir=_synth_dir(cache_dir))
    return _synth_dict(res, manifest)


_GENERATE_LOCK = threading.Lock()  # one Amaranth elaboration at a time


def _synth_dir(cache_dir: Path | None) -> Path | None:
    return Path(cache_dir) / "synth" if cache_dir else None


def synth_points(points: Sequence[DesignPoint], target: str | Sequence[str], *, flow: str = "fast",
                 flags=None, cache_dir: Path | None = None, jobs: int | None = None, pnr: bool = False,
                 freq_mhz: float = 100.0, progress: Callable | None = None, strict: bool = True,
                 backend: Backend | None = None) -> list[dict | None]:
    """Synthesize ``points`` (each for ``target``, or ``target[i]``); cached ones are read here,
    the rest run on ``backend`` (default: :class:`~estimate.backends.LocalBackend` with up to
    ``jobs`` threads). ``progress(n_done, cached)`` after each."""
    targets = [target] * len(points) if isinstance(target, str) else list(target)
    results: list[dict | None] = [None] * len(points)
    errors: dict[int, str] = {}
    todo = []
    for i, (p, t) in enumerate(zip(points, targets, strict=True)):
        r = synth_point(p.to_json(), t, flow, flags, cache_dir, pnr, freq_mhz, cache_only=True)
        if r is None:
            todo.append(i)
        else:
            results[i] = r
            if progress:
                progress(1, True)
    if todo:
        # local threads by default: Yosys runs as a subprocess, so syntheses overlap; the Amaranth
        # elaboration (a small share of the time) takes a lock. No process pool, so no __main__
        # guard is needed in scripts that call this.
        own = backend is None
        if own:
            backend = LocalBackend(max(1, min(jobs or cpu_count(), len(todo))), mode="threads")
        cache = str(cache_dir) if cache_dir else None
        job_list = [Job(str(i), synth_point, (points[i].to_json(), targets[i], flow, flags, cache, pnr, freq_mhz))
                    for i in todo]

        def done(r: JobResult) -> None:
            i = int(r.key)
            if r.error is not None:
                errors[i] = r.error
            results[i] = r.value
            if progress:
                progress(1, False)

        try:
            run_jobs(backend, job_list, progress=done)
        finally:
            if own:
                backend.close()
    if errors and strict:
        i = min(errors)
        raise HadamHWError(f"{points[i].tag} on {targets[i]}: {errors[i]}")
    return results


# --- the sweep -----------------------------------------------------------------------------------

CSV_COLUMNS = (
    "target", "tag", "hidden", "block", "sparsity", "arch", "lanes", "pipeline", "state_bits", "n_in", "n_out",
    "source", "luts", "ffs", "brams", "dsps", "fmax_mhz", "cycles_per_step", "latency_cycles", "set_by",
    "steps_per_s", "A_signed_digits", "A_constant_luts", "recurrence_luts", "analytic_luts", "analytic_error",
    "dense_lanes", "dense_cycles_per_step", "dense_luts", "dense_source", "luts_vs_dense", "area_time_vs_dense",
    "bound_luts", "luts_vs_bound", "recurrence_vs_bound", "cached", "seconds",
)


@dataclass
class SweepResult:
    rows: list[dict]
    skipped: list[str]
    seconds: float
    synthesized: int
    cached: int
    files: dict[str, str] = field(default_factory=dict)


def run_sweep(grid: Grid, out_dir: str | Path, *, fast: bool = False, flow: str = "fast", pnr: bool = False,
              baseline: str = "analytic", jobs: int | None = None, cache_dir: Path | None = None,
              plots: bool = True, show_progress: bool = True, backend: str | Backend = "local",
              address: str | None = None) -> SweepResult:
    """Estimate every point of ``grid`` and write ``sweep.csv``, ``sweep.md`` (and plots) to ``out_dir``.

    ``backend``: ``"local"`` (threads), ``"ray"`` (``address``: a cluster, else a local
    instance) or a :class:`~estimate.backends.Backend` made by the caller."""
    from .report import dense_match, estimate_rows

    t0 = time.perf_counter()
    pairs, skipped = expand_grid(grid)
    if not pairs:
        raise HadamHWError("the sweep grid has no valid configuration" + (f" ({skipped[0]})" if skipped else ""))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise HadamHWError(f"output directory {out} exists and is not a directory")
    points = [p for p, _ in pairs]
    targets = [t for _, t in pairs]
    synth = None
    n_cached = n_synth = 0
    bar = _bar(len(pairs) * (2 if baseline == "synth" and not fast else 1), show_progress)

    def tick(n: int, cached: bool) -> None:
        nonlocal n_cached, n_synth
        if cached:
            n_cached += n
        else:
            n_synth += n
        if bar is not None:
            bar.update(n)
            bar.set_postfix(cached=n_cached, synthesized=n_synth, refresh=False)

    baseline_points: list[DesignPoint] = []
    if baseline == "synth" and not fast:
        baseline_points = [dense_match(p.model(), p.hw(), p)[0] for p in points]
    try:
        if not fast:
            allp = points + baseline_points
            allt = targets + targets[:len(baseline_points)]
            res = _synth_on(backend, address, jobs, allp, allt, flow=flow, cache_dir=cache_dir, pnr=pnr,
                            progress=tick)
            synth, base_synth = res[:len(points)], res[len(points):]
        else:
            base_synth = []
            for _ in points:
                tick(1, True)
    finally:
        if bar is not None:
            bar.close()
    rows = estimate_rows(points, targets, synth=synth, base_synth=base_synth or None, fast=fast, flow=flow)
    seconds = time.perf_counter() - t0
    result = SweepResult(rows, skipped, seconds, n_synth, n_cached)
    out.mkdir(parents=True, exist_ok=True)
    from hadam_hw.artifact import atomic_write_bytes

    atomic_write_bytes(out / "sweep.csv", write_csv(rows).encode())
    result.files["csv"] = str(out / "sweep.csv")
    meta = {"grid": grid.__dict__, "fast": fast, "flow": flow, "pnr": pnr, "baseline": baseline,
            "points": len(rows), "synthesized": n_synth, "cached": n_cached, "seconds": round(seconds, 2),
            "skipped": skipped, "backend": backend if isinstance(backend, str) else backend.name}
    atomic_write_bytes(out / "sweep.md", markdown_table(rows, meta).encode())
    result.files["markdown"] = str(out / "sweep.md")
    atomic_write_bytes(out / "sweep.json", (json.dumps({"meta": meta, "rows": rows}, indent=1, default=str) + "\n").encode())
    result.files["json"] = str(out / "sweep.json")
    if plots:
        from .plots import sweep_plots

        result.files.update(sweep_plots(rows, out))
    return result


def _synth_on(backend: str | Backend, address: str | None, jobs: int | None, points, targets, **kw):
    """:func:`synth_points` on the backend named (made here and closed after) or given."""
    if isinstance(backend, Backend):
        return synth_points(points, targets, backend=backend, **kw)
    if backend == "local" and not address:
        return synth_points(points, targets, jobs=jobs, **kw)
    with make_backend(backend, cpus=jobs, address=address) as b:
        return synth_points(points, targets, backend=b, **kw)


def _bar(total: int, show: bool):
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="cfg", desc="sweep", leave=True)


def write_csv(rows: Sequence[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _fmt(r.get(k)) for k in CSV_COLUMNS})
    return buf.getvalue()


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else v


def markdown_table(rows: Sequence[dict], meta: dict | None = None) -> str:
    cols = [("target", "target"), ("tag", "configuration"), ("source", "source"), ("luts", "LUTs"),
            ("ffs", "FFs"), ("dsps", "DSP"), ("brams", "BRAM"), ("cycles_per_step", "cycles/step"),
            ("set_by", "set by"), ("latency_cycles", "latency"), ("fmax_mhz", "Fmax MHz"),
            ("analytic_error", "model err"), ("A_constant_luts", "A const LUTs"), ("dense_luts", "dense LUTs"),
            ("luts_vs_dense", "× dense"),
            ("area_time_vs_dense", "area·time × dense"), ("luts_vs_bound", "× bound")]
    lines = []
    if meta:
        lines.append(f"# Sweep: {meta['points']} configurations ({meta['synthesized']} synthesized, "
                     f"{meta['cached']} cached) in {meta['seconds']:.1f} s\n")
        lines.append(f"Flow `{meta['flow']}`{' (analytic model)' if meta['fast'] else ''}; dense baseline: "
                     f"{'analytic model' if meta['baseline'] != 'synth' or meta['fast'] else 'synthesized'}, lanes "
                     "matched to the configuration's cycles per step (closest; ties go to the faster); the bound is "
                     "the d·log2 b adder bits of the FWHT divided by cycles per step.\n")
    lines.append("| " + " | ".join(h for _, h in cols) + " |")
    lines.append("|" + "|".join("---" for _ in cols) + "|")
    for r in rows:
        cells = []
        for k, _ in cols:
            v = r.get(k)
            if k == "analytic_error" and v is not None:
                v = f"{v:+.1%}"
            elif k.endswith("_luts") and isinstance(v, float):
                v = f"{v:.0f}"
            elif isinstance(v, float):
                v = f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"
            cells.append("" if v is None else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    if meta and meta.get("skipped"):
        lines.append("\nSkipped: " + "; ".join(meta["skipped"]))
    return "\n".join(lines) + "\n"
