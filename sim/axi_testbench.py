"""The cocotb testbench of an AXI design (``interface: "axis"``), with cocotbext-axi's drivers.

Shape of cocotbext-axi's own tests: a :class:`TB` (clock, active-low reset, an
``AxiStreamSource`` on ``s_axis``, an ``AxiStreamSink`` on ``m_axis``, an ``AxiLiteMaster``
on ``s_axi`` when the weights are loaded at run time, pause generators for idle cycles and
back-pressure) and one test, :func:`run_test`, that plays the plan:

- the identity registers answer what the manifest's ``regmap`` says;
- for each model of the plan in turn, without rebuilding: load it over AXI4-Lite
  (:func:`hadam_hw.regmap.weight_writes`), read every word back, run sequences and compare
  every output, bit for bit and in order, with :func:`hadam_hw.golden.run_golden`;
- a weight write while inputs flow, and one while ``CTRL.load`` waits for an output the
  sink holds back, are refused (``SLVERR``), counted in ``ERRORS`` and change nothing.

Every sequence is one AXI4-Stream frame (``byte_lanes=1``: one beat per step, ``tuser`` =
``first``, ``tlast`` = ``last``). The report goes to the plan's report file.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import time
import traceback
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import (
    AxiLiteBus,
    AxiLiteMaster,
    AxiResp,
    AxiStreamBus,
    AxiStreamFrame,
    AxiStreamSink,
    AxiStreamSource,
)

from hadam_hw.artifact import load_artifact
from hadam_hw.golden import run_golden
from hadam_hw.manifest import AXIS_PREFIX, Manifest, load_manifest
from hadam_hw.regmap import (
    CTRL_LOAD,
    CTRL_SOFT_RESET,
    ID_MAGIC,
    REGMAP_VERSION,
    STATUS_IDLE,
    STATUS_LOADING,
    STATUS_WEIGHTS_VALID,
    Regmap,
    weight_writes,
)

__all__ = ["TB", "run_test", "AXI_PLAN_ENV"]

AXI_PLAN_ENV = "HADAM_AXI_PLAN"


class CheckFailed(AssertionError):
    pass


def _pauses(kind: str, seed: int):
    """``never`` or a bursty pattern (a third of the cycles paused, in runs)."""
    if kind == "never":
        return itertools.repeat(False)
    rng = random.Random(seed)

    def gen():
        while True:
            run = rng.randint(1, 6)
            pause = rng.random() < 0.35
            yield from itertools.repeat(pause, run)

    return gen()


class TB:
    """Clock, reset and the cocotbext-axi drivers of one AXI design."""

    def __init__(self, dut, manifest: Manifest, period_ns: float = 10.0) -> None:
        self.dut, self.m = dut, manifest
        self.clk = getattr(dut, manifest.clock)
        self.rstn = getattr(dut, manifest.reset)
        Clock(self.clk, period_ns, unit="ns").start(start_high=False)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, AXIS_PREFIX["x"]), self.clk, self.rstn,
                                      reset_active_level=False, byte_lanes=1)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, AXIS_PREFIX["y"]), self.clk, self.rstn,
                                  reset_active_level=False, byte_lanes=1)
        self.regmap = Regmap.from_json(manifest.regmap) if manifest.regmap else None
        self.axil = (AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi"), self.clk, self.rstn, reset_active_level=False)
                     if self.regmap else None)
        drivers = [self.source, self.sink] + ([self.axil.write_if, self.axil.read_if] if self.axil else [])
        for driver in drivers:  # one line per transfer would drown the log (and slow the run)
            driver.log.setLevel(logging.WARNING)
        if "h" in manifest.streams:
            getattr(dut, manifest.streams["h"].ready).value = 1  # the state stream is not checked here

    async def reset(self) -> None:
        self.rstn.value = 0
        await ClockCycles(self.clk, 4)
        self.rstn.value = 1
        await ClockCycles(self.clk, 2)

    # --- AXI4-Lite -----------------------------------------------------------------------------
    def reg(self, name: str) -> int:
        return self.regmap.register(name).offset

    async def read(self, addr: int) -> tuple[int, AxiResp]:
        r = await self.axil.read(addr, 4)
        return int.from_bytes(r.data, "little"), r.resp

    async def write(self, addr: int, value: int) -> AxiResp:
        return (await self.axil.write(addr, value.to_bytes(4, "little"))).resp

    async def read_ok(self, addr: int) -> int:
        v, resp = await self.read(addr)
        if resp != AxiResp.OKAY:
            raise CheckFailed(f"read of {addr:#x} answered {resp.name}")
        return v

    async def load(self, model, *, poll_cycles: int = 10_000, release: bool = True) -> int:
        """Load ``model`` (the regmap's protocol), read every word back; returns the word count.
        ``release=False`` leaves ``CTRL.load`` set (:meth:`release` ends the load)."""
        writes = weight_writes(model, self.regmap)
        if await self.write(self.reg("CTRL"), CTRL_LOAD) != AxiResp.OKAY:
            raise CheckFailed("CTRL.load write refused")
        for _ in range(poll_cycles):
            if (await self.read_ok(self.reg("STATUS"))) & STATUS_LOADING:
                break
        else:
            raise CheckFailed("STATUS.loading never came")
        for addr, data in writes:
            resp = await self.write(addr, data)
            if resp != AxiResp.OKAY:
                raise CheckFailed(f"weight write {addr:#x} <- {data:#x} answered {resp.name}")
        status = await self.read_ok(self.reg("STATUS"))
        if status & STATUS_WEIGHTS_VALID:
            raise CheckFailed(f"STATUS.weights_valid still 1 after the memories were written (STATUS={status:#x})")
        for addr, data in writes:
            got = await self.read_ok(addr)
            if got != data:
                raise CheckFailed(f"read-back of {addr:#x}: wrote {data:#010x}, read {got:#010x}")
        # byte strobes: one byte written alone merges into the word, then the word is restored
        addr, data = writes[0]
        await self.axil.write(addr + 1, bytes([0xA5]))
        merged = (data & ~0xFF00) | 0xA500
        if (got := await self.read_ok(addr)) != merged:
            raise CheckFailed(f"a one-byte write at {addr + 1:#x}: read {got:#010x}, expected {merged:#010x}")
        await self.write(addr, data)
        if release:
            await self.release()
        return len(writes)

    async def release(self) -> None:
        """End a load; the weights are valid again."""
        await self.write(self.reg("CTRL"), 0)
        status = await self.read_ok(self.reg("STATUS"))
        if not status & STATUS_WEIGHTS_VALID:
            raise CheckFailed(f"STATUS.weights_valid is 0 after the load ended (STATUS={status:#x})")

    # --- streams --------------------------------------------------------------------------------
    async def run_sequences(self, model, x: np.ndarray, *, label: str, timeout_us: float) -> int:
        """Send each row of ``x`` as one sequence, compare every output with the golden model."""
        rows, steps = x.shape[0], x.shape[1]
        first = np.zeros((rows, steps), dtype=bool)
        last = np.zeros((rows, steps), dtype=bool)
        first[:, 0] = True
        last[:, -1] = True
        g = run_golden(model, x, first, last)
        xs, ys = self.m.streams["x"], self.m.streams["y"]
        data = x.reshape(rows, steps, -1)
        for b in range(rows):
            beats = xs.pack_rows(data=data[b])
            await self.source.send(AxiStreamFrame(beats, tuser=[int(f) for f in first[b]]))
        expected = [(b, t, g.y[b, t], bool(g.last[b, t])) for b, t, _ in g.y_stream()]
        got = []
        while len(got) < len(expected):
            frame = await with_timeout(self.sink.recv(), timeout_us, "us")
            users = frame.tuser if isinstance(frame.tuser, list) else [frame.tuser] * len(frame.tdata)
            for i, beat in enumerate(frame.tdata):
                got.append((int(beat), i == len(frame.tdata) - 1, users[i]))
        for k, ((b, t, y, lst), (beat, tlast, _)) in enumerate(zip(expected, got, strict=True)):
            lanes = ys.data.unpack(beat)
            for o, (want, have) in enumerate(zip(y.tolist(), lanes, strict=True)):
                if want != have:
                    raise CheckFailed(f"{label}: output {k} (sequence {b}, step {t}) lane {o}: expected {want}, "
                                      f"got {have}")
            if beat >> ys.data.width:
                raise CheckFailed(f"{label}: output {k} has pad bits set above the data: {beat:#x}")
            if tlast != lst:
                raise CheckFailed(f"{label}: output {k} (sequence {b}, step {t}): tlast {tlast}, expected {lst}")
        if not self.sink.empty():
            raise CheckFailed(f"{label}: outputs beyond the {len(expected)} expected")
        return len(expected)


@cocotb.test()
async def run_test(dut) -> None:
    """Play the plan named by ``$HADAM_AXI_PLAN``; write the report it names."""
    plan = json.loads(Path(os.environ[AXI_PLAN_ENV]).read_text())
    report = {"ok": False, "checks": [], "failure": None}
    t0 = time.perf_counter()
    try:
        m = load_manifest(plan["manifest"])
        tb = TB(dut, m)
        await tb.reset()
        rng = np.random.default_rng(plan.get("seed", 0))
        models = [load_artifact(p) for p in plan["models"]]
        pause_kind = plan.get("pauses", "bursty")
        if tb.regmap is not None:
            rm = tb.regmap
            ids = {n: await tb.read_ok(tb.reg(n)) for n in ("ID", "VERSION", "DESIGN", "SHAPE", "STATUS", "ERRORS")}
            want = {"ID": ID_MAGIC, "VERSION": REGMAP_VERSION, "DESIGN": rm.design_hash, "SHAPE": rm.shape_hash,
                    "STATUS": STATUS_WEIGHTS_VALID | STATUS_IDLE, "ERRORS": 0}
            if ids != want:
                raise CheckFailed(f"identity registers {ids} differ from {want}")
            report["checks"].append("identity registers")
            await _check_bus_rules(tb)
            report["checks"].append("read-only write SLVERR, unmapped DECERR, counted; soft reset clears ERRORS and "
                                    "ends a load without weights_valid")
        for i, model in enumerate(models):
            label = f"model {i} ({plan['models'][i]})"
            if tb.regmap is not None:
                n = await tb.load(model, release=False)
                report["checks"].append(f"{label}: loaded and read back {n} words")
            x_shape = (plan["sequences"], plan["seq_len"]) + (() if model.onehot else (model.config.n_in,))
            lo, hi = model.config.x_range
            x = rng.integers(lo, hi + 1, size=x_shape, dtype=np.int64)
            x[0] = hi  # one sequence held at the top of the range: the state saturates
            tb.sink.set_pause_generator(_pauses(pause_kind, 2 * i + 1))
            refused = None
            if tb.regmap is not None:
                # the first input waits (tready low) while the load ends: it must be taken, not lost
                tb.source.set_pause_generator(None)
                tb.source.pause = False
                send = cocotb.start_soon(tb.run_sequences(model, x, label=label, timeout_us=plan["timeout_us"]))
                await ClockCycles(tb.clk, 5)
                await tb.release()
                tb.source.set_pause_generator(_pauses(pause_kind, 2 * i))
                # a weight write while the inputs flow: refused, counted, nothing changes
                before = await tb.read_ok(tb.reg("ERRORS"))
                t = rm.tables[0]
                refused = await tb.write(t.base, 0x5A5A5A5A)
                after = await tb.read_ok(tb.reg("ERRORS"))
                if refused != AxiResp.SLVERR or after != before + 1:
                    raise CheckFailed(f"a weight write during traffic answered {refused.name}, ERRORS {before} -> {after}")
                n_out = await send
            else:
                tb.source.set_pause_generator(_pauses(pause_kind, 2 * i))
                n_out = await tb.run_sequences(model, x, label=label, timeout_us=plan["timeout_us"])
            report["checks"].append(f"{label}: {n_out} outputs of {plan['sequences']} sequences x {plan['seq_len']} "
                                    "steps equal the golden model" + (", a write during traffic refused, inputs "
                                                                      "waiting as the load ended taken"
                                                                      if refused is not None else ""))
        if tb.regmap is not None:
            await _check_load_waits_for_outputs(tb, models[-1], rng, plan)
            report["checks"].append("CTRL.load waits for a held-back output; a weight write meanwhile is refused")
        report["ok"] = True
    except Exception as e:  # noqa: BLE001 - every failure goes into the report
        report["failure"] = f"{type(e).__name__}: {e}"
        report["traceback"] = traceback.format_exc()[-3000:]
    report["sim_wall_s"] = time.perf_counter() - t0
    Path(plan["report"]).write_text(json.dumps(report, indent=2))
    assert report["ok"], report["failure"]


async def _check_load_waits_for_outputs(tb: TB, model, rng, plan) -> None:
    """With the sink holding back an output, ``CTRL.load`` must not open the memories."""
    tb.source.set_pause_generator(None)
    tb.sink.set_pause_generator(None)
    tb.source.pause = False  # a generator leaves its last value behind
    tb.sink.pause = True
    lo, hi = model.config.x_range
    x = rng.integers(lo, hi + 1, size=(1, 2) + (() if model.onehot else (model.config.n_in,)), dtype=np.int64)
    g = run_golden(model, x)
    beats = tb.m.streams["x"].pack_rows(data=x.reshape(1, 2, -1)[0])
    await tb.source.send(AxiStreamFrame(beats, tuser=[1, 0]))
    await with_timeout(tb.source.wait(), plan["timeout_us"], "us")
    await ClockCycles(tb.clk, tb.m.latency_cycles + 2 * tb.m.cycles_per_step + 4)
    await tb.write(tb.reg("CTRL"), CTRL_LOAD)
    for _ in range(3):
        status = await tb.read_ok(tb.reg("STATUS"))
        if status & (STATUS_LOADING | STATUS_IDLE):
            raise CheckFailed(f"STATUS {status:#x} says idle/loading while an output waits")
    before = await tb.read_ok(tb.reg("ERRORS"))
    resp = await tb.write(tb.regmap.tables[0].base, 0)
    if resp != AxiResp.SLVERR or await tb.read_ok(tb.reg("ERRORS")) != before + 1:
        raise CheckFailed(f"a weight write before STATUS.loading answered {resp.name}")
    tb.sink.pause = False
    want = [y.tolist() for _, _, y in g.y_stream()]
    beats: list[int] = []
    while len(beats) < len(want):
        beats += [int(b) for b in (await with_timeout(tb.sink.recv(), plan["timeout_us"], "us")).tdata]
    got = [tb.m.streams["y"].data.unpack(b) for b in beats]
    if got != want:
        raise CheckFailed(f"the held-back outputs are {got}, expected {want}")
    for _ in range(10):
        if (await tb.read_ok(tb.reg("STATUS"))) & STATUS_LOADING:
            break
    else:
        raise CheckFailed("STATUS.loading did not come once the output was taken")
    await tb.write(tb.reg("CTRL"), 0)
    await RisingEdge(tb.clk)


async def _check_bus_rules(tb: TB) -> None:
    """Refusals answer their error and count; a soft reset clears the count."""
    rm = tb.regmap
    if (resp := await tb.write(tb.reg("ID"), 0)) != AxiResp.SLVERR:
        raise CheckFailed(f"a write to the read-only ID answered {resp.name}")
    hole = 4 * len(rm.registers)  # the first word past the registers
    _, resp = await tb.read(hole)
    if resp != AxiResp.DECERR:
        raise CheckFailed(f"a read of the unmapped {hole:#x} answered {resp.name}")
    if (n := await tb.read_ok(tb.reg("ERRORS"))) != 2:
        raise CheckFailed(f"ERRORS is {n} after two refused accesses")
    # a load cut short by a soft reset leaves weights_valid 0; only a CTRL write ending a load sets it
    await tb.write(tb.reg("CTRL"), CTRL_LOAD)
    while not (await tb.read_ok(tb.reg("STATUS"))) & STATUS_LOADING:
        pass
    base = rm.tables[0].base
    await tb.write(base, await tb.read_ok(base))  # the same word again: the weights do not change
    await tb.write(tb.reg("CTRL"), CTRL_SOFT_RESET)
    if (n := await tb.read_ok(tb.reg("ERRORS"))) != 0 or await tb.read_ok(tb.reg("CTRL")) != 0:
        raise CheckFailed(f"ERRORS is {n} after a soft reset")
    if (st := await tb.read_ok(tb.reg("STATUS"))) & STATUS_WEIGHTS_VALID:
        raise CheckFailed(f"STATUS {st:#x}: weights_valid after a load cut short by a soft reset")
    await tb.write(tb.reg("CTRL"), CTRL_LOAD)
    await tb.write(tb.reg("CTRL"), 0)
    if not (st := await tb.read_ok(tb.reg("STATUS"))) & STATUS_WEIGHTS_VALID:
        raise CheckFailed(f"STATUS {st:#x}: no weights_valid after a load ended by CTRL")
