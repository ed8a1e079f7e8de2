"""Hardware efficiency: every architecture of one model, side by side, in one run.

For a random model (default: hidden 128, block 128, 10 inputs, 9 outputs, 12-bit state)
on one target, prints per architecture: LUT-equivalents, flip-flops, DSPs, block RAMs,
Fmax (with ``--pnr``), cycles per step (and which part sets it), steps per second, and the
ratios to the **dense ±1 baseline of the same run** (same pipelining, one lane: the best
dense design the generator builds): LUTs, steps per second, and area × time (LUTs per
step per second). Then the adder lower bound, the analytic model's prediction and its
error against Yosys. Synthesis and place-and-route results are cached: a second run is
instant.

    .venv/bin/python bench/hw_efficiency.py [--target ecp5] [--hidden 128] [--block 128]
        [--archs adder_tree,butterfly,sdf,dense] [--pipeline K] [--pnr] [--fast]
"""

from __future__ import annotations

import argparse
import time

from estimate.points import DesignPoint
from estimate.report import estimate
from hadam_hw.config import HardwareConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="ecp5")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--block", type=int, default=0, help="0 = hidden")
    ap.add_argument("--n-in", type=int, default=10)
    ap.add_argument("--n-out", type=int, default=9)
    ap.add_argument("--state-bits", type=int, default=12)
    ap.add_argument("--archs", default="adder_tree,butterfly,sdf,dense")
    ap.add_argument("--pipeline", type=int, default=HardwareConfig().pipeline,
                    help="adder levels per register (default: the generator's default design)")
    ap.add_argument("--pnr", action="store_true", help="nextpnr Fmax (ice40, ecp5; slow for large designs)")
    ap.add_argument("--fast", action="store_true", help="the analytic model only")
    args = ap.parse_args()

    t0 = time.perf_counter()
    archs = args.archs.split(",")
    if "dense" not in archs:
        archs.append("dense")  # the baseline every ratio refers to
    rows = {}
    for arch in archs:
        p = DesignPoint(args.hidden, args.block, arch, n_in=args.n_in, n_out=args.n_out, state_bits=args.state_bits,
                        pipeline=args.pipeline)
        rows[arch] = estimate(p.model(), p.hw(), args.target, fast=args.fast, pnr=args.pnr, baseline=False)
    base = rows["dense"]
    m = base
    print(f"{m['model']} on {args.target}, pipeline {args.pipeline} "
          f"({'analytic model' if args.fast else 'Yosys ' + m['flow'] + ' flow'}"
          f"{', nextpnr' if args.pnr else ''}); ratios to dense {base['hardware']}")
    hdr = (f"{'arch':<11}{'LUT-eq':>8}{'FFs':>7}{'DSP':>5}{'BRAM':>5}{'Fmax':>7}{'cyc/step':>9}{'latency':>8}"
           f"{'Msteps/s':>9}  {'set by':<17}{'×LUT':>6}{'×steps/s':>9}{'×area·t':>8}{'bound':>7}{'×bound':>7}"
           f"{'model':>8}{'err':>7}")
    print(hdr)
    for r in rows.values():
        a = r.get("analytic") or {}
        err = a.get("error_vs_yosys")
        sps, bsps = r.get("steps_per_s"), base.get("steps_per_s")
        if not sps:  # no Fmax: compare cycles per step
            sps, bsps = 1 / r["cycles_per_step"], 1 / base["cycles_per_step"]
        f = r.get("fmax_mhz")
        line = (f"{r['arch']:<11}{r['luts']:>8,}{r['ffs']:>7,}{r['dsps']:>5}{r['brams']:>5}"
                f"{(f'{f:.1f}' if f else '-'):>7}{r['cycles_per_step']:>9}{r['latency_cycles']:>8}"
                f"{(r.get('steps_per_s') or 0) / 1e6:>9.3f}  {r['set_by']:<17}"
                f"{r['luts'] / base['luts']:>6.2f}{sps / bsps:>9.2f}{(r['luts'] / sps) / (base['luts'] / bsps):>8.2f}"
                f"{r['bound']['luts']:>7.0f}{r['luts_vs_bound']:>7.1f}"
                f"{a.get('luts', 0):>8,.0f}{'' if err is None else f'{err:+.1%}':>7}")
        print(line)
    a = base.get("analytic") or {}
    if a and a["facts"]["A_signed_digits"] > 1:
        print(f"  A = {a['facts']['A']} ({a['facts']['A_signed_digits']} signed digits): "
              + ", ".join(f"{r['arch']} {r['A_constant_luts']:,.0f}" for r in rows.values()) + " LUTs")
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
