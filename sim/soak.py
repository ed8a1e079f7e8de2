"""The soak run: a million checked steps across configurations, random stalls and resets.

Each configuration gets an equal share of the steps, in rows of back-to-back sequences of
random lengths; every row has its own traffic (a quarter at full throughput with the exact
timing checks, the rest with random idle and back-pressure levels), one row in eight is cut
by a reset, one in eight holds its inputs at their extremes. Small models, so the steps are
cheap; the state stream is exposed (or every step's ``y`` read) so every step is compared.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from hadam_hw.manifest import Manifest

from .stimulus import ResetPoint, Segment, draw_inputs, sequence_flags
from .verify import VerifyResult, design_dir, generate, simulate

__all__ = ["SOAK_CONFIGS", "soak_plan", "run_soak", "SoakResult"]

# (random_model arguments, hardware): every architecture, dense and onehot inputs, every-step
# and last-step read-out, blocks with A a shift (4, 16) and with A a CSD constant (8, 32)
SOAK_CONFIGS: tuple[tuple[dict, HardwareConfig], ...] = (
    (dict(hidden=16, block=16, n_in=2, n_out=2, output="every_step"),
     HardwareConfig(arch="butterfly", pipeline=1, expose_state=True)),
    (dict(hidden=16, block=4, n_in=3, n_out=2, output="last_step"),
     HardwareConfig(arch="adder_tree", lanes=8, pipeline=1, expose_state=True)),
    (dict(hidden=32, block=8, n_in=5, n_out=3, output="every_step", input_mode="onehot"),
     HardwareConfig(arch="sdf", lanes=8, expose_state=True)),
    (dict(hidden=16, block=16, n_in=2, n_out=2, output="every_step", state_bits=8),
     HardwareConfig(arch="dense", lanes=8, pipeline=2, expose_state=False)),
    (dict(hidden=32, block=32, n_in=2, n_out=2, output="last_step"),
     HardwareConfig(arch="butterfly", pipeline=0, expose_state=True)),
    # three interleaved sequences (SPEC §4.1) in any order, one state memory
    (dict(hidden=16, block=16, n_in=3, n_out=2, output="every_step"),
     HardwareConfig(arch="sdf", lanes=2, expose_state=True, interleave=3)),
)


def soak_plan(model, manifest: Manifest, steps: int, rng: np.random.Generator, row_len: int = 500):
    """``(x, first, last, segments)`` for at least ``steps`` *checked* steps (see the module docstring).

    A reset drops the rest of its row (and what was in flight) unchecked: about one row in
    sixteen's worth, so 10% more steps are offered than must be checked.
    """
    rows = max(1, -(-int(steps * 1.1) // row_len))
    x = draw_inputs(model, rows, row_len, rng)
    extreme = rng.random(rows) < 0.125
    if extreme.any():
        x[extreme] = draw_inputs(model, int(extreme.sum()), row_len, rng, extremes=True)
    first, last = sequence_flags(rows, row_len, rng, min_len=1, max_len=120)
    segs = []
    span = manifest.latency_cycles + manifest.cycles_per_step + 1
    C = manifest.interleave  # interleaved: C rows per segment, one per sequence id
    for r in range(0, rows, C):
        group = list(range(r, min(rows, r + C)))
        u = rng.random()
        if u < 0.25 and len(group) == C:
            segs.append(Segment(f"row{r}-full-throughput", group, timing=True))
            continue
        idle, bp = (float(v) for v in rng.choice([0.0, 0.1, 0.3, 0.5, 0.8], size=2))
        resets = []
        if rng.random() < 0.125:
            resets = [ResetPoint(r, int(rng.integers(0, row_len - 1)), delay=int(rng.integers(0, span)),
                                 hold=int(rng.integers(1, 4)))]
        segs.append(Segment(f"row{r}-idle{idle}-bp{bp}", group, idle=idle, backpressure=bp, resets=resets))
    return x, first, last, segs


@dataclass
class SoakResult:
    passed: bool
    steps_checked: int
    steps_in: int
    cycles: int
    wall_s: float
    simulator: str
    runs: list[VerifyResult] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{'PASS' if self.passed else 'FAIL'}  soak on {self.simulator}: {self.steps_checked:,} steps "
                 f"checked ({self.steps_in:,} accepted), {self.cycles:,} cycles in {self.wall_s:.0f} s"]
        for r in self.runs:
            lines.append(f"  {'ok  ' if r.passed else 'FAIL'} {r.model_tag} / {r.hw_tag}: {r.steps_checked:,} steps, "
                         f"{r.cycles:,} cycles, {r.resets} resets, {r.cycles_per_s:,.0f} cycles/s, {r.wall_s:.0f} s")
            if not r.passed:
                lines.append(f"       {r.first_failure}")
        return "\n".join(lines)


def run_soak(total_steps: int = 1_000_000, *, simulator: str = "verilator", seed: int = 0,
             build_dir: str | os.PathLike | None = None, configs=SOAK_CONFIGS,
             stage: Callable[[str], None] | None = None, quiet: bool = True) -> SoakResult:
    """Run the soak; ``passed`` only if every configuration matched on every step."""
    say = stage or (lambda s: None)
    t0 = time.perf_counter()
    share = -(-total_steps // len(configs))
    runs: list[VerifyResult] = []
    for k, (mkw, hw) in enumerate(configs):
        kw = dict(mkw)
        model = random_model(kw.pop("hidden"), kw.pop("block"), kw.pop("n_in"), kw.pop("n_out"), seed=seed + k, **kw)
        ddir = design_dir(model, hw, build_dir)
        say(f"soak {k + 1}/{len(configs)}: {model.config.tag} / {hw.tag}, {share:,} steps")
        t1 = time.perf_counter()
        manifest_path = generate(model, hw, ddir / "rtl")
        gen_s = time.perf_counter() - t1
        from hadam_hw.manifest import load_manifest

        plan = soak_plan(model, load_manifest(manifest_path), share, np.random.default_rng([seed, k]))
        bar = None
        if not quiet:
            from .progress import StepProgressBar

            bar = StepProgressBar(share, f"soak {k + 1}/{len(configs)}")
        try:
            r = simulate(manifest_path, model, simulator=simulator, seed=seed, build_dir=ddir, plan=plan,
                         hw_tag=hw.tag, progress=bar, stage=stage, generate_s=gen_s)
        finally:
            if bar is not None:
                bar.close()
        say(f"  {'ok' if r.passed else 'FAIL'}: {r.steps_checked:,} steps checked, {r.cycles:,} cycles, "
            f"{r.cycles_per_s:,.0f} cycles/s, {r.wall_s:.0f} s")
        runs.append(r)
    return SoakResult(
        passed=all(r.passed for r in runs), steps_checked=sum(r.steps_checked for r in runs),
        steps_in=sum(r.steps_in for r in runs), cycles=sum(r.cycles for r in runs),
        wall_s=time.perf_counter() - t0, simulator=simulator, runs=runs,
    )
