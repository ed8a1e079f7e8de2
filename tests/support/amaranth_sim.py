"""Cycle-level Amaranth-simulator harness for the HadamRNN cell and its datapaths, with exact comparisons.

One testbench coroutine drives ``x`` (with seeded random valid gaps; ``valid`` stays up
until the handshake), pulls ``y``/``h`` (with seeded random ``ready`` back-pressure) and
records the cycle of every transfer, so tests can check values against
:func:`hadam_hw.golden.run_golden` and the manifest's timing exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from amaranth.hdl import Module, Signal
from amaranth.sim import Simulator

from hadam_hw.config import HardwareConfig
from hadam_hw.golden import GoldenResult, run_golden
from hadam_hw.manifest import FieldSpec, stream_specs

__all__ = [
    "CellRun", "run_cell", "pack_x", "assert_exact", "simulate_cell", "expected_streams",
    "pack_lanes", "unpack_lanes", "simulate_datapath", "run_cell_interleaved",
]


def assert_exact(expected, got, what: str, index_names=("step", "lane")) -> None:
    """``np.testing.assert_equal`` with a message naming the first bad element and both values."""
    expected, got = np.asarray(expected), np.asarray(got)
    if expected.shape != got.shape:
        raise AssertionError(f"{what}: shape {got.shape}, expected {expected.shape}")
    bad = np.argwhere(expected != got)
    if len(bad):
        pos = tuple(int(i) for i in bad[0])
        names = ", ".join(f"{n} {i}" for n, i in zip(index_names, pos, strict=False))
        raise AssertionError(
            f"{what}: {len(bad)} mismatches; first at {names or pos}: got {int(got[pos])}, "
            f"expected {int(expected[pos])}"
        )
    np.testing.assert_equal(got, expected)


def pack_x(model, x_step, first: bool, last: bool) -> int:
    """The x payload word of one step, laid out by :func:`hadam_hw.manifest.stream_specs`."""
    return stream_specs(model, HardwareConfig())["x"].pack(data=x_step, first=int(first), last=int(last))


def _unpack(spec, word: int) -> tuple[list[int], int, int]:
    fields = spec.unpack(word)
    return fields["data"], fields["last"], fields.get("id", 0)


@dataclass
class CellRun:
    accept_cycles: list[int] = field(default_factory=list)
    y: list[list[int]] = field(default_factory=list)
    y_last: list[int] = field(default_factory=list)
    y_cycles: list[int] = field(default_factory=list)
    y_id: list[int] = field(default_factory=list)
    h: list[list[int]] = field(default_factory=list)
    h_last: list[int] = field(default_factory=list)
    h_cycles: list[int] = field(default_factory=list)
    h_id: list[int] = field(default_factory=list)
    cycles: int = 0


def simulate_cell(cell, words: list[int], *, n_y: int, n_h: int, gap: float = 0.0,
                  ready: float = 1.0, seed: int = 0, max_cycles: int | None = None,
                  vcd: str | None = None) -> CellRun:
    """Drive ``words`` into ``cell.x`` and collect ``n_y`` y and ``n_h`` h transfers."""
    S = cell.schedule
    specs = stream_specs(cell.model, cell.hw)
    rng = np.random.default_rng(seed)
    run = CellRun()
    has_h = cell.hw.expose_state
    if max_cycles is None:
        max_cycles = (len(words) + 4) * S.cycles_per_step * (1 + int(10 * gap) + int(10 * (1 - ready))) \
            + 4 * S.latency_cycles + 100
    x_payload = cell.x.payload.as_value()

    async def bench(ctx):
        i, cycle, presenting = 0, 0, False
        while len(run.y) < n_y or (has_h and len(run.h) < n_h) or i < len(words):
            if cycle > max_cycles:
                raise AssertionError(
                    f"timeout after {cycle} cycles: {i}/{len(words)} x accepted, "
                    f"{len(run.y)}/{n_y} y, {len(run.h)}/{n_h} h"
                )
            if not presenting and i < len(words) and (gap == 0 or rng.random() >= gap):
                presenting = True
                ctx.set(x_payload, words[i])
            ctx.set(cell.x.valid, presenting)
            y_rdy = ready >= 1 or rng.random() < ready
            ctx.set(cell.y.ready, y_rdy)
            h_rdy = False
            if has_h:
                h_rdy = ready >= 1 or rng.random() < ready
                ctx.set(cell.h.ready, h_rdy)
            probes = [cell.x.ready, cell.y.valid, cell.y.payload.as_value()]
            if has_h:
                probes += [cell.h.valid, cell.h.payload.as_value()]
            _, _, *vals = await ctx.tick().sample(*probes)
            if presenting and vals[0]:
                run.accept_cycles.append(cycle)
                i += 1
                presenting = False
            if vals[1] and y_rdy:
                lanes, last, ident = _unpack(specs["y"], vals[2])
                run.y.append(lanes), run.y_last.append(last), run.y_cycles.append(cycle), run.y_id.append(ident)
            if has_h and vals[3] and h_rdy:
                lanes, last, ident = _unpack(specs["h"], vals[4])
                run.h.append(lanes), run.h_last.append(last), run.h_cycles.append(cycle), run.h_id.append(ident)
            cycle += 1
        # a few more cycles: nothing extra may come out
        for _ in range(2 * S.latency_cycles + 2):
            ctx.set(cell.x.valid, 0)
            ctx.set(cell.y.ready, 1)
            if has_h:
                ctx.set(cell.h.ready, 1)
            _, _, *vals = await ctx.tick().sample(cell.y.valid, *( [cell.h.valid] if has_h else []))
            if vals[0] or (has_h and vals[1]):
                raise AssertionError(f"output beyond the expected count at cycle {cycle}")
            cycle += 1
        run.cycles = cycle

    sim = Simulator(cell)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()
    return run


def expected_streams(model, x, first, last) -> tuple[GoldenResult, np.ndarray, np.ndarray, list[int]]:
    """Golden result, expected y items (in order), expected h items, and the step index of each y."""
    g = run_golden(model, x, first, last)
    batch, T = g.first.shape
    ys, y_steps = [], []
    for b in range(batch):
        for t in range(T):
            if g.y_valid[b, t]:
                ys.append(g.y[b, t])
                y_steps.append(b * T + t)
    hs = g.h.reshape(batch * T, -1)
    return g, np.array(ys, dtype=np.int64).reshape(-1, model.config.n_out), hs, y_steps


def run_cell(cell, x, first, last, *, gap: float = 0.0, ready: float = 1.0, seed: int = 0,
             vcd: str | None = None):
    """Simulate ``cell`` on a batch (rows back to back in one stream); compare with the golden model.

    ``first[:, 0]`` must be set (each batch row starts from a zero state). Returns the
    :class:`CellRun` and the step index of each y, after asserting values, order and flags.
    """
    model = cell.model
    g, ys, hs, y_steps = expected_streams(model, x, first, last)
    batch, T = g.first.shape
    xs = np.asarray(x)
    words = []
    for b in range(batch):
        for t in range(T):
            words.append(pack_x(model, xs[b, t], g.first[b, t], g.last[b, t]))
    run = simulate_cell(cell, words, n_y=len(ys), n_h=len(hs) if cell.hw.expose_state else 0,
                        gap=gap, ready=ready, seed=seed, vcd=vcd)
    assert len(run.accept_cycles) == len(words)
    got_y = np.array(run.y, dtype=np.int64).reshape(-1, model.config.n_out)
    assert_exact(ys, got_y, "y", ("y item", "output lane"))
    lasts = g.last.reshape(-1)[y_steps].astype(int)
    assert_exact(lasts, np.array(run.y_last), "y.last", ("y item",))
    if cell.hw.expose_state:
        assert_exact(hs, np.array(run.h, dtype=np.int64), "h", ("step", "state lane"))
        assert_exact(g.last.reshape(-1).astype(int), np.array(run.h_last), "h.last", ("step",))
    return run, y_steps


def run_cell_interleaved(cell, ids, x, first=None, last=None, *, gap: float = 0.0, ready: float = 1.0,
                         seed: int = 0, vcd: str | None = None):
    """Simulate an interleaved ``cell`` on steps in arrival order (``ids``, ``x``, flags as for
    :func:`hadam_hw.golden.run_interleaved`); compare every output, its id and last flag with
    the golden model, per sequence in order. Returns the :class:`CellRun` and the golden result."""
    from hadam_hw.golden import run_interleaved

    model = cell.model
    g = run_interleaved(model, ids, x, first, last)
    spec = stream_specs(model, cell.hw)["x"]
    xs = np.asarray(x)
    words = [spec.pack(data=xs[n], first=int(g.first[n]), last=int(g.last[n]), id=int(g.id[n]))
             for n in range(len(g.id))]
    n_y = int(g.y_valid.sum())
    run = simulate_cell(cell, words, n_y=n_y, n_h=len(words) if cell.hw.expose_state else 0,
                        gap=gap, ready=ready, seed=seed, vcd=vcd)
    assert len(run.accept_cycles) == len(words)
    got_ids = np.array(run.y_id, dtype=np.int64)
    for c in np.unique(g.id).tolist():  # per sequence, in the order of its own inputs
        steps = np.nonzero(g.y_valid & (g.id == c))[0]
        mine = np.nonzero(got_ids == c)[0]
        got = np.array(run.y, dtype=np.int64).reshape(-1, model.config.n_out)[mine]
        assert_exact(g.y[steps], got, f"y of sequence {c}", ("y item", "output lane"))
        assert_exact(g.last[steps].astype(int), np.array(run.y_last)[mine], f"y.last of sequence {c}", ("y item",))
        if cell.hw.expose_state:
            hmine = np.nonzero(np.array(run.h_id) == c)[0]
            hsteps = np.nonzero(g.id == c)[0]
            assert_exact(g.h[hsteps], np.array(run.h, dtype=np.int64)[hmine], f"h of sequence {c}",
                         ("step", "state lane"))
    return run, g


def pack_lanes(values, width: int) -> int:
    """Pack integers as ``width``-bit two's complement lanes, lane 0 least significant."""
    mask = (1 << width) - 1
    word = 0
    for i, v in enumerate(np.asarray(values).reshape(-1).tolist()):
        word |= (int(v) & mask) << (i * width)
    return word


def unpack_lanes(word: int, lanes: int, width: int) -> list[int]:
    """``lanes`` two's complement lanes of ``width`` bits, lane 0 least significant."""
    return FieldSpec("data", 0, lanes * width, lanes, width, True).unpack(word) if lanes else []


def simulate_datapath(dut, drive: list[list], outputs: dict, cycles: int) -> dict[str, np.ndarray]:
    """Run ``cycles`` cycles; ``drive[c]`` lists ``(port, int)`` inputs for cycle ``c``
    (missing cycles: inputs held). ``outputs`` maps name -> (port, lanes, width); returns
    ``name -> (cycles, lanes)`` arrays of the values seen at each clock edge."""
    got = {k: [] for k in outputs}
    probes = [(k, p.as_value() if hasattr(p, "as_value") else p, n, w) for k, (p, n, w) in outputs.items()]

    async def bench(ctx):
        for c in range(cycles):
            if c < len(drive):
                for port, val in drive[c]:
                    ctx.set(port.as_value() if hasattr(port, "as_value") else port, val)
            _, _, *vals = await ctx.tick().sample(*[p for _, p, _, _ in probes])
            for (k, _, n, w), v in zip(probes, vals, strict=True):
                got[k].append(unpack_lanes(v, n, w))

    top = Module()  # a clock domain even for purely combinational datapaths
    top.submodules.dut = dut
    tick = Signal()
    top.d.sync += tick.eq(~tick)
    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return {k: np.array(v, dtype=np.int64) for k, v in got.items()}
