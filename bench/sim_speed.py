"""Simulation speed: Icarus vs Verilator (cocotb) vs Amaranth's own simulator, side by side.

For each design, the same full-throughput stimulus (random sequences, no stalls, no
resets) runs on the three simulators; every run is checked bit for bit against the golden
model, and the table prints simulated cycles per second and the ratio to Icarus.
Build/compile time is reported apart from the simulation itself.

    .venv/bin/python bench/sim_speed.py [--hidden 32] [--archs sdf,butterfly] [--seq-len 64]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig


def amaranth_speed(model, hw, sequences: int, seq_len: int, seed: int) -> tuple[float, int, float]:
    import sys

    from rtl_gen import build_cell

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the Amaranth harness lives in tests/support
    from tests.support.amaranth_sim import run_cell

    rng = np.random.default_rng(seed)
    lo, hi = model.config.x_range
    x = rng.integers(lo, hi + 1, size=(sequences, seq_len, model.config.n_in))
    first = np.zeros((sequences, seq_len), dtype=bool)
    first[:, 0] = True
    last = np.zeros_like(first)
    last[:, -1] = True
    t0 = time.perf_counter()
    run, _ = run_cell(build_cell(model, hw), x, first, last)  # asserts exact equality inside
    wall = time.perf_counter() - t0
    return run.cycles / wall, run.cycles, wall


def cocotb_speed(model, hw, simulator: str, sequences: int, seq_len: int, seed: int, root: Path):
    from sim.verify import verify

    res = verify(model, hw, simulator=simulator, sequences=sequences, seq_len=seq_len, seed=seed,
                 build_dir=root, stalls=False, resets=False, extremes=False)
    if not res.passed:
        raise SystemExit(f"{simulator} {hw.tag}: mismatch: {res.first_failure}")
    return res.cycles_per_s, res.cycles, res.sim_wall_s, res.build_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--block", type=int, default=None)
    ap.add_argument("--archs", default="sdf,butterfly")
    ap.add_argument("--sequences", type=int, default=2)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    model = random_model(args.hidden, args.block or args.hidden, 4, 3, seed=args.seed)
    print(f"simulation speed, model {model.config.tag}, {args.sequences} x {args.seq_len} steps, full throughput")
    print(f"{'design':<22}{'simulator':<12}{'cycles':>10}{'cycles/s':>12}{'sim s':>8}{'build s':>9}{'vs icarus':>11}")
    with tempfile.TemporaryDirectory(prefix="hadam-simspeed-") as d:
        for arch in args.archs.split(","):
            hw = HardwareConfig(arch=arch)
            rows = {}
            for simulator in ("icarus", "verilator"):
                rows[simulator] = cocotb_speed(model, hw, simulator, args.sequences, args.seq_len, args.seed, Path(d))
            cps, cyc, wall = amaranth_speed(model, hw, args.sequences, args.seq_len, args.seed)
            rows["amaranth"] = (cps, cyc, wall, 0.0)
            base = rows["icarus"][0]
            for name, (cps, cyc, wall, build) in rows.items():
                print(f"{hw.tag:<22}{name:<12}{cyc:>10,}{cps:>12,.0f}{wall:>8.2f}{build:>9.2f}{cps / base:>10.2f}x")
    print("every run matched the golden model exactly")


if __name__ == "__main__":
    main()
