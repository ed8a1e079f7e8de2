"""The whole cell against :func:`hadam_hw.golden.run_golden`, in the Amaranth simulator.

Random artifacts (dense and onehot inputs, every_step and last_step outputs, shift and
CSD constants, saturating drives), several sequences back to back in one stream with
random first/last placement. At full rate (``x.valid`` and ``ready`` held high) the
distance between accepted inputs and the latency to every ``y``/``h`` are asserted
exactly against the schedule the manifest reports; under seeded random valid gaps and
ready back-pressure the outputs must still be exactly the golden ones, in order.
"""

from __future__ import annotations

import numpy as np
import pytest

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig, ModelConfig
from hadam_hw.golden import run_golden
from hadam_hw.model import HadamModel
from rtl_gen import build_cell
from tests.support.amaranth_sim import assert_exact, run_cell


def scaled_model(m: HadamModel, *, B_factor: int = 1, C_factor: int = 1) -> HadamModel:
    """``m`` with ``B`` (and ``C``) multiplied: a non-power-of-two B, or a saturating drive."""
    cfg = ModelConfig(**{**m.config.to_json(), "B": m.config.B * B_factor})
    return HadamModel(config=cfg, sign=m.sign, U=m.U, C=m.C * C_factor, V=m.V, c=m.c,
                      scales=m.scales, provenance=m.provenance)


MODELS = {
    # name: (hidden, block, n_in, n_out, input_mode, output, state_bits, B_factor)
    "d4b2-oh3-all": (4, 2, 3, 2, "onehot", "every_step", 8, 1),
    "d8b8-x3-all": (8, 8, 3, 2, "dense", "every_step", 10, 1),
    "d16b4-oh7-last": (16, 4, 7, 3, "onehot", "last_step", 12, 1),
    "d16b16-x2-all-B3": (16, 16, 2, 3, "dense", "every_step", 9, 3),
    "d32b8-x2-last": (32, 8, 2, 4, "dense", "last_step", 12, 1),
    "d64b64-x5-all": (64, 64, 5, 3, "dense", "every_step", 12, 1),
}


def get_model(name: str, seed: int = 0) -> HadamModel:
    d, b, n_in, n_out, mode, out, sb, bf = MODELS[name]
    m = random_model(d, b, n_in, n_out, input_mode=mode, output=out, state_bits=sb, frac_bits=10, seed=seed)
    return scaled_model(m, B_factor=bf) if bf != 1 else m


def stimulus(model: HadamModel, batch: int, T: int, seed: int, extreme: float = 0.3):
    """Inputs with a share of extreme values, and random sequence boundaries inside each row."""
    rng = np.random.default_rng(seed)
    lo, hi = model.config.x_range
    shape = (batch, T) if model.onehot else (batch, T, model.config.n_in)
    x = rng.integers(lo, hi + 1, size=shape)
    pick = rng.random(shape)
    x = np.where(pick < extreme / 2, lo, np.where(pick < extreme, hi, x))
    first = rng.random((batch, T)) < 0.3
    first[:, 0] = True  # every batch row starts from a zero state, as in the golden model
    last = np.zeros((batch, T), dtype=bool)
    last[:, :-1] = first[:, 1:]  # a sequence ends where the next one starts
    last[:, -1] = True
    return x, first, last


# (model, arch, lanes, pipeline, expose_state)
CASES = [
    ("d4b2-oh3-all", "butterfly", 1, 0, True),
    ("d4b2-oh3-all", "adder_tree", 4, 0, True),
    ("d4b2-oh3-all", "sdf", 1, 1, True),
    ("d4b2-oh3-all", "dense", 2, 0, False),
    ("d8b8-x3-all", "butterfly", 1, 1, True),
    ("d8b8-x3-all", "adder_tree", 1, 0, True),
    ("d8b8-x3-all", "sdf", 2, 0, True),
    ("d8b8-x3-all", "dense", 1, 2, True),
    ("d16b4-oh7-last", "butterfly", 1, 2, True),
    ("d16b4-oh7-last", "adder_tree", 2, 1, True),
    ("d16b4-oh7-last", "sdf", 1, 0, True),
    ("d16b4-oh7-last", "sdf", 8, 1, False),
    ("d16b4-oh7-last", "dense", 4, 0, True),
    ("d16b16-x2-all-B3", "butterfly", 1, 0, True),
    ("d16b16-x2-all-B3", "adder_tree", 16, 2, True),
    ("d16b16-x2-all-B3", "sdf", 4, 2, True),
    ("d16b16-x2-all-B3", "dense", 8, 1, False),
    ("d32b8-x2-last", "butterfly", 1, 3, True),
    ("d32b8-x2-last", "adder_tree", 4, 0, True),
    ("d32b8-x2-last", "sdf", 2, 1, True),
    ("d32b8-x2-last", "dense", 8, 0, True),
    ("d32b8-x2-last", "adder_tree", 1, 2, True),  # 32 row groups: two-stage tables
    ("d64b64-x5-all", "butterfly", 1, 2, True),
    ("d64b64-x5-all", "adder_tree", 8, 1, True),
    ("d64b64-x5-all", "sdf", 4, 0, True),
    ("d64b64-x5-all", "sdf", 1, 1, True),  # SDF delays of 32, 16 and 8 cycles in memories
    ("d64b64-x5-all", "sdf", 2, 1, False),
    ("d64b64-x5-all", "dense", 16, 3, True),
]


def _id(case) -> str:
    name, arch, lanes, k, h = case
    return f"{name}-{HardwareConfig(arch=arch, lanes=lanes, pipeline=k, expose_state=h).tag}"


def _cell(case):
    name, arch, lanes, k, h = case
    return build_cell(get_model(name), HardwareConfig(arch=arch, lanes=lanes, pipeline=k, expose_state=h))


def check_full_rate_timing(cell, run, y_steps) -> None:
    S = cell.schedule
    acc = np.array(run.accept_cycles)
    gaps = np.diff(acc)
    assert (gaps == S.cycles_per_step).all(), (
        f"cycles between accepted inputs {sorted(set(gaps.tolist()))}, manifest says {S.cycles_per_step}")
    ylat = np.array(run.y_cycles) - acc[y_steps]
    assert (ylat == S.latency_cycles).all(), f"y latencies {sorted(set(ylat.tolist()))}, manifest says {S.latency_cycles}"
    if cell.hw.expose_state:
        hlat = np.array(run.h_cycles) - acc
        assert (hlat == S.latency_cycles_h).all(), (
            f"h latencies {sorted(set(hlat.tolist()))}, manifest says {S.latency_cycles_h}")


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_cell_matches_golden_at_full_rate(case):
    cell = _cell(case)
    x, first, last = stimulus(cell.model, batch=2, T=7, seed=11)
    run, y_steps = run_cell(cell, x, first, last)
    check_full_rate_timing(cell, run, y_steps)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_cell_matches_golden_under_gaps_and_backpressure(case):
    cell = _cell(case)
    x, first, last = stimulus(cell.model, batch=2, T=6, seed=5)
    run_cell(cell, x, first, last, gap=0.4, ready=0.35, seed=17)


@pytest.mark.parametrize("arch,lanes,k", [("butterfly", 1, 0), ("adder_tree", 2, 1), ("sdf", 1, 0), ("dense", 4, 2),
                                           ("sdf", 2, 2), ("adder_tree", 1, 0)],
                         ids=["butterfly", "adder_tree-p1", "sdf-p0", "dense-p2", "sdf-p2", "adder_tree-p0"])
def test_cell_saturates_exactly(arch, lanes, k):
    """A drive 16x too strong with extreme inputs: the state sits on both rails."""
    m = scaled_model(get_model("d8b8-x3-all", seed=3), B_factor=16)
    x, first, last = stimulus(m, batch=1, T=10, seed=2, extreme=0.9)
    g = run_golden(m, x, first, last)
    lo, hi = m.config.h_range
    assert (g.h == lo).any() and (g.h == hi).any(), "the stimulus must saturate both ways"
    cell = build_cell(m, HardwareConfig(arch=arch, lanes=lanes, pipeline=k, expose_state=True))
    run, y_steps = run_cell(cell, x, first, last)
    check_full_rate_timing(cell, run, y_steps)


def test_state_is_zero_after_reset_even_without_first():
    """The first step after reset reads a zero state even when its ``first`` flag is 0."""
    m = get_model("d16b4-oh7-last")
    x, _, last = stimulus(m, batch=1, T=5, seed=9)
    first = np.zeros((1, 5), dtype=bool)
    for arch, k in (("sdf", 0), ("adder_tree", 0), ("butterfly", 0), ("sdf", 2), ("adder_tree", 1), ("dense", 2)):
        run_cell(build_cell(m, HardwareConfig(arch=arch, lanes=1, pipeline=k, expose_state=True)), x, first, last)


def test_unsigned_inputs_and_single_output():
    m = random_model(8, 4, 2, 1, in_bits=6, state_bits=10, frac_bits=8, output="every_step", seed=4)
    cfg = ModelConfig(**{**m.config.to_json(), "in_signed": False})
    m = HadamModel(config=cfg, sign=m.sign, U=m.U, C=m.C, V=m.V, c=m.c, scales=m.scales)
    x, first, last = stimulus(m, batch=1, T=6, seed=1)
    for arch, lanes in (("butterfly", 1), ("sdf", 2), ("adder_tree", 1), ("dense", 8)):
        cell = build_cell(m, HardwareConfig(arch=arch, lanes=lanes, expose_state=True))
        run, y_steps = run_cell(cell, x, first, last)
        check_full_rate_timing(cell, run, y_steps)


RESET_CASES = [("butterfly", 1, 0), ("adder_tree", 2, 0), ("sdf", 1, 0), ("dense", 4, 0),
               ("adder_tree", 2, 1), ("sdf", 1, 2), ("sdf", 2, 1), ("dense", 4, 2)]


@pytest.mark.parametrize("arch,lanes,k", RESET_CASES, ids=[f"{a}-l{n}-p{k}" for a, n, k in RESET_CASES])
def test_reset_mid_stream_restarts_from_zero_state(arch, lanes, k):
    """A synchronous reset while steps are in flight drops them; the next step reads h = 0."""
    from amaranth.hdl import ClockDomain, Module
    from amaranth.sim import Simulator

    from tests.support.amaranth_sim import pack_x, unpack_lanes

    m = get_model("d8b8-x3-all")
    cell = build_cell(m, HardwareConfig(arch=arch, lanes=lanes, pipeline=k, expose_state=True))
    xa, fa_, la = stimulus(m, batch=1, T=3, seed=21)
    xb, _, lb = stimulus(m, batch=1, T=4, seed=22)
    fb = np.zeros((1, 4), dtype=bool)  # no `first`: after reset the state is zero anyway
    gb = run_golden(m, xb, fb, lb)
    words_a = [pack_x(m, xa[0, t], fa_[0, t], la[0, t]) for t in range(3)]
    words_b = [pack_x(m, xb[0, t], fb[0, t], lb[0, t]) for t in range(4)]
    S = cell.schedule
    wy = cell.widths.width("y")
    got_y, got_h = [], []
    top = Module()
    top.domains.sync = cd = ClockDomain("sync")
    top.submodules.cell = cell

    async def bench(ctx):
        ctx.set(cell.y.ready, 1)
        ctx.set(cell.h.ready, 1)
        queue, phase, wait = list(words_a), "a", 0
        for _ in range(4 * S.latency_cycles + 10 * S.cycles_per_step + 20):
            if phase == "a" and not queue:
                wait += 1
                if wait == 3:  # reset while A is still in flight
                    ctx.set(cell.x.valid, 0)
                    ctx.set(cd.rst, 1)
                    await ctx.tick()
                    ctx.set(cd.rst, 0)
                    queue, phase = list(words_b), "b"
                    continue
            ctx.set(cell.x.valid, bool(queue))
            if queue:
                ctx.set(cell.x.payload.as_value(), queue[0])
            _, _, xr, yv, yp, hv, hp = await ctx.tick().sample(
                cell.x.ready, cell.y.valid, cell.y.payload.as_value(), cell.h.valid, cell.h.payload.as_value())
            if queue and xr:
                queue.pop(0)
            if phase == "b" and yv:
                got_y.append(unpack_lanes(yp, m.config.n_out, wy))
            if phase == "b" and hv:
                got_h.append(unpack_lanes(hp, m.config.hidden, m.config.state_bits))

    sim = Simulator(top)
    sim.add_clock(1e-8, domain=cd)
    sim.add_testbench(bench)
    sim.run()
    assert_exact(gb.h[0], np.array(got_h), "h after reset", ("step", "state lane"))
    assert_exact(gb.y[0], np.array(got_y), "y after reset", ("step", "output lane"))
