"""Hardware efficiency: every architecture of one model, side by side, in one run.

For a random model (default: hidden 128, block 128, 10 inputs, 9 outputs, 12-bit state)
on one target, prints per architecture: LUT-equivalents, flip-flops, DSPs, block RAMs,
Fmax (with ``--pnr``), cycles per step (and which part sets it), steps per second, and the
ratios to the **dense ±1 baseline of the same run** (same pipelining, one lane: the best
dense design the generator builds): LUTs, steps per second, and area × time (LUTs per
step per second). Then the adder lower bound, the analytic model's prediction and its
error against Yosys. Synthesis and place-and-route results are cached: a second run is
instant.

``--also-target ice40`` (a comma list) adds, beside the main target's figures, each further
target's LUTs and Fmax on its default part (``hadam_hw.targets``: the iCE40 HX8K for ice40).
A design larger than that part is not placed: its column says ``does not fit (N LUT >
7,680)`` (or nextpnr's cell count over the part's, when packing needs more cells than the
LUT and FF counts). ``--compare-pipeline K`` also builds every architecture with
``--pipeline K`` (0: the minimal-latency design) and prints it under the default one, with
the clock and throughput gain of the default design over it. Every ratio still refers to
the dense design of the default pipelining.

    .venv/bin/python bench/hw_efficiency.py [--target ecp5] [--also-target ice40] [--hidden 128]
        [--block 128] [--archs adder_tree,butterfly,sdf,dense] [--pipeline K] [--compare-pipeline K]
        [--pnr] [--fast]
"""

from __future__ import annotations

import argparse
import sys
import time

from estimate.points import DesignPoint
from estimate.report import estimate
from hadam_hw.config import HardwareConfig
from hadam_hw.errors import HadamHWError
from hadam_hw.targets import DEVICES, get_target

FAR_OVER = 2


def _misfit(r: dict, target: str) -> str | None:
    """Why the design of report ``r`` cannot fit ``target``'s default part, or None."""
    if r.get("does_not_fit"):
        return r["does_not_fit"]
    device = DEVICES[get_target(target).default_device]
    why = device.misfit(luts=r["luts"], ffs=r["ffs"], brams=r["brams"], dsps=r["dsps"])
    return f"{why} of {device.name}" if why else None


def _far_too_large(p: DesignPoint, target: str, fast: bool) -> dict | None:
    """The analytic report of a design predicted over ``FAR_OVER`` times the LUTs of
    ``target``'s default part (marked as not fitting), or None: such a design is not
    synthesized for a further target (a hidden-128 butterfly takes Yosys many minutes)."""
    if fast:
        return None
    rep = estimate(p.model(), p.hw(), target, fast=True, baseline=False)
    device = DEVICES[get_target(target).default_device]
    if rep["luts"] <= FAR_OVER * device.luts:
        return None
    rep["does_not_fit"] = f"~{rep['luts']:,} LUT predicted > {device.luts:,} of {device.name}"
    return rep


def _fmax_text(r: dict | None, target: str, error: str | None = None) -> str:
    if error:
        return f"failed ({error})"
    if r.get("fmax_mhz"):
        return f"{r['fmax_mhz']:.1f}"
    why = _misfit(r, target)
    return f"does not fit ({why.rsplit(' of ', 1)[0]})" if why else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="ecp5")
    ap.add_argument("--also-target", default="",
                    help="comma list of further targets whose LUTs and Fmax (default part) go beside the main ones")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--block", type=int, default=0, help="0 = hidden")
    ap.add_argument("--n-in", type=int, default=10)
    ap.add_argument("--n-out", type=int, default=9)
    ap.add_argument("--state-bits", type=int, default=12)
    ap.add_argument("--archs", default="adder_tree,butterfly,sdf,dense")
    ap.add_argument("--pipeline", type=int, default=HardwareConfig().pipeline,
                    help="adder levels per register (default: the generator's default design)")
    ap.add_argument("--compare-pipeline", type=int, default=None, metavar="K",
                    help="also build every architecture with --pipeline K (0: the minimal-latency design)")
    ap.add_argument("--pnr", action="store_true", help="nextpnr Fmax (ice40, ecp5; slow for large designs)")
    ap.add_argument("--fast", action="store_true", help="the analytic model only")
    args = ap.parse_args()
    also = [t for t in args.also_target.split(",") if t and t != args.target]
    for t in [args.target, *also]:
        try:
            get_target(t)
        except HadamHWError as e:
            ap.error(str(e))
    if args.compare_pipeline is not None and args.compare_pipeline == args.pipeline:
        ap.error(f"--compare-pipeline must differ from --pipeline {args.pipeline}")

    t0 = time.perf_counter()
    archs = args.archs.split(",")
    if "dense" not in archs:
        archs.append("dense")  # the baseline every ratio refers to
    pipelines = [args.pipeline] + ([args.compare_pipeline] if args.compare_pipeline is not None else [])
    designs = [(arch, k) for arch in archs for k in pipelines]
    jobs = [(d, t) for t in [args.target, *also] for d in designs]
    rows: dict[tuple, dict] = {}
    errors: dict[tuple, str] = {}
    for n, ((arch, k), target) in enumerate(jobs, 1):
        p = DesignPoint(args.hidden, args.block, arch, n_in=args.n_in, n_out=args.n_out, state_bits=args.state_bits,
                        pipeline=k)
        t1 = time.perf_counter()
        print(f"[{n}/{len(jobs)}] {arch} pipeline {k} on {target} ...", end="", file=sys.stderr, flush=True)
        try:
            rows[(arch, k, target)] = (target != args.target and _far_too_large(p, target, args.fast)
                                       or estimate(p.model(), p.hw(), target, fast=args.fast, pnr=args.pnr,
                                                   baseline=False))
        except HadamHWError as e:
            errors[(arch, k, target)] = str(e).splitlines()[0]
        print(f" {time.perf_counter() - t1:.0f} s", file=sys.stderr, flush=True)
    base = rows.get(("dense", args.pipeline, args.target))
    if base is None:
        sys.exit(f"the dense baseline failed on {args.target}: {errors[('dense', args.pipeline, args.target)]}")
    m = base
    print(f"{m['model']} on {args.target} ({DEVICES[get_target(args.target).default_device].name}), "
          f"{'analytic model' if args.fast else 'Yosys ' + m['flow'] + ' flow'}{', nextpnr' if args.pnr else ''}; "
          f"ratios to dense {base['hardware']}")
    for t in also:
        print(f"  beside it: {t} on {DEVICES[get_target(t).default_device].name} "
              f"({'analytic model' if args.fast else 'Yosys ' + m['flow'] + ' flow'}{', nextpnr' if args.pnr else ''})")
    hdr = (f"{'design':<14}{'LUT-eq':>8}{'FFs':>7}{'DSP':>5}{'BRAM':>5}{'Fmax':>8}{'cyc/step':>9}{'latency':>8}"
           f"{'Msteps/s':>9}  {'set by':<17}{'×LUT':>6}{'×steps/s':>9}{'×area·t':>8}{'bound':>7}{'×bound':>7}"
           f"{'model':>8}{'err':>7}")
    for t in also:
        hdr += f"  {t + ' LUT':>10}  {t + ' Fmax'}"
    print(hdr)
    notes = []
    for arch, k in designs:
        name = f"{arch}-p{k}"
        r = rows.get((arch, k, args.target))
        if r is None:
            line = f"{name:<14}  failed: {errors[(arch, k, args.target)]}"
            print(line)
            continue
        a = r.get("analytic") or {}
        err = a.get("error_vs_yosys")
        sps, bsps = r.get("steps_per_s"), base.get("steps_per_s")
        if not args.pnr:  # no Fmax at all: compare cycles per step
            sps, bsps = 1 / r["cycles_per_step"], 1 / base["cycles_per_step"]
        f = r.get("fmax_mhz")
        why = None if f or not args.pnr else _misfit(r, args.target)
        if why:
            notes.append(f"{name} on {args.target}: does not fit ({why}), not placed")
        msps = f"{r['steps_per_s'] / 1e6:.3f}" if r.get("steps_per_s") else "-"
        at = f"{(r['luts'] / sps) / (base['luts'] / bsps):>8.2f}" if sps and bsps else f"{'-':>8}"
        line = (f"{name:<14}{r['luts']:>8,}{r['ffs']:>7,}{r['dsps']:>5}{r['brams']:>5}"
                f"{(f'{f:.1f}' if f else ('no fit' if why else '-')):>8}{r['cycles_per_step']:>9}"
                f"{r['latency_cycles']:>8}{msps:>9}"
                f"  {r['set_by']:<17}"
                f"{r['luts'] / base['luts']:>6.2f}{(f'{sps / bsps:.2f}' if sps and bsps else '-'):>9}{at}"
                f"{r['bound']['luts']:>7.0f}{r['luts_vs_bound']:>7.1f}"
                f"{a.get('luts', 0):>8,.0f}{'' if err is None else f'{err:+.1%}':>7}")
        for t in also:
            r2 = rows.get((arch, k, t))
            if r2 is None:
                line += f"  {'-':>10}  {_fmax_text(None, t, errors[(arch, k, t)])}"
                continue
            luts = f"{'~' if r2['source'] == 'analytic' and not args.fast else ''}{r2['luts']:,}"
            line += f"  {luts:>10}  {_fmax_text(r2, t) if args.pnr or _misfit(r2, t) else '-'}"
        print(line)
    if args.compare_pipeline is not None and args.pnr:
        print(f"  pipeline {args.pipeline} over pipeline {args.compare_pipeline}:")
        for arch in archs:
            gains = []
            for t in [args.target, *also]:
                new, old = rows.get((arch, args.pipeline, t)), rows.get((arch, args.compare_pipeline, t))
                if new and old and new.get("steps_per_s") and old.get("steps_per_s"):
                    gains.append(f"{t} ×{new['fmax_mhz'] / old['fmax_mhz']:.1f} Fmax "
                                 f"(×{new['steps_per_s'] / old['steps_per_s']:.1f} steps/s)")
            print(f"    {arch:<11} " + (", ".join(gains) or "no Fmax on both sides"))
    for note in notes:
        print(f"  {note}")
    a = base.get("analytic") or {}
    if a and a["facts"]["A_signed_digits"] > 1:
        print(f"  A = {a['facts']['A']} ({a['facts']['A_signed_digits']} signed digits): "
              + ", ".join(f"{arch}-p{k} {r['A_constant_luts']:,.0f}" for (arch, k, t), r in rows.items()
                          if t == args.target) + " LUTs")
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
