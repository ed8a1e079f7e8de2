"""One estimate, with its comparisons: synthesis (or the analytic model), the dense baseline at
the same throughput and the adder lower bound.

:func:`estimate` is what ``hadam-hw estimate`` prints: LUT-equivalents, flip-flops, block
RAMs and DSPs from Yosys (or the calibrated model), Fmax from nextpnr when asked, the exact
``cycles_per_step`` and ``latency_cycles`` of the manifest and which part sets the former,
the time per step and steps per second at Fmax, the analytic breakdown per component (what
the constant ``A`` costs, SPEC §6), and two references:

* the **dense** ±1/0 baseline (same model, ``arch=dense``) with ``lanes`` chosen so that its
  cycles per step come closest to the configuration's (lanes are powers of two; a tie goes
  to the faster one), with the LUT ratio and the area × time ratio (LUTs × cycles per
  step), which stays fair when the match is not exact;
* the **adder lower bound** (``d·log2 b`` FWHT adders, their bits divided by the cycles per
  step: :mod:`estimate.bounds`), against the total and against the recurrence's
  share of the analytic breakdown.

A design with runtime weights (``weights: "runtime"``) also gets the same design with baked
weights beside it (``rep["baked"]``): what the weight RAMs, the shape's wider datapath and
the AXI4-Lite slave cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from hadam_hw.config import Arch, HardwareConfig, Weights
from hadam_hw.errors import HadamHWError
from hadam_hw.model import HadamModel

from .bounds import adder_lower_bound
from .points import DesignPoint

__all__ = ["estimate", "dense_match", "estimate_rows", "format_report", "report_csv_row", "short_version"]


def dense_match(model: HadamModel, hw: HardwareConfig, point: DesignPoint | None = None):
    """``(dense design point or hardware config, its cycles per step, how it was matched)``.

    Lanes of the dense baseline are powers of two dividing the hidden size; the one whose
    cycles per step come closest to ``hw``'s wins, ties going to the faster.
    """
    from hadam_hw.schedule import make_schedule

    target_p = make_schedule(model, hw).cycles_per_step
    d = model.config.hidden
    best = None
    L = 1
    while L <= d:
        cand = HardwareConfig(arch=Arch.DENSE, lanes=L, pipeline=hw.pipeline, top=hw.top)
        try:
            p = make_schedule(model, cand).cycles_per_step
        except HadamHWError:
            p = None
        if p is not None:
            key = (abs(p - target_p), p)
            if best is None or key < best[0]:
                best = (key, cand, p)
        L *= 2
    if best is None:
        raise HadamHWError("no dense baseline fits this model")
    _, cand, p = best
    how = (f"dense lanes={cand.lanes}: {p} cycles/step vs {target_p} "
           + ("(exact)" if p == target_p else "(closest with power-of-two lanes; ties to the faster)"))
    if point is not None:
        return point.with_hw(arch="dense", lanes=cand.lanes, pipeline=hw.pipeline), p, how
    return cand, p, how


def _throughput(fmax: float | None, cycles: int) -> dict:
    if not fmax:
        return {"time_per_step_ns": None, "steps_per_s": None}
    return {"time_per_step_ns": cycles * 1e3 / fmax, "steps_per_s": fmax * 1e6 / cycles}


def _analytic(model, hw, target):
    from .model import load_calibration, predict

    try:
        load_calibration(target)
    except HadamHWError:
        return None
    return predict(model, hw, target)


def estimate(model: HadamModel, hw: HardwareConfig, target: str, *, fast: bool = False, flow: str = "fast",
             flags: Sequence[str] | None = None, pnr: bool = False, freq_mhz: float = 100.0,
             cache_dir: Path | None = None, baseline: bool = True, artifact_sha256: str | None = None) -> dict:
    """The full report for ``model`` built as ``hw`` on ``target`` (a JSON-able dict)."""
    from hadam_hw.schedule import make_schedule

    from .synth import TARGETS

    if target not in TARGETS:
        raise HadamHWError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    S = make_schedule(model, hw)
    cfg = model.config
    ana = _analytic(model, hw, target)
    if fast and ana is None:
        from .model import load_calibration

        load_calibration(target)  # raises the one-sentence error
    rep: dict = {
        "model": cfg.tag, "hardware": hw.tag, "target": target, "arch": hw.arch.value, "lanes": hw.lanes,
        "pipeline": hw.pipeline, "hidden": cfg.hidden, "block": cfg.block, "sparsity": cfg.sparsity,
        "state_bits": cfg.state_bits, "n_in": cfg.n_in, "n_out": cfg.n_out,
        "cycles_per_step": S.cycles_per_step, "latency_cycles": S.latency_cycles, "set_by": S.set_by,
        "cycles_per_step_parts": dict(S.parts), "interleave": S.interleave, "loop_cycles": S.loop_cycles,
    }
    if fast:
        rep.update({"source": "analytic", "luts": round(ana.luts), "ffs": round(ana.ffs), "brams": ana.brams,
                    "dsps": ana.dsps, "carries": None, "fmax_mhz": None, "command": None,
                    "flow": ana.calibration["flow"], "flags": ana.calibration["flags"],
                    "yosys_version": ana.calibration["yosys_version"], "cached": None, "seconds": None})
    else:
        from rtl_gen.cache import generate_cached

        from .synth import synthesize

        v, manifest = generate_cached(model, hw, cache_dir=cache_dir, artifact_sha256=artifact_sha256)
        if (manifest["cycles_per_step"], manifest["latency_cycles"]) != (S.cycles_per_step, S.latency_cycles):
            raise HadamHWError("the manifest's timing disagrees with the schedule: the RTL cache is stale")
        r = synthesize(v, manifest["top"], target, flags=tuple(flags) if flags is not None else None, flow=flow,
                       pnr=pnr, freq_mhz=freq_mhz, cache_dir=(Path(cache_dir) / "synth") if cache_dir else None)
        rep.update({"source": "yosys", "luts": r.luts, "ffs": r.ffs, "brams": r.brams, "dsps": r.dsps,
                    "carries": r.carries, "fmax_mhz": r.fmax_mhz, "command": r.command,
                    "pnr_command": r.pnr_command, "flow": flow, "flags": list(flags) if flags is not None else
                    list(TARGETS[target].flags), "yosys_version": r.yosys_version, "cached": r.cached,
                    "seconds": round(r.seconds, 2), "cells": r.cells, "verilog": str(v),
                    "does_not_fit": r.extra.get("does_not_fit")})
    rep.update(_throughput(rep.get("fmax_mhz"), S.cycles_per_step))
    if ana is not None:
        rep["analytic"] = {
            "luts": ana.luts, "ffs": ana.ffs, "dsps": ana.dsps, "brams": ana.brams,
            "error_vs_yosys": None if fast else ana.luts / rep["luts"] - 1,
            "by_part": ana.by_part, "breakdown": ana.breakdown, "facts": ana.facts,
            "calibration": {k: ana.calibration[k] for k in ("flow", "flags", "yosys_version")},
            "calibration_error": ana.calibration["stats"].get("validation", {}),
        }
        rep["A_constant_luts"] = ana.by_part.get("A_constant", {}).get("luts", 0.0)
        rep["recurrence_luts"] = ana.by_part.get("recurrence", {}).get("luts", 0.0)
        rep["A_signed_digits"] = ana.facts["A_signed_digits"]
    bound = adder_lower_bound(cfg, S.cycles_per_step)
    rep["bound"] = {"adders_per_step": bound.adders_per_step, "adder_bits_per_step": bound.adder_bits_per_step,
                    "luts": bound.luts}
    rep["luts_vs_bound"] = rep["luts"] / bound.luts if bound.luts else math.inf
    if "recurrence_luts" in rep and bound.luts:
        rep["recurrence_vs_bound"] = rep["recurrence_luts"] / bound.luts
    if baseline:
        dhw, dp, how = dense_match(model, hw)
        if hw.arch is Arch.DENSE and dhw.lanes == hw.lanes:
            base = _baseline_from(rep)  # the configuration is its own baseline
        elif fast:
            from .model import predict

            a = predict(model, dhw, target)
            base = {"luts": round(a.luts), "ffs": round(a.ffs), "dsps": a.dsps, "brams": a.brams, "source": "analytic"}
        else:
            sub = estimate(model, dhw, target, flow=flow, flags=flags, cache_dir=cache_dir, baseline=False,
                           artifact_sha256=artifact_sha256)
            base = {k: sub[k] for k in ("luts", "ffs", "dsps", "brams")} | {"source": sub["source"]}
        rep["dense"] = {"lanes": dhw.lanes, "cycles_per_step": dp, "matched": how, **base}
        rep["luts_vs_dense"] = rep["luts"] / base["luts"]
        rep["area_time_vs_dense"] = (rep["luts"] * S.cycles_per_step) / (base["luts"] * dp)
    if hw.weights is Weights.RUNTIME:
        sub = estimate(model, hw.replace(weights=Weights.BAKED), target, fast=fast, flow=flow, flags=flags,
                       cache_dir=cache_dir, baseline=False, artifact_sha256=artifact_sha256)
        rep["baked"] = {k: sub[k] for k in ("luts", "ffs", "dsps", "brams", "source", "hardware")}
        rep["luts_vs_baked"] = rep["luts"] / sub["luts"]
    rep["interface"], rep["weights"] = hw.interface.value, hw.weights.value
    return rep


def _baseline_from(rep: dict) -> dict:
    return {"luts": rep["luts"], "ffs": rep["ffs"], "dsps": rep["dsps"], "brams": rep["brams"], "source": rep["source"]}


def estimate_rows(points: Sequence[DesignPoint], targets: Sequence[str], *, synth=None, base_synth=None,
                  fast: bool = False, flow: str = "fast") -> list[dict]:
    """Sweep rows (flat dicts, the CSV columns) from synthesis results or the analytic model."""
    from .model import load_calibration, predict

    rows = []
    for i, (p, t) in enumerate(zip(points, targets, strict=True)):
        model, hw = p.model(), p.hw()
        cfg = model.config
        try:
            load_calibration(t)
            ana = predict(model, hw, t)
        except HadamHWError:
            if fast:
                raise
            ana = None
        s = synth[i] if synth is not None else None
        row = {"target": t, "tag": p.tag, "hidden": p.hidden, "block": p.block, "sparsity": cfg.sparsity,
               "arch": p.arch, "lanes": p.lanes, "pipeline": p.pipeline, "state_bits": p.state_bits,
               "n_in": p.n_in, "n_out": p.n_out}
        if s is not None:
            row.update({"source": "yosys", "luts": s["luts"], "ffs": s["ffs"], "brams": s["brams"], "dsps": s["dsps"],
                        "fmax_mhz": s["fmax_mhz"], "cycles_per_step": s["cycles_per_step"],
                        "latency_cycles": s["latency_cycles"], "set_by": s["set_by"], "cached": s["cached"],
                        "seconds": round(s["seconds"], 2)})
        else:
            row.update({"source": "analytic", "luts": round(ana.luts), "ffs": round(ana.ffs), "brams": ana.brams,
                        "dsps": ana.dsps, "fmax_mhz": None, "cycles_per_step": ana.cycles_per_step,
                        "latency_cycles": ana.latency_cycles, "set_by": ana.set_by, "cached": None, "seconds": None})
        P = row["cycles_per_step"]
        row["steps_per_s"] = row["fmax_mhz"] * 1e6 / P if row.get("fmax_mhz") else None
        if ana is not None:
            row["A_signed_digits"] = ana.facts["A_signed_digits"]
            row["A_constant_luts"] = ana.by_part.get("A_constant", {}).get("luts", 0.0)
            row["recurrence_luts"] = ana.by_part.get("recurrence", {}).get("luts", 0.0)
            row["analytic_luts"] = ana.luts
            row["analytic_error"] = ana.luts / row["luts"] - 1 if s is not None else None
        bound = adder_lower_bound(cfg, P)
        row["bound_luts"] = bound.luts
        row["luts_vs_bound"] = row["luts"] / bound.luts if bound.luts else None
        if row.get("recurrence_luts") is not None and bound.luts:
            row["recurrence_vs_bound"] = row["recurrence_luts"] / bound.luts
        dp_point, dp, _how = dense_match(model, hw, p)
        row["dense_lanes"], row["dense_cycles_per_step"] = dp_point.lanes, dp
        bs = base_synth[i] if base_synth is not None else None
        if bs is not None:
            row["dense_luts"], row["dense_source"] = bs["luts"], "yosys"
        elif p.arch == "dense" and dp_point.lanes == p.lanes:
            row["dense_luts"], row["dense_source"] = row["luts"], row["source"]
        else:
            try:
                row["dense_luts"] = round(predict(dp_point.model(), dp_point.hw(), t).luts)
                row["dense_source"] = "analytic"
            except HadamHWError:
                row["dense_luts"] = row["dense_source"] = None
        if row.get("dense_luts"):
            row["luts_vs_dense"] = row["luts"] / row["dense_luts"]
            row["area_time_vs_dense"] = row["luts"] * P / (row["dense_luts"] * dp)
        rows.append(row)
    return rows


def short_version(v: str) -> str:
    """``Yosys 0.70 (git sha1 28ba3cb92)`` out of Yosys' long version line."""
    head, _, rest = v.partition(" (")
    sha = rest.split(",")[0] if rest else ""
    return f"{head} ({sha})" if sha else head


def _f(v, nd: int = 0) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _fmax_text(rep: dict) -> str:
    if rep.get("fmax_mhz"):
        return _f(rep["fmax_mhz"], 1) + " MHz"
    if rep.get("does_not_fit"):
        return f"—  does not fit ({rep['does_not_fit']})"
    return "—  (add --pnr: ice40, ecp5)"


def format_report(rep: dict) -> str:
    """The human-readable table of one estimate."""
    src = "Yosys " + rep["flow"] + " flow" if rep["source"] == "yosys" else "analytic model (no synthesis)"
    lines = [
        f"{rep['model']}  {rep['hardware']}  on {rep['target']}  [{src}]",
        f"  LUT-equivalents   {_f(rep['luts']):>10}   (carry cells counted as the LUTs they occupy)",
        f"  flip-flops        {_f(rep['ffs']):>10}",
        f"  block RAM         {_f(rep['brams']):>10}",
        f"  DSP               {_f(rep['dsps']):>10}",
        f"  Fmax              {_fmax_text(rep):>10}",
        f"  cycles per step   {_f(rep['cycles_per_step']):>10}   set by the {rep['set_by'].replace('_', ' ')} "
        f"(" + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in rep["cycles_per_step_parts"].items()) + ")",
        f"  latency           {_f(rep['latency_cycles']):>10}   cycles, x handshake to y valid",
    ]
    c = rep.get("interleave", 1)
    if c > 1:  # SPEC §4.1: the figures are for all the sequences together
        lines.insert(-1, f"  interleaved       {c:>10}   sequences round-robin: cycles per step and steps/s are "
                         f"aggregate (one sequence alone: {rep['loop_cycles']} cycles per step)")
    if rep.get("time_per_step_ns"):
        agg = " aggregate" if c > 1 else ""
        lines.append(f"  time per step     {rep['time_per_step_ns']:>10.1f}   ns;  {rep['steps_per_s']:,.0f}{agg} "
                     "steps/s at Fmax")
    if "dense" in rep:
        d = rep["dense"]
        lines.append(f"  dense baseline    {_f(d['luts']):>10}   LUTs ({d['source']}; {d['matched']}): "
                     f"×{rep['luts_vs_dense']:.2f} LUTs, ×{rep['area_time_vs_dense']:.2f} area·time")
    if "baked" in rep:
        k = rep["baked"]
        lines.append(f"  baked weights     {_f(k['luts']):>10}   LUTs, {_f(k['ffs'])} FFs, {_f(k['brams'])} block RAM, "
                     f"{_f(k['dsps'])} DSP ({k['hardware']}, {k['source']}): runtime weights ×{rep['luts_vs_baked']:.2f} LUTs")
    b = rep["bound"]
    extra = f", recurrence alone ×{rep['recurrence_vs_bound']:.2f}" if rep.get("recurrence_vs_bound") else ""
    lines.append(f"  adder lower bound {b['luts']:>10,.0f}   LUTs ({b['adders_per_step']:,} adders of the FWHT per "
                 f"step / {rep['cycles_per_step']} cycles): total ×{rep['luts_vs_bound']:.2f}{extra}")
    a = rep.get("analytic")
    if a:
        err = f", {a['error_vs_yosys']:+.1%} vs Yosys" if a.get("error_vs_yosys") is not None else ""
        lines.append(f"  analytic model    {a['luts']:>10,.0f}   LUTs, {a['ffs']:,.0f} FFs{err}; per part:")
        for part, v in sorted(a["by_part"].items(), key=lambda kv: -kv[1]["luts"]):
            if v["luts"] >= 0.5 or v["ffs"] >= 0.5:
                lines.append(f"      {part.replace('_', ' '):<18} {v['luts']:>9,.0f} LUTs {v['ffs']:>8,.0f} FFs")
        facts = a["facts"]
        if facts["A_signed_digits"] > 1:
            lines.append(f"  constant A = {facts['A']} has {facts['A_signed_digits']} signed digits (odd log2 b: "
                         f"1/sqrt(2) is irrational): {rep['A_constant_luts']:,.0f} LUTs, gain {facts['A_gain']:.6f}; "
                         "a block size that is a power of 4 makes it a shift")
    if rep["source"] == "yosys":
        when = "cached" if rep["cached"] else f"{rep['seconds']} s"
        lines.append(f"  yosys: {rep['command']}  ({short_version(rep['yosys_version'])}, {when})")
        if rep.get("pnr_command"):
            lines.append(f"  nextpnr: {rep['pnr_command']}")
    else:
        lines.append(f"  coefficients fitted with the {rep['flow']} flow, flags {' '.join(rep['flags']) or '(none)'}, "
                     f"{short_version(rep['yosys_version'])}")
    return "\n".join(lines)


def report_csv_row(rep: dict) -> dict:
    """The flat subset of a report that goes into a CSV line (same columns as a sweep)."""
    a = rep.get("analytic") or {}
    d = rep.get("dense") or {}
    return {
        "target": rep["target"], "tag": f"{rep['model']}-{rep['hardware']}", "hidden": rep["hidden"],
        "block": rep["block"], "sparsity": rep["sparsity"], "arch": rep["arch"], "lanes": rep["lanes"],
        "pipeline": rep["pipeline"], "state_bits": rep["state_bits"], "n_in": rep["n_in"], "n_out": rep["n_out"],
        "source": rep["source"], "luts": rep["luts"], "ffs": rep["ffs"], "brams": rep["brams"], "dsps": rep["dsps"],
        "fmax_mhz": rep.get("fmax_mhz"), "cycles_per_step": rep["cycles_per_step"],
        "latency_cycles": rep["latency_cycles"], "set_by": rep["set_by"], "steps_per_s": rep.get("steps_per_s"),
        "A_signed_digits": rep.get("A_signed_digits"), "A_constant_luts": rep.get("A_constant_luts"),
        "recurrence_luts": rep.get("recurrence_luts"), "analytic_luts": a.get("luts"),
        "analytic_error": a.get("error_vs_yosys"), "dense_lanes": d.get("lanes"),
        "dense_cycles_per_step": d.get("cycles_per_step"), "dense_luts": d.get("luts"),
        "dense_source": d.get("source"), "luts_vs_dense": rep.get("luts_vs_dense"),
        "area_time_vs_dense": rep.get("area_time_vs_dense"), "bound_luts": rep["bound"]["luts"],
        "luts_vs_bound": rep["luts_vs_bound"], "recurrence_vs_bound": rep.get("recurrence_vs_bound"),
        "cached": rep.get("cached"), "seconds": rep.get("seconds"),
    }
