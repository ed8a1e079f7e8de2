"""The scoreboard: exact, in-order comparison of every output transfer with the golden model.

Expected payloads are queued when the input that causes them is accepted (so a reset can
discard exactly what was in flight); each output transfer pops its stream's queue and is
compared as a whole packed integer, decoded lane by lane only to explain a mismatch. With
interleaved sequences (SPEC §4.1) each stream has one queue per sequence id: an output is
compared with the oldest one its id field names, so only each sequence's own order counts. The
run ends with :meth:`Scoreboard.finish`, which fails unless nothing is left in any queue.
No cocotb import: the same object is exercised by plain unit tests.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

from hadam_hw.manifest import StreamSpec

__all__ = ["Expected", "Failure", "Scoreboard"]


@dataclass
class Expected:
    """One output the design owes: packed payload, where it comes from, when its input went in."""

    stream: str
    row: int
    step: int
    payload: int
    in_cycle: int
    covers: int = 0  # input steps this comparison verifies (for the steps-checked count)
    timing: bool = False  # full-throughput segment: the latency must be exact
    ident: int = 0  # the sequence id (interleaved designs)


@dataclass
class Failure:
    """What went wrong, where and when, in words a person can act on."""

    kind: str  # mismatch, unexpected, missing, latency, throughput, protocol, x_value, stall
    message: str
    stream: str | None = None
    row: int | None = None
    step: int | None = None
    lane: int | None = None
    field: str | None = None
    expected: int | None = None
    got: int | None = None
    cycle: int | None = None
    time_ns: int | None = None

    def to_json(self) -> dict:
        return asdict(self)


class Scoreboard:
    """Per-stream queues of :class:`Expected`, compared exactly in order."""

    def __init__(self, specs: dict[str, StreamSpec], latency: dict[str, int], *, waves: str | None = None,
                 max_failures: int = 8, period_ns: int = 10) -> None:
        self.specs = specs
        self.latency = latency
        self.waves = waves
        self.max_failures = max_failures
        self.period_ns = period_ns
        # one queue per stream and sequence id (a single id 0 unless the streams carry an id)
        self.queues: dict[tuple[str, int], deque[Expected]] = {}
        self.failures: list[Failure] = []
        self.checked = {name: 0 for name in specs}
        self.steps_checked = 0
        self.discarded = 0

    # --- bookkeeping -----------------------------------------------------------------------
    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def full(self) -> bool:
        """Enough failures collected: the first is what matters, a few more give context."""
        return len(self.failures) >= self.max_failures

    def _queue(self, stream: str, ident: int) -> deque[Expected]:
        return self.queues.setdefault((stream, ident), deque())

    def pending(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def oldest_pending(self) -> Expected | None:
        heads = [q[0] for q in self.queues.values() if q]
        return min(heads, key=lambda e: e.in_cycle) if heads else None

    def expect(self, item: Expected) -> None:
        self._queue(item.stream, item.ident).append(item)

    def flush(self) -> int:
        """A reset: everything in flight is gone and will not be compared."""
        n = self.pending()
        for q in self.queues.values():
            q.clear()
        self.discarded += n
        return n

    def time_ns(self, cycle: int) -> int:
        """The rising edge of ``cycle``: the testbench samples at the falling edge before it."""
        return cycle * self.period_ns + self.period_ns // 2

    def where(self, cycle: int | None) -> str:
        t = (f"cycle {cycle} (rising edge at t = {self.time_ns(cycle)} ns)" if cycle is not None
             else "end of run")
        w = f"; waveform: {self.waves}" if self.waves else "; rerun with --waves for a waveform"
        return t + w

    def fail(self, kind: str, message: str, cycle: int | None = None, **kw) -> Failure:
        f = Failure(kind=kind, message=f"{message} at {self.where(cycle)}", cycle=cycle,
                    time_ns=None if cycle is None else self.time_ns(cycle), **kw)
        self.failures.append(f)
        return f

    # --- the comparison --------------------------------------------------------------------
    def check(self, stream: str, got: int, cycle: int) -> bool:
        """Compare one output transfer on ``stream`` (its whole payload as an unsigned int)."""
        spec = self.specs[stream]
        ident = spec.fields["id"].unpack(got)[0] if "id" in spec.fields else 0
        q = self._queue(stream, ident)
        if not q:
            seq = f" of sequence {ident}" if "id" in spec.fields else ""
            self.fail("unexpected", f"{stream}: an output transfer{seq} nobody asked for "
                      f"(payload {spec.unpack(got)}): an extra, repeated or stale output", cycle, stream=stream)
            return False
        exp = q.popleft()
        ok = True
        got_m = got & spec.known_mask
        if got_m != exp.payload:
            ok = False
            self._explain(spec, exp, got_m, cycle)
        lat = cycle - exp.in_cycle
        want = self.latency[stream]
        if exp.timing and lat != want:
            ok = False
            self.fail("latency", f"{stream} of row {exp.row} step {exp.step}: valid {lat} cycles after its "
                      f"input, the manifest says latency_cycles = {want}", cycle, stream=stream,
                      row=exp.row, step=exp.step, expected=want, got=lat)
        elif lat < want:
            ok = False
            self.fail("latency", f"{stream} of row {exp.row} step {exp.step}: came out {lat} cycles after "
                      f"its input, sooner than latency_cycles = {want}", cycle, stream=stream,
                      row=exp.row, step=exp.step, expected=want, got=lat)
        if ok:
            self.checked[stream] += 1
            self.steps_checked += exp.covers
        return ok

    def _explain(self, spec: StreamSpec, exp: Expected, got: int, cycle: int) -> None:
        want_f, got_f = spec.unpack(exp.payload), spec.unpack(got)
        for name in sorted(spec.fields, key=lambda n: n != "data"):  # the data lanes first
            w, g = want_f[name], got_f[name]
            if name == "data":
                bad = [i for i, (a, b) in enumerate(zip(w, g, strict=True)) if a != b]
                if bad:
                    lane = bad[0]
                    more = f" ({len(bad)} of {len(w)} lanes differ: {bad[:8]}{' …' if len(bad) > 8 else ''})"
                    self.fail("mismatch", f"{exp.stream} mismatch at row {exp.row} step {exp.step}, lane {lane}: "
                              f"expected {w[lane]}, got {g[lane]}{more}", cycle, stream=exp.stream,
                              row=exp.row, step=exp.step, lane=lane, field="data", expected=w[lane], got=g[lane])
                    return
            elif w != g:
                self.fail("mismatch", f"{exp.stream} mismatch at row {exp.row} step {exp.step}, field '{name}': "
                          f"expected {w}, got {g}", cycle, stream=exp.stream, row=exp.row, step=exp.step,
                          field=name, expected=int(w), got=int(g))
                return

    def finish(self, cycle: int | None = None) -> bool:
        """The end-of-run check: nothing may be left in the queue."""
        left = self.pending()
        if left:
            e = self.oldest_pending()
            assert e is not None
            self.fail("missing", f"{left} expected output(s) never came out, the first: {e.stream} of row "
                      f"{e.row} step {e.step} (input accepted at cycle {e.in_cycle})", cycle,
                      stream=e.stream, row=e.row, step=e.step)
            return False
        return True
