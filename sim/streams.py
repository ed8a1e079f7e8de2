"""Stream source and sink for the ``valid``/``ready`` handshake of SPEC §4 (Amaranth ``lib.stream``).

Both are *cycle-driven*: the testbench's one clocked loop calls ``drive()`` just after the
falling edge (new inputs for the coming rising edge) and ``sample()`` once the design has
settled (``ReadOnly``), so a ready that depends combinationally on the sink's ready is seen
correctly and every handshake is attributed to one exact cycle. One loop instead of one
coroutine per driver halves the scheduler work per cycle; the interfaces otherwise follow
cocotbext-axi (a queue of items, a pause generator, a back-pressure generator).

The source never withdraws ``valid`` once it has offered an item (pauses fall between
transfers); the sink checks that the design does not either, and that a stalled payload
holds still.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from hadam_hw.manifest import StreamSpec

from .inserters import never

__all__ = ["StreamSource", "StreamSink", "SinkSample", "XValueError"]


class XValueError(Exception):
    """An output port read X or Z."""

    def __init__(self, port: str, value: str) -> None:
        self.port = port
        self.value = value
        super().__init__(f"{port} = {value}")


def _bit(handle, name: str) -> bool:
    v = handle.value
    if not v.is_resolvable:
        raise XValueError(name, str(v))
    return bool(v)


class StreamSource:
    """Drives ``valid`` and ``payload`` of an input stream from a queue of ``(payload, tag)``."""

    def __init__(self, dut, spec: StreamSpec) -> None:
        self.spec = spec
        self.valid = getattr(dut, spec.valid)
        self.ready = getattr(dut, spec.ready)
        self.payload = getattr(dut, spec.payload)
        self.queue: deque[tuple[int, object]] = deque()
        self.current: tuple[int, object] | None = None
        self.pause: Iterator[bool] = never()
        self.hold = False  # offer nothing new (a reset is coming)
        self._valid = 0
        self.valid.value = 0
        self.payload.value = 0

    def set_pause_generator(self, gen: Iterator[bool] | None) -> None:
        self.pause = gen if gen is not None else never()

    def send_nowait(self, payload: int, tag: object) -> None:
        self.queue.append((payload, tag))

    def idle(self) -> bool:
        return self.current is None and not self.queue

    def drop_where(self, pred) -> int:
        """Drop every queued (not yet offered) item whose tag satisfies ``pred``."""
        keep = deque(item for item in self.queue if not pred(item[1]))
        n = len(self.queue) - len(keep)
        self.queue = keep
        return n

    def abort(self) -> None:
        """Reset: forget the offered item and lower valid."""
        self.current = None
        if self._valid:
            self.valid.value = 0
            self._valid = 0

    def drive(self) -> None:
        if self.current is None:
            paused = next(self.pause)
            if self.queue and not paused and not self.hold:
                self.current = self.queue.popleft()
                self.payload.value = self.current[0]
                if not self._valid:
                    self.valid.value = 1
                    self._valid = 1
            elif self._valid:
                self.valid.value = 0
                self._valid = 0

    def sample(self) -> object | None:
        """After the design settled: the tag of the item transferred this cycle, if any.

        Reads ``ready`` every cycle (an X there is an error even when nothing is offered).
        """
        ready = _bit(self.ready, self.spec.ready)
        if self.current is not None and ready:
            tag = self.current[1]
            self.current = None
            return tag
        return None


@dataclass
class SinkSample:
    fired: bool
    payload: int | None  # the transferred payload (unsigned), when fired
    violation: str | None = None  # a broken handshake rule, in words


class StreamSink:
    """Drives ``ready`` of an output stream and reports each transfer's payload."""

    def __init__(self, dut, spec: StreamSpec) -> None:
        self.spec = spec
        self.valid = getattr(dut, spec.valid)
        self.ready = getattr(dut, spec.ready)
        self.payload = getattr(dut, spec.payload)
        self.pause: Iterator[bool] = never()
        self._ready: int | None = None
        self._stalled: int | None = None  # payload offered but not taken last cycle
        self.force_ready(0)

    def set_pause_generator(self, gen: Iterator[bool] | None) -> None:
        self.pause = gen if gen is not None else never()

    def force_ready(self, value: int) -> None:
        if value != self._ready:
            self.ready.value = value
            self._ready = value

    def abort(self) -> None:
        self._stalled = None

    def drive(self) -> None:
        self.force_ready(0 if next(self.pause) else 1)

    def read_payload(self) -> int:
        v = self.payload.value
        try:
            return v.to_unsigned()  # raises on X/Z; much cheaper than is_resolvable bit by bit
        except ValueError:
            raise XValueError(self.spec.payload, str(v)) from None

    def sample(self) -> SinkSample:
        valid = _bit(self.valid, self.spec.valid)
        violation = None
        if self._stalled is not None:
            if not valid:
                violation = f"{self.spec.valid} dropped before its payload was taken"
        if not valid:
            self._stalled = None
            return SinkSample(False, None, violation)
        payload = self.read_payload()
        if self._stalled is not None and payload != self._stalled and violation is None:
            violation = f"{self.spec.payload} changed while {self.spec.valid} waited for {self.spec.ready}"
        if self._ready:
            self._stalled = None
            return SinkSample(True, payload, violation)
        self._stalled = payload
        return SinkSample(False, None, violation)
