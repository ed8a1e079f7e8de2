"""Stimulus, expected results and the test plan, exchanged with the cocotb process as files.

The pytest/CLI side draws inputs from a seed, runs :func:`hadam_hw.golden.run_golden` once
(the only reference) and writes ``stimulus.npz`` (inputs, flags, expected ``h`` and ``y``)
plus ``plan.json`` (segments: which rows, with what stalls, resets and timing checks). The
cocotb test only reads these files: it never recomputes the model.

A *row* is one stretch of steps fed back to back (``first`` at its start; further
``first``/``last`` flags inside it make back-to-back sequences of varying lengths).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from hadam_hw.artifact import atomic_write_bytes
from hadam_hw.golden import GoldenResult, run_golden
from hadam_hw.model import HadamModel

__all__ = [
    "ResetPoint",
    "Segment",
    "Plan",
    "Stimulus",
    "draw_inputs",
    "sequence_flags",
    "make_stimulus",
    "standard_segments",
    "write_plan",
    "read_plan",
]


@dataclass(frozen=True)
class ResetPoint:
    """Assert reset ``delay`` cycles after the handshake of ``step`` of ``row``, for ``hold`` cycles.

    The rest of that row is dropped; whatever was in flight is discarded unchecked.
    """

    row: int
    step: int
    delay: int = 0
    hold: int = 1


@dataclass(frozen=True)
class Segment:
    """A stretch of the run with one traffic pattern.

    ``timing``: inputs always valid and outputs always ready; each input must be accepted
    exactly ``cycles_per_step`` after the previous one and each output must be valid exactly
    ``latency_cycles`` after its input. ``idle`` / ``backpressure``: per-cycle probabilities
    that the source pauses before offering its next input / a sink holds ready low (bursty,
    drawn from the plan's seed).
    """

    name: str
    rows: list[int]
    timing: bool = False
    idle: float = 0.0
    backpressure: float = 0.0
    resets: list[ResetPoint] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.timing and (self.idle or self.backpressure):
            raise ValueError(f"segment {self.name!r}: timing checks need full throughput (no idle, no back-pressure)")
        object.__setattr__(self, "resets", [r if isinstance(r, ResetPoint) else ResetPoint(**r) for r in self.resets])


@dataclass(frozen=True)
class Plan:
    """Everything the cocotb process needs, by path, plus the seed of its stall patterns."""

    manifest: str
    stimulus: str
    report: str
    segments: list[Segment]
    seed: int = 0
    clock_period_ns: int = 10
    waves: str | None = None  # where the waveform will be, for failure messages
    max_failures: int = 8
    progress_file: str | None = None  # the testbench rewrites it with its progress every ~0.5 s

    def to_json(self) -> dict:
        d = asdict(self)
        return d

    @classmethod
    def from_json(cls, d: dict) -> Plan:
        segs = [Segment(**{**s, "resets": [ResetPoint(**r) for r in s.get("resets", [])]}) for s in d["segments"]]
        return cls(**{**d, "segments": segs})


@dataclass
class Stimulus:
    """Inputs and the golden model's answers, ``(rows, T, …)``."""

    x: np.ndarray
    first: np.ndarray
    last: np.ndarray
    golden: GoldenResult

    def save(self, path: str | os.PathLike) -> Path:
        buf = io.BytesIO()
        g = self.golden
        np.savez(buf, x=self.x, first=self.first, last=self.last, h=g.h, y=g.y, y_valid=g.y_valid)
        atomic_write_bytes(path, buf.getvalue())
        return Path(path)


def draw_inputs(model: HadamModel, rows: int, steps: int, rng: np.random.Generator,
                extremes: bool = False) -> np.ndarray:
    """Random inputs over the whole configured range, or only at its two ends.

    ``extremes``: every lane at its minimum or maximum, held for runs of steps so the
    recurrence accumulates and the state saturates (the clamp is exercised).
    """
    lo, hi = model.config.x_range
    shape = (rows, steps) if model.onehot else (rows, steps, model.config.n_in)
    if not extremes:
        return rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    pick = rng.integers(0, 2, size=shape, dtype=np.int64)
    # hold each draw for a run of 1..16 steps: a constant drive pushes h to its bounds
    run = rng.integers(1, 17, size=(rows, steps))
    idx = np.zeros((rows, steps), dtype=np.int64)
    for r in range(rows):
        t, k = 0, 0
        while t < steps:
            n = int(run[r, k])
            idx[r, t:t + n] = t
            t += n
            k += 1
    held = np.take_along_axis(pick, idx if model.onehot else idx[..., None].repeat(shape[2], axis=2), axis=1)
    return np.where(held == 1, hi, lo)


def sequence_flags(rows: int, steps: int, rng: np.random.Generator | None = None,
                   min_len: int = 1, max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``first``/``last`` flags: one sequence per row, or (with ``rng``) random lengths inside rows."""
    first = np.zeros((rows, steps), dtype=bool)
    last = np.zeros((rows, steps), dtype=bool)
    if rng is None:
        first[:, 0] = True
        last[:, -1] = True
        return first, last
    max_len = max_len or steps
    for r in range(rows):
        t = 0
        while t < steps:
            n = int(rng.integers(min_len, max_len + 1))
            first[r, t] = True
            t = min(steps, t + n)
            last[r, t - 1] = True
    return first, last


def make_stimulus(model: HadamModel, x: np.ndarray, first: np.ndarray, last: np.ndarray) -> Stimulus:
    """Run the golden model once; the result is what the scoreboard expects."""
    g = run_golden(model, x, first, last)
    return Stimulus(x=np.asarray(x), first=g.first, last=g.last, golden=g)


def standard_segments(rows: int, rng: np.random.Generator, *, seq_len: int, resets: bool = True,
                      stalls: bool = True) -> list[Segment]:
    """The default plan over ``rows`` rows: full throughput first, then stalls, then resets.

    Row 0 (and 1) run at full throughput with exact timing checks, back to back; the rest
    alternate idle/back-pressure levels; with ``resets`` one row is cut by a reset partway
    and the next starts clean.
    """
    segs: list[Segment] = []
    n_timing = min(rows, 2)
    segs.append(Segment("full-throughput", list(range(n_timing)), timing=True))
    rest = list(range(n_timing, rows))
    if not rest:
        return segs
    if resets and len(rest) >= 2:
        cut, after = rest[0], rest[1]
        step = int(rng.integers(1, max(2, seq_len - 1)))
        segs.append(Segment("reset-mid-sequence", [cut, after], resets=[
            ResetPoint(cut, min(step, seq_len - 1), delay=int(rng.integers(0, 4)), hold=int(rng.integers(1, 4)))]))
        rest = rest[2:]
    levels = [(0.3, 0.0), (0.0, 0.3), (0.5, 0.5), (0.1, 0.7)] if stalls else [(0.0, 0.0)]
    for i, r in enumerate(rest):
        idle, bp = levels[i % len(levels)]
        segs.append(Segment(f"stalls-i{idle}-bp{bp}", [r], idle=idle, backpressure=bp))
    return segs


def write_plan(plan: Plan, path: str | os.PathLike) -> Path:
    atomic_write_bytes(path, json.dumps(plan.to_json(), indent=1).encode())
    return Path(path)


def read_plan(path: str | os.PathLike) -> Plan:
    return Plan.from_json(json.loads(Path(path).read_text()))
