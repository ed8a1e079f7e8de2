"""``hadam-hw estimate`` and ``hadam-hw sweep``: FPGA cost of a model in hardware (nothing heavy imported here)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from hadam_hw.cliargs import (
    add_hardware_options,
    block_list,
    choice_list,
    existing_file,
    int_list,
    positive_int,
)
from hadam_hw.errors import HadamHWError
from hadam_hw.targets import DEVICES, target_names

from .backends import BACKENDS

__all__ = ["register", "add_backend_options", "check_backend_options", "BACKEND_NAMES"]

FLOWS = ("fast", "full")
BACKEND_NAMES = tuple(BACKENDS)


def register(sub) -> None:
    p = sub.add_parser(
        "estimate",
        help="FPGA cost of a model in hardware: synthesis (Yosys, nextpnr) or the calibrated analytic model",
        description="Generate the cell for MODEL and synthesize it with Yosys (cached): LUT-equivalents, "
        "flip-flops, block RAM, DSP, Fmax with --pnr, cycles per step and latency from the manifest, "
        "throughput at Fmax, the dense baseline at the same throughput and the adder lower bound. "
        "--fast uses the analytic model instead (milliseconds). --calibrate refits the analytic model "
        "for --target against Yosys.",
    )
    p.add_argument("model", nargs="?", type=existing_file, help="a *.hrnn.npz artifact")
    add_hardware_options(p)
    p.add_argument("--target", choices=target_names(), required=True, help="FPGA family")
    p.add_argument("--flow", choices=FLOWS, default="fast",
                   help="Yosys flow: 'fast' (abc9 mapping without resynthesis) or 'full' (default fast)")
    p.add_argument("--pnr", action="store_true", help="also place and route with nextpnr for Fmax (ice40, ecp5)")
    p.add_argument("--freq", type=float, default=100.0, help="nextpnr target frequency in MHz (default 100)")
    p.add_argument("--fast", action="store_true", help="the analytic model, no synthesis")
    p.add_argument("--no-baseline", action="store_true", help="skip the dense baseline")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--csv", metavar="FILE", help="also write the figures as a CSV line (with header) to FILE")
    p.add_argument("--cache-dir", metavar="DIR", help="root of the RTL and synthesis caches "
                   "(default $HADAM_HW_CACHE or ~/.cache/hadam-hw)")
    p.add_argument("--calibrate", action="store_true",
                   help="refit the analytic model for --target on the calibration set and write its JSON")
    p.add_argument("--calibration-dir", metavar="DIR",
                   help="with --calibrate: where to write <target>.json (default: the package's own)")
    p.add_argument("--reuse-unchanged", action="store_true",
                   help="with --calibrate: keep the stored Yosys figures of the points whose generated Verilog "
                   "has the sha256 stored with them (same flow, flags, Yosys version); synthesize the rest")
    p.add_argument("--jobs", type=positive_int, default=None, help="parallel syntheses (default: CPU count)")
    p.set_defaults(func=_estimate)

    r = sub.add_parser(
        "recommend",
        help="which design to pick: the configurations that meet a throughput and fit a device, smallest first",
        description="List every architecture/lanes/pipelining of MODEL that meets --cycles-per-step (and "
        "--latency) and fits --device, fewest LUT-equivalents first, from the calibrated analytic model, "
        "with the Yosys figure where that design's synthesis is cached. A device too small for every "
        "design gets one line naming the closest miss.",
    )
    r.add_argument("model", type=existing_file, help="a *.hrnn.npz artifact")
    r.add_argument("--device", choices=tuple(DEVICES), required=True, help="the FPGA part, e.g. ecp5-25k")
    r.add_argument("--cycles-per-step", type=positive_int, default=None, help="the slowest acceptable design")
    r.add_argument("--latency", type=positive_int, default=None, help="the most cycles from x to y")
    r.add_argument("--json", action="store_true", help="print JSON instead of the table")
    r.add_argument("--cache-dir", metavar="DIR", help="root of the RTL and synthesis caches")
    r.set_defaults(func=_recommend)

    s = sub.add_parser(
        "sweep",
        help="estimate a grid of configurations: CSV, Markdown table and plots",
        description="Estimate every combination of the lists given (random models of those sizes) on each "
        "target, in parallel, with the synthesis cache (a re-run is instant); writes OUT/sweep.csv, "
        "sweep.md, sweep.json and plots (LUTs vs hidden size, LUTs vs cycles per step with the Pareto "
        "front, sparsity trade-off).",
    )
    s.add_argument("--hidden", type=int_list(1), default=(32, 64, 128), help="hidden sizes, e.g. 32,64,128")
    s.add_argument("--block", type=block_list, default=(0,), help="block sizes, 'full' = hidden (default full)")
    add_hardware_options(s, grid=True)
    s.add_argument("--state-bits", type=int_list(1), default=(12,), help="state widths (default 12)")
    s.add_argument("--target", type=choice_list(target_names(), "targets"), default=("ecp5",),
                   help="targets (default ecp5)")
    s.add_argument("--n-in", type=positive_int, default=10, help="inputs per step (default 10)")
    s.add_argument("--n-out", type=positive_int, default=9, help="outputs (default 9)")
    s.add_argument("--seed", type=int, default=0, help="random model seed (default 0)")
    s.add_argument("--fast", action="store_true", help="the analytic model only, no synthesis")
    s.add_argument("--flow", choices=FLOWS, default="fast", help="Yosys flow (default fast)")
    s.add_argument("--pnr", action="store_true", help="also place and route for Fmax (slow)")
    s.add_argument("--baseline", choices=("analytic", "synth"), default="analytic",
                   help="how the dense baseline at equal throughput is costed (default analytic)")
    s.add_argument("--jobs", type=positive_int, default=None,
                   help="parallel syntheses (default: CPU count; with --backend ray and no --address, "
                   "the CPUs of the local Ray instance)")
    add_backend_options(s)
    s.add_argument("--cache-dir", metavar="DIR", help="root of the RTL and synthesis caches")
    s.add_argument("--no-plots", action="store_true", help="skip the plots")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.add_argument("-o", "--output-dir", dest="out", required=True, help="folder for the results")
    s.set_defaults(func=_sweep)


def add_backend_options(p) -> None:
    """``--backend local|ray`` and ``--address``: where the jobs of a sweep run (:mod:`estimate.backends`)."""
    p.add_argument("--backend", choices=BACKEND_NAMES, default="local",
                   help="where jobs run: 'local' (this machine, default) or 'ray' (pip install 'hadam-hw[ray]')")
    p.add_argument("--address", metavar="auto|HOST:PORT", default=None,
                   help="with --backend ray: join this Ray cluster ('auto': the one `ray start` made here); "
                   "default: start a local Ray instance")


def check_backend_options(args) -> None:
    """The one-line errors of a bad ``--backend``/``--address`` combination."""
    if args.address is not None and args.backend != "ray":
        raise HadamHWError("--address needs --backend ray")
    if args.address is not None and args.address != "auto" and not _host_port(args.address):
        raise HadamHWError(f"--address must be 'auto' or HOST:PORT, not {args.address!r}")


def _host_port(text: str) -> bool:
    host, sep, port = text.rpartition(":")
    return bool(sep and host and port.isdigit() and 0 < int(port) < 65536)


def _estimate(args) -> int:
    if args.calibrate:
        return _calibrate(args)
    if args.reuse_unchanged:
        raise HadamHWError("--reuse-unchanged goes with --calibrate")
    if args.model is None:
        raise HadamHWError("estimate needs a MODEL artifact (or --calibrate)")
    if args.arch is None:
        raise HadamHWError("estimate needs --arch (adder_tree, butterfly, sdf or dense)")
    if args.fast and args.pnr:
        raise HadamHWError("--pnr needs synthesis: it cannot be combined with --fast")
    if args.pnr and args.target not in ("ice40", "ecp5"):
        raise HadamHWError(f"--pnr is available for ice40 and ecp5, not {args.target}")
    from hadam_hw.artifact import artifact_sha256, load_artifact
    from hadam_hw.cliargs import hardware_config
    from hadam_hw.targets import get_target

    from .report import estimate, format_report, report_csv_row

    model = load_artifact(args.model)
    # with --interface / --weights: the AXI top, runtime weights; the SDF's add/subtract units in
    # the target's own form unless --addsub says otherwise
    own = {"addsub": get_target(args.target).addsub} if args.addsub is None and args.arch == "sdf" else {}
    hw = hardware_config(args, **own)
    hw.check_top()
    t0 = time.perf_counter()
    rep = estimate(model, hw, args.target, fast=args.fast, flow=args.flow, pnr=args.pnr, freq_mhz=args.freq,
                   cache_dir=Path(args.cache_dir) if args.cache_dir else None, baseline=not args.no_baseline,
                   artifact_sha256=artifact_sha256(args.model))
    rep["wall_seconds"] = round(time.perf_counter() - t0, 3)
    if args.csv:
        from hadam_hw.artifact import atomic_write_bytes

        from .sweep import write_csv

        atomic_write_bytes(args.csv, write_csv([report_csv_row(rep)]).encode())
    if args.json:
        print(json.dumps(rep, indent=2, default=str))
    else:
        print(format_report(rep))
        print(f"  ({rep['wall_seconds']:.2f} s)")
    return 0


def _calibrate(args) -> int:
    if args.model is not None:
        raise HadamHWError("--calibrate takes no MODEL: it synthesizes its own calibration set")
    from tqdm import tqdm

    from .calibrate import CALIBRATION_SET, VALIDATION_SET, calibrate

    bar = tqdm(total=len(CALIBRATION_SET) + len(VALIDATION_SET), unit="cfg", desc=f"calibrate {args.target}",
               file=sys.stderr)
    cal = calibrate(args.target, flow=args.flow, cache_dir=Path(args.cache_dir) if args.cache_dir else None,
                    out_dir=Path(args.calibration_dir) if args.calibration_dir else None, jobs=args.jobs,
                    progress=lambda n, cached: bar.update(n), reuse_unchanged=args.reuse_unchanged,
                    log=lambda line: tqdm.write(line, file=sys.stderr))
    bar.close()
    st = cal.stats
    from .report import short_version

    print(f"calibrated {args.target} ({cal.flow} flow, flags {' '.join(cal.flags) or '(none)'}, "
          f"{short_version(cal.yosys_version)})")
    if args.reuse_unchanged:
        print(f"  reused the stored Yosys figures of {st['reused_points']} point(s) whose Verilog is unchanged")
    print("  coefficients: " + ", ".join(f"{k} {v:.3f}" for k, v in cal.lut.items() if v))
    for name in ("calibration", "validation"):
        s = st[name]
        print(f"  {name:<11} {s['points']} points: LUT error mean {s['lut_mean_abs_error']:.1%}, max "
              f"{s['lut_max_abs_error']:.1%} ({s['worst_lut']}); FF error mean {s['ff_mean_abs_error']:.1%}")
    return 0


def _sweep(args) -> int:
    check_backend_options(args)
    from .sweep import Grid, run_sweep

    grid = Grid(hidden=args.hidden, blocks=args.block, archs=args.arch, lanes=args.lanes, pipeline=args.pipeline,
                state_bits=args.state_bits, targets=args.target, n_in=args.n_in, n_out=args.n_out, seed=args.seed)
    res = run_sweep(grid, args.out, fast=args.fast, flow=args.flow, pnr=args.pnr, baseline=args.baseline,
                    jobs=args.jobs, cache_dir=Path(args.cache_dir) if args.cache_dir else None,
                    plots=not args.no_plots, show_progress=not args.no_progress, backend=args.backend,
                    address=args.address)
    print(Path(res.files["markdown"]).read_text().split("\n|")[0].strip())
    print(f"{len(res.rows)} configurations: {res.synthesized} synthesized, {res.cached} cached, "
          f"{res.seconds:.1f} s; wrote " + ", ".join(sorted(Path(f).name for f in res.files.values())))
    for s in res.skipped:
        print(f"  skipped: {s}")
    return 0


def _recommend(args) -> int:
    from hadam_hw.artifact import load_artifact

    from .recommend import format_recommendation, recommend

    rows = recommend(load_artifact(args.model), args.device, cycles_per_step=args.cycles_per_step,
                     latency_cycles=args.latency, cache_dir=Path(args.cache_dir) if args.cache_dir else None)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        print(format_recommendation(rows, args.device))
    return 0
