"""The cocotb testbench of a generated HadamRNN design (run inside the simulator).

Shape of the cocotbext-axi / verilog-axis testbenches: a :class:`TB` class owning the
clock, the reset and the stream drivers, and one test, :func:`run_test`, which plays the
plan's segments. Stimulus and expected results come from the files the plan names
(``sim.stimulus``); the testbench never recomputes the model.

Interleaved designs (``interleave`` C > 1, SPEC §4.1): the rows of a segment take the ids
0 … C−1 in turn (a row follows the one C places before it under the same id), and their
steps are merged into one input stream, round-robin in full-throughput segments (where the
interval between inputs is asserted) and in a seeded random order otherwise; a reset
drops the rest of every row it cuts. The outcome, including the
first failure with its step, lane, values, cycle and waveform path, goes to the plan's
report file, read back by :mod:`sim.runner`.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly
from cocotb.types import LogicArray

from hadam_hw.manifest import Manifest, load_manifest

from .inserters import bursty_pauses, never
from .scoreboard import Expected, Scoreboard
from .stimulus import Plan, Segment, read_plan
from .streams import StreamSink, StreamSource, XValueError

__all__ = ["TB", "run_test", "PLAN_ENV"]

PLAN_ENV = "HADAM_SIM_PLAN"


class _Stop(Exception):
    """Enough failures: end the run and report."""


class TB:
    """Clock, reset, the ``x`` source, the ``y`` (and ``h``) sinks and the scoreboard."""

    def __init__(self, dut, manifest: Manifest, plan: Plan, stim) -> None:
        self.dut = dut
        self.m = manifest
        self.plan = plan
        self.clk = getattr(dut, manifest.clock)
        self.rst = getattr(dut, manifest.reset)
        self.source = StreamSource(dut, manifest.streams["x"])
        # h first: when a step goes wrong, the state lane that broke is the most telling report
        self.outputs = [n for n in ("h", "y") if n in manifest.streams]
        self.sinks = {n: StreamSink(dut, manifest.streams[n]) for n in self.outputs}
        self.scoreboard = Scoreboard(
            {n: manifest.streams[n] for n in self.outputs},
            {n: manifest.latency(n) for n in self.outputs},
            waves=plan.waves, max_failures=plan.max_failures, period_ns=plan.clock_period_ns,
        )
        self.x = stim["x"]
        self.first = stim["first"]
        self.last = stim["last"]
        self.h = stim["h"]
        self.y = stim["y"]
        self.y_valid = stim["y_valid"]
        self.cycle = 0
        self.steps_in = 0
        self.resets = 0
        self._fall = FallingEdge(self.clk)
        self._settled = ReadOnly()
        self._expected_rows: dict[int, dict[str, list[int] | None]] = {}
        self._row_id: dict[int, int] = {}
        self._row_len: dict[int, int] = {}
        self._row_in: dict[int, int] = {}  # steps of each row accepted so far
        self._uncovered: dict[int, int] = {}  # per row: steps since its last compared output
        self._timing = False
        self._last_in: int | None = None
        self._progress = 0
        self._xcheck_until = 0
        max_lat = max(manifest.latency(n) for n in self.outputs)
        self.quiet_cycles = max_lat + 2 * manifest.cycles_per_step + 4
        self.observed = {"intervals": {}, "latency": {n: {} for n in self.outputs}}
        self.segments_done: list[dict] = []
        self._reset_points: dict = {}
        self._reset_due = None
        self._progress_t = 0.0

    # --- clock and reset --------------------------------------------------------------------
    def start_clock(self) -> None:
        Clock(self.clk, self.plan.clock_period_ns, unit="ns").start(start_high=False)

    async def reset(self, hold: int = 2) -> None:
        """Synchronous active-high reset for ``hold`` rising edges; in-flight outputs are dropped."""
        await self._fall  # writes are not allowed in the ReadOnly phase the last tick ended in
        self.cycle += 1
        self.rst.value = 1
        self.source.abort()
        for s in self.sinks.values():
            s.abort()
            s.force_ready(0)
        for _ in range(hold - 1):
            await self._fall
            self.cycle += 1
        await self._fall
        self.rst.value = 0
        self.cycle += 1
        self.resets += 1
        self.scoreboard.flush()
        self._uncovered = {}
        self._last_in = None
        self._progress = self.cycle
        # outputs must be clean right after reset: read every output port for a while
        self._xcheck_until = self.cycle + self.quiet_cycles + 2
        await self._settled
        self._check_no_x()

    def _check_no_x(self) -> None:
        ports = [self.m.streams["x"].ready]
        for n in self.outputs:
            s = self.m.streams[n]
            ports += [s.valid, s.payload]
        for p in ports:
            v = getattr(self.dut, p).value
            try:
                v.to_unsigned() if isinstance(v, LogicArray) else int(v)
            except ValueError:
                self.scoreboard.fail("x_value", f"output {p} is {v} (X/Z) after reset", self.cycle, field=p)
                raise _Stop from None

    # --- expected payloads, packed per row when the row starts ------------------------------
    def _prepare_row(self, row: int, ident: int) -> list[tuple[int, tuple[int, int]]]:
        """The row's input items ``(payload, (row, step))`` under sequence ``ident``; its
        expected outputs are packed and kept for when its inputs are accepted."""
        x, y = self.m.streams["x"], self.m.streams["y"]
        first, last = self.first[row].astype(np.int64), self.last[row].astype(np.int64)
        ids = np.full(len(first), ident, dtype=np.int64)
        xp = x.pack_rows(data=self.x[row], first=first, last=last, id=ids)
        rows: dict[str, list[int] | None] = {}
        emit = np.nonzero(self.y_valid[row])[0]
        yp = y.pack_rows(data=self.y[row][emit], first=first[emit], last=last[emit], id=ids[emit]) \
            if emit.size else []
        full: list[int | None] = [None] * len(first)
        for t, p in zip(emit.tolist(), yp, strict=True):
            full[t] = p
        rows["y"] = full
        if "h" in self.m.streams:
            rows["h"] = self.m.streams["h"].pack_rows(data=self.h[row], first=first, last=last, id=ids)
        self._expected_rows[row] = rows
        self._row_id[row], self._row_len[row], self._row_in[row] = ident, len(first), 0
        return [(p, (row, t)) for t, p in enumerate(xp)]

    def _queue_segment(self, seg: Segment, seed: int) -> None:
        """Offer the segment's rows: one after another, or (interleaved) merged across ids."""
        C = self.m.interleave
        lanes: list[deque] = [deque() for _ in range(C)]
        for k, row in enumerate(seg.rows):
            lanes[k % C].extend(self._prepare_row(row, k % C))
        rng = np.random.default_rng(seed)
        turn = 0
        while any(lanes):
            live = [j for j in range(C) if lanes[j]]
            if seg.timing:  # round-robin: the rate the manifest's cycles_per_step is for
                j = next(j for j in [*range(turn, C), *range(turn)] if lanes[j])
                turn = (j + 1) % C
            else:
                j = live[int(rng.integers(len(live)))]
            self.source.send_nowait(*lanes[j].popleft())

    # --- one clock cycle ----------------------------------------------------------------------
    async def tick(self) -> None:
        await self._fall
        self.cycle += 1
        self.source.drive()
        for s in self.sinks.values():
            s.drive()
        await self._settled
        try:
            tag = self.source.sample()
            samples = {n: s.sample() for n, s in self.sinks.items()}
            if self.cycle <= self._xcheck_until:
                self._check_no_x()
        except XValueError as e:
            self.scoreboard.fail("x_value", f"output {e.port} is {e.value} (X/Z)", self.cycle, field=e.port)
            raise _Stop from None
        if tag is not None:
            self._accepted(tag)
        for n, smp in samples.items():
            if smp.violation:
                self.scoreboard.fail("protocol", f"{n}: {smp.violation}", self.cycle, stream=n)
            if smp.fired:
                self._progress = self.cycle
                self.scoreboard.check(n, smp.payload, self.cycle)
        if self.scoreboard.full:
            raise _Stop

    def _accepted(self, tag) -> None:
        row, step = tag
        c = self.cycle
        self._progress = c
        self.steps_in += 1
        cps = self.m.cycles_per_step
        if self._timing and self._last_in is not None:
            gap = c - self._last_in
            self.observed["intervals"][gap] = self.observed["intervals"].get(gap, 0) + 1
            if gap != cps:
                self.scoreboard.fail("throughput", f"x of row {row} step {step} accepted {gap} cycles after the "
                                     f"previous input with x.valid and every ready held high; the manifest says "
                                     f"cycles_per_step = {cps}", c, stream="x", row=row, step=step,
                                     expected=cps, got=gap)
        self._last_in = c
        self._row_in[row] += 1
        uncovered = self._uncovered.get(row, 0) + 1
        exp = self._expected_rows[row]
        ident = self._row_id[row]
        has_h = "h" in exp
        if has_h:
            self.scoreboard.expect(Expected("h", row, step, exp["h"][step], c, covers=1, timing=self._timing,
                                            ident=ident))
            uncovered = 0
        yp = exp["y"][step]
        if yp is not None:
            self.scoreboard.expect(Expected("y", row, step, yp, c, covers=0 if has_h else uncovered,
                                            timing=self._timing, ident=ident))
            if not has_h:
                uncovered = 0
        self._uncovered[row] = uncovered
        rp = self._reset_points.get((row, step))
        if rp is not None:
            self._reset_due = (c + rp.delay, rp)
            self.source.hold = True

    # --- a segment ----------------------------------------------------------------------------
    async def run_segment(self, seg: Segment, index: int) -> None:
        seed = self.plan.seed * 1000 + index
        self._timing = seg.timing
        self._last_in = None
        self.source.set_pause_generator(bursty_pauses(seg.idle, seed))
        for k, s in enumerate(self.sinks.values()):
            s.set_pause_generator(bursty_pauses(seg.backpressure, seed + 100 * (k + 1)))
        self._reset_points = {(r.row, r.step): r for r in seg.resets}
        self._reset_due: tuple[int, object] | None = None
        start_cycle, start_steps, start_checked = self.cycle, self.steps_in, self.scoreboard.steps_checked
        self._queue_segment(seg, seed)
        cps = self.m.cycles_per_step
        max_lat = max(self.m.latency(n) for n in self.outputs)
        # no transfer at all for this long means something is stuck (stalls are bursty, mean 3)
        watchdog = 64 * (cps + max_lat) + 256
        while True:
            if self._reset_due is not None and self.cycle >= self._reset_due[0]:
                rp = self._reset_due[1]
                self._reset_due = None
                # the rows the reset cuts (begun, not finished) lose the rest of their steps: their
                # state is gone; rows not begun yet start clean after it
                cut = {r for r, n in self._row_in.items() if 0 < n < self._row_len[r]}
                self.source.drop_where(lambda t, cut=cut: t[0] in cut)
                await self.reset(rp.hold)
                self.source.hold = False
                continue
            if self.source.idle() and not self.scoreboard.pending() and self._reset_due is None:
                break
            await self.tick()
            if not self.cycle & 1023:
                self._write_progress()
            if self.cycle - self._progress > watchdog:
                e = self.scoreboard.oldest_pending()
                what = (f"waiting for {e.stream} of row {e.row} step {e.step}" if e else
                        "waiting for x.ready with an input offered")
                self.scoreboard.fail("stall", f"no transfer for {watchdog} cycles ({what})", self.cycle,
                                     stream=e.stream if e else "x", row=e.row if e else None,
                                     step=e.step if e else None)
                raise _Stop
        # quiet tail: every ready high, nothing offered; an output now is an extra one
        self._timing = False
        for s in self.sinks.values():
            s.set_pause_generator(never())
        for _ in range(self.quiet_cycles):
            await self.tick()
        for row in seg.rows:
            self._expected_rows.pop(row, None)
            self._row_in.pop(row, None)
            self._uncovered.pop(row, None)
        self.segments_done.append({
            "name": seg.name, "rows": len(seg.rows), "cycles": self.cycle - start_cycle,
            "steps_in": self.steps_in - start_steps,
            "steps_checked": self.scoreboard.steps_checked - start_checked,
        })
        self._write_progress(force=True)

    def _write_progress(self, force: bool = False) -> None:
        if self.plan.progress_file is None:
            return
        now = time.perf_counter()
        if not force and now - self._progress_t < 0.5:
            return
        self._progress_t = now
        rec = {"steps_in": self.steps_in, "steps_checked": self.scoreboard.steps_checked,
               "cycles": self.cycle, "segments_done": len(self.segments_done),
               "failures": len(self.scoreboard.failures)}
        tmp = self.plan.progress_file + ".tmp"
        Path(tmp).write_text(json.dumps(rec))
        os.replace(tmp, self.plan.progress_file)

    def report(self, wall_s: float, passed: bool) -> dict:
        sb = self.scoreboard
        return {
            "passed": passed,
            "cycles": self.cycle,
            "steps_in": self.steps_in,
            "steps_checked": sb.steps_checked,
            "checked": sb.checked,
            "discarded_by_reset": sb.discarded,
            "resets": self.resets,
            "wall_s": wall_s,
            "cycles_per_s": self.cycle / wall_s if wall_s > 0 else None,
            "cycles_per_step": self.m.cycles_per_step,
            "latency_cycles": {n: self.m.latency(n) for n in self.outputs},
            "observed_intervals": {str(k): v for k, v in sorted(self.observed["intervals"].items())},
            "segments": self.segments_done,
            "failures": [f.to_json() for f in sb.failures],
            "waves": self.plan.waves,
        }


@cocotb.test()
async def run_test(dut) -> None:
    """Play the plan named by ``$HADAM_SIM_PLAN`` against the design; write the report."""
    plan = read_plan(os.environ[PLAN_ENV])
    manifest = load_manifest(plan.manifest)
    with np.load(plan.stimulus) as npz:
        stim = {k: npz[k] for k in npz.files}
    tb = TB(dut, manifest, plan, stim)
    tb.start_clock()
    prof = None
    if os.environ.get("HADAM_SIM_PROFILE"):  # developer aid: cProfile of the Python side
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    passed = False
    try:
        try:
            await tb.reset(hold=2)
            for i, seg in enumerate(plan.segments):
                await tb.run_segment(seg, i)
            tb.scoreboard.finish(tb.cycle)
        except _Stop:
            pass
        passed = not tb.scoreboard.failed
    finally:
        if prof is not None:
            prof.disable()
            prof.dump_stats(os.environ["HADAM_SIM_PROFILE"])
        rep = tb.report(time.perf_counter() - t0, passed)
        Path(plan.report).write_text(json.dumps(rep, indent=1))
    if not passed:
        f = tb.scoreboard.failures[0]
        raise AssertionError(f.message)
