"""Golden model speed: the vectorized FWHT path against a straightforward per-step loop.

Prints, in one run, steps per second (one step = one sequence advanced by one time step)
of ``run_golden`` on hidden 512, batch 256, T 100, and of two baselines measured on a
subset of the same inputs: a per-sequence, per-step numpy loop with the explicit
``I ⊗ S_b`` matrix, and the literal Python-integer definition (``run_reference``).
All three are checked to agree exactly on the subset.

    .venv/bin/python bench/golden_speed.py [--hidden 512] [--block 512] [--batch 256] [--steps 100]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hadam_hw.artifact import random_model
from hadam_hw.golden import run_golden, run_reference
from hadam_hw.hadamard import block_hadamard


def per_step_loop(model, x):
    """The obvious implementation: one sequence at a time, one matrix-vector product per step."""
    cfg = model.config
    S = block_hadamard(cfg.hidden, cfg.block).astype(np.int64)
    U, V = model.U.astype(np.int64), model.V.astype(np.int64)
    sign = model.sign.astype(np.int64)
    lo, hi = cfg.h_range
    half = (1 << cfg.frac_bits) >> 1
    hs = np.zeros((x.shape[0], x.shape[1], cfg.hidden), dtype=np.int64)
    ys = np.zeros((x.shape[0], x.shape[1], cfg.n_out), dtype=np.int64)
    for b in range(x.shape[0]):
        h = np.zeros(cfg.hidden, dtype=np.int64)
        for t in range(x.shape[1]):
            z = cfg.A * sign * (S @ h) + cfg.B * (U @ x[b, t]) + model.C
            h = np.clip((z + half) >> cfg.frac_bits, lo, hi)
            hs[b, t] = h
            ys[b, t] = V @ np.maximum(h, 0) + model.c
    return hs, ys


def timed(fn, *args, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--block", type=int, default=None)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--subset", type=int, default=8, help="sequences timed with the baselines")
    args = ap.parse_args()
    block = args.block or args.hidden
    model = random_model(args.hidden, block, 10, 9, seed=0)
    x = np.random.default_rng(1).integers(-128, 128, size=(args.batch, args.steps, 10))
    t_fast, res = timed(run_golden, model, x, repeat=3)
    sub = x[: args.subset]
    t_loop, (h_loop, y_loop) = timed(per_step_loop, model, sub)
    np.testing.assert_equal(h_loop, res.h[: args.subset])
    np.testing.assert_equal(y_loop, res.y[: args.subset])
    ref_steps = min(args.steps, 5)
    t_ref, (h_ref, _) = timed(run_reference, model, sub[0, :ref_steps])
    np.testing.assert_equal(np.array(h_ref), res.h[0, :ref_steps])

    fast = args.batch * args.steps / t_fast
    loop = args.subset * args.steps / t_loop
    ref = ref_steps / t_ref
    print(f"golden model speed, hidden {args.hidden}, block {block}, batch {args.batch}, T {args.steps}")
    print(f"{'implementation':<42}{'steps/s':>14}{'ratio':>10}")
    print(f"{'run_golden (batched FWHT)':<42}{fast:>14,.0f}{1.0:>10.1f}")
    print(f"{'per-step numpy loop (explicit matrix)':<42}{loop:>14,.0f}{fast / loop:>10.1f}x slower")
    print(f"{'Python-integer definition (reference)':<42}{ref:>14,.1f}{fast / ref:>10.0f}x slower")
    print("all three agree exactly on the subset")


if __name__ == "__main__":
    main()
