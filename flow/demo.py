"""``hadam-hw demo``: the whole flow on a built-in example, in one command.

train (sequential 8×8 digits from scikit-learn, no download) → export the integer
artifact → generate Verilog for several architectures → verify each with cocotb against
the golden model → synthesize and compare with the dense baseline and the adder bound →
one summary table, and a report folder (Markdown, plots, Verilog, manifests, the model).

This module is the top of the stack: it imports train, rtl_gen and sim lazily, inside the
command, so ``hadam-hw --help`` stays instant and the kernel keeps no dependency on them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from hadam_hw.archs import arch_names, arch_spec
from hadam_hw.cliargs import choice_list, positive_int
from hadam_hw.errors import HadamHWError
from hadam_hw.targets import target_names

__all__ = ["register", "run_demo", "DEFAULT_ARCHS"]

DEFAULT_ARCHS = ("sdf", "adder_tree", "butterfly")  # each is compared with the dense baseline


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="the whole flow on a built-in example: train, export, generate, verify, estimate, report",
        description="Train a small HadamRNN on sequential digits (built in, no download), export it, "
        "generate Verilog for several architectures, verify each with cocotb against the golden model, "
        "estimate LUTs and latency, and write a report folder.",
    )
    p.add_argument("-o", "--out", default="report", help="report folder (default report/)")
    p.add_argument("--preset", default="demo", help="training preset (default demo: sequential digits, ~1 min)")
    p.add_argument("--model", type=Path, default=None,
                   help="skip training: use this *.hrnn.npz artifact (e.g. from an earlier demo)")
    p.add_argument("--archs", type=choice_list(arch_names(), "architectures"), default=DEFAULT_ARCHS,
                   help=f"comma-separated architectures (default {','.join(DEFAULT_ARCHS)})")
    p.add_argument("--simulator", choices=("auto", "icarus", "verilator"), default="auto",
                   help="auto (default): Icarus for the row-serial designs, Verilator for the butterfly, whose "
                   "whole-vector datapath Icarus evaluates ~600x slower (bench/sim_speed.py)")
    p.add_argument("--sequences", type=positive_int, default=3, help="sequences verified per design (default 3)")
    p.add_argument("--seq-len", type=positive_int, default=64,
                   help="steps per verified sequence (default 64: one 8x8 digit, pixel by pixel)")
    p.add_argument("--target", choices=target_names(), default="ecp5",
                   help="FPGA family for the estimates (default ecp5)")
    p.add_argument("--no-estimate", action="store_true", help="skip synthesis")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_demo)


def _stage(i: int, n: int, text: str) -> None:
    print(f"\n[{i}/{n}] {text}", flush=True)


def _train(preset_name: str, out: Path, seed: int) -> tuple[Path, dict]:
    from train import preset, run_training

    run_dir = run_training(preset(preset_name, seed=seed), run_dir=out / "training")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return run_dir / "model.hrnn.npz", metrics.get("final", {})


def _estimate(model, hw, target: str) -> dict:
    """Yosys figures of one design, the dense baseline at matched throughput, the adder bound
    (the design's Verilog comes from the one RTL cache the verification filled)."""
    from estimate.report import estimate

    rep = estimate(model, hw, target)
    keep = ("luts", "ffs", "dsps", "brams", "command", "cached", "seconds", "luts_vs_bound", "luts_vs_dense",
            "area_time_vs_dense", "dense", "bound")
    out = {k: rep.get(k) for k in keep}
    out["analytic_luts"] = (rep.get("analytic") or {}).get("luts")
    return out


def run_demo(args) -> dict:
    from hadam_hw.artifact import load_artifact
    from hadam_hw.config import Arch, HardwareConfig

    archs = [Arch(a) for a in args.archs]
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise HadamHWError(f"--out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    n = 5 if not args.no_estimate else 4
    t_all = time.perf_counter()
    summary: dict = {"archs": {}, "target": args.target, "simulator": args.simulator}

    _stage(1, n, f"train: preset {args.preset!r}" if args.model is None else f"model: {args.model}")
    t0 = time.perf_counter()
    if args.model is None:
        art, final = _train(args.preset, out, args.seed)
        test = final.get("test", {})
        summary["accuracy"] = {k: test.get(k, {}).get("accuracy") for k in ("float", "integer")}
    else:
        art, summary["accuracy"] = args.model, None
    summary["train_s"] = time.perf_counter() - t0

    _stage(2, n, "export: the integer artifact (hrnn-int/1)")
    model = load_artifact(art)
    dest = out / "model.hrnn.npz"
    if Path(art).resolve() != dest.resolve():
        shutil.copyfile(art, dest)
    summary["model"] = {"tag": model.config.tag, "path": str(dest), **model.config.to_json()}
    print(f"  {dest}  ({model.config.tag}; sparsity {model.config.sparsity:.3f}; gain {model.config.gain:.6f})")
    if summary["accuracy"]:
        acc = summary["accuracy"]
        print(f"  test accuracy: integer model {acc['integer']:.4f} (what the hardware computes), float {acc['float']:.4f}")

    from sim.verify import design_dir, verify

    _stage(3, n, f"generate and verify with cocotb against the golden model: {', '.join(a.value for a in archs)}")
    for arch in archs:
        hw = HardwareConfig(arch=arch)
        simulator = args.simulator
        if simulator == "auto":
            simulator = "icarus" if arch_spec(arch).serial else "verilator"  # whole-vector designs: faster
        res = verify(model, hw, simulator=simulator, sequences=args.sequences, seq_len=args.seq_len,
                     seed=args.seed, build_dir=out / "build", stage=lambda s: print(f"  {s}", flush=True))
        print("  " + res.summary().replace("\n", "\n  "), flush=True)
        rtl = out / "rtl" / arch.value
        rtl.mkdir(parents=True, exist_ok=True)
        manifest = _copy_rtl(design_dir(model, hw, out / "build") / "rtl", rtl)
        summary["archs"][arch.value] = {
            "hw_tag": hw.tag, "cycles_per_step": manifest["cycles_per_step"], "latency_cycles": manifest["latency_cycles"],
            "set_by": manifest.get("cycles_per_step_set_by"), "passed": res.passed, "steps_checked": res.steps_checked,
            "cycles": res.cycles, "sim_wall_s": res.sim_wall_s, "first_failure": res.first_failure,
            "simulator": simulator,
        }
        if not res.passed:
            raise HadamHWError(f"verification of {arch.value} failed: {res.first_failure} (log: {res.log})")

    if not args.no_estimate:
        from tqdm import tqdm

        _stage(4, n, f"estimate: synthesis with Yosys for {args.target}, beside the dense ±1 baseline at matched "
               "throughput and the adder lower bound")
        for arch in tqdm(archs, desc="synthesis", unit="design"):
            summary["archs"][arch.value]["estimate"] = _estimate(model, HardwareConfig(arch=arch), args.target)

    _stage(n, n, f"report: {out}/README.md")
    summary["wall_s"] = time.perf_counter() - t_all
    from .demo_report import write_report

    table = write_report(out, summary)
    print("\n" + table)
    print(f"\nall {len(archs)} designs verified bit-exact; report in {out}/ ({summary['wall_s']:.0f} s)")
    return summary


def _copy_rtl(src: Path, dst: Path) -> dict:
    for f in src.iterdir():
        if f.is_file():
            shutil.copyfile(f, dst / f.name)
    return json.loads((dst / "manifest.json").read_text())


def _demo(args: argparse.Namespace) -> int:
    run_demo(args)
    return 0
