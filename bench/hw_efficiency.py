"""Hardware efficiency: every architecture of one model, side by side, in one run.

For a random model (default: hidden 128, block 128, 10 inputs, 9 outputs, 12-bit state)
on one target, prints per architecture: LUT-equivalents, flip-flops, DSPs, cycles per step
(and which part sets it), the dense ±1 baseline at the same throughput and the ratios
(LUTs, and area × time = LUTs × cycles per step), the adder lower bound and the ratio to
it, the analytic model's prediction and its error against Yosys, and — with ``--pnr`` —
Fmax and steps per second. Synthesis results are cached, so a second run is instant.

    .venv/bin/python bench/hw_efficiency.py [--target ecp5] [--hidden 128] [--block 128]
        [--archs adder_tree,butterfly,sdf,dense] [--pnr] [--fast]
"""

from __future__ import annotations

import argparse
import time

from estimate.points import DesignPoint
from estimate.report import estimate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="ecp5")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--block", type=int, default=0, help="0 = hidden")
    ap.add_argument("--n-in", type=int, default=10)
    ap.add_argument("--n-out", type=int, default=9)
    ap.add_argument("--state-bits", type=int, default=12)
    ap.add_argument("--archs", default="adder_tree,butterfly,sdf,dense")
    ap.add_argument("--pnr", action="store_true", help="nextpnr Fmax (ice40, ecp5; slow for large designs)")
    ap.add_argument("--fast", action="store_true", help="the analytic model only")
    args = ap.parse_args()

    t0 = time.perf_counter()
    rows = []
    for arch in args.archs.split(","):
        p = DesignPoint(args.hidden, args.block, arch, n_in=args.n_in, n_out=args.n_out, state_bits=args.state_bits)
        rep = estimate(p.model(), p.hw(), args.target, fast=args.fast, pnr=args.pnr)
        rows.append(rep)
    m = rows[0]
    print(f"{m['model']} on {args.target} ({'analytic model' if args.fast else 'Yosys ' + m['flow'] + ' flow'})")
    hdr = (f"{'arch':<11}{'LUTs':>8}{'FFs':>7}{'DSP':>5}{'cyc/step':>9}  {'set by':<17}{'dense@P':>8}{'×dense':>7}"
           f"{'×area·t':>8}{'bound':>7}{'×bound':>8}{'×bound rec':>11}{'model':>8}{'err':>7}")
    if args.pnr:
        hdr += f"{'Fmax':>7}{'Msteps/s':>9}"
    print(hdr)
    for r in rows:
        a = r.get("analytic") or {}
        err = a.get("error_vs_yosys")
        line = (f"{r['arch']:<11}{r['luts']:>8,}{r['ffs']:>7,}{r['dsps']:>5}{r['cycles_per_step']:>9}  "
                f"{r['set_by']:<17}{r['dense']['luts']:>8,}{r['luts_vs_dense']:>7.2f}{r['area_time_vs_dense']:>8.2f}"
                f"{r['bound']['luts']:>7.0f}{r['luts_vs_bound']:>8.1f}{r.get('recurrence_vs_bound', 0):>11.1f}"
                f"{a.get('luts', 0):>8,.0f}{'' if err is None else f'{err:+.1%}':>7}")
        if args.pnr:
            f = r.get("fmax_mhz")
            line += f"{f or 0:>7.1f}{(r.get('steps_per_s') or 0) / 1e6:>9.2f}"
        print(line)
    for r in rows:
        print(f"  {r['arch']}: dense baseline {r['dense']['matched']}")
    a = rows[0].get("analytic") or {}
    if a and a["facts"]["A_signed_digits"] > 1:
        print(f"  A = {a['facts']['A']} ({a['facts']['A_signed_digits']} signed digits): "
              + ", ".join(f"{r['arch']} {r['A_constant_luts']:,.0f}" for r in rows) + " LUTs")
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
