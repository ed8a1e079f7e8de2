"""The components of the registered design (``pipeline > 0``) against their numpy ``model()``.

The final add (ones' complement sign, CSD or shift ``A``, overflow clamp with relu), the
registered SDF (``start`` one cycle ahead), the registered sign-flip adder tree and dense
datapath (``row`` one cycle ahead of ``h``), in the Amaranth simulator, exactly, with the
extremes of every range.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Const, Module, signed

from hadam_hw.fixedpoint import Interval
from hadam_hw.hadamard import block_hadamard
from rtl_gen.arith import Term, gated_rows, overflow_clamp, registered_sum
from rtl_gen.datapaths.dense_matvec import DenseTernaryMatVec
from rtl_gen.datapaths.sdf import SDFButterfly
from rtl_gen.datapaths.sign_flip_adder_tree import SignFlipAdderTree
from rtl_gen.final_add import RegisteredFinalAdd, ones_complement_interval
from tests.rtl_gen.test_datapaths import _extreme_vectors
from tests.support.amaranth_sim import assert_exact, pack_lanes, simulate_datapath

FINAL = [  # lanes, A, frac_bits, state_bits, pipeline, r width, w range
    (1, 362, 12, 12, 1, 19, (-(1 << 26), 1 << 26)),
    (2, 362, 12, 12, 2, 19, (-(1 << 26), 1 << 26)),
    (3, 2048, 12, 8, 1, 12, (-(1 << 22), 1 << 22)),
    (1, 5, 4, 6, 3, 9, (-3000, 2500)),
    (2, 1, 0, 5, 1, 6, (-40, 40)),
]


@pytest.mark.parametrize("case", FINAL, ids=[f"l{c[0]}A{c[1]}F{c[2]}s{c[3]}p{c[4]}" for c in FINAL])
def test_registered_final_add_matches_model(case):
    lanes, A, F, sb, k, rw, (wlo, whi) = case
    rng = np.random.default_rng(A + 7 * k + lanes)
    r_iv = Interval(-(1 << (rw - 1)), (1 << (rw - 1)) - 1)
    dut = RegisteredFinalAdd(lanes=lanes, r_interval=r_iv, w_interval=Interval(wlo, whi), A=A, frac_bits=F,
                             state_bits=sb, pipeline=k)
    n = 60
    r = rng.integers(r_iv.lo, r_iv.hi + 1, size=(n, lanes))
    r[:4] = [[r_iv.lo], [r_iv.hi], [0], [-1]]
    neg = rng.integers(0, 2, size=(n, lanes))
    w = rng.integers(wlo, whi + 1, size=(n, lanes))
    w[:4] = [[wlo], [whi], [whi], [wlo]]
    # around the clamp's edges: z just inside and just outside the state range
    edge = (np.array([-(1 << (sb - 1)) - 1, -(1 << (sb - 1)), (1 << (sb - 1)) - 1, 1 << (sb - 1)]) << F)
    for i, e in enumerate(edge):
        r[4 + i], neg[4 + i] = 0, 0
        w[4 + i] = np.clip(e, wlo, whi)
    drive = [[(dut.r, pack_lanes(r[i], r_iv.width)), (dut.neg, int(sum(int(b) << j for j, b in enumerate(neg[i])))),
              (dut.w, pack_lanes(w[i], Interval(wlo, whi).width))] for i in range(n)]
    got = simulate_datapath(dut, drive, {"h": (dut.h, lanes, sb), "relu": (dut.relu, lanes, sb - 1)},
                            n + dut.latency)
    h, relu = dut.model(r, neg, w)
    assert_exact(h, got["h"][dut.latency:], "final add h", ("cycle", "lane"))
    # relu lanes are unsigned (the harness reads lanes as signed)
    assert_exact(relu, got["relu"][dut.latency:] % (1 << (sb - 1)), "final add relu", ("cycle", "lane"))
    lo, hi = -(1 << (sb - 1)), (1 << (sb - 1)) - 1
    assert (h == lo).any() and (h == hi).any(), "the stimulus must reach both rails"


def test_ones_complement_interval():
    assert ones_complement_interval(Interval(-4, 3)) == Interval(-4, 3)
    assert ones_complement_interval(Interval(0, 5)) == Interval(-6, 5)


@pytest.mark.parametrize("width,sb", [(16, 12), (12, 12), (9, 12), (7, 4)])
def test_overflow_clamp_is_the_clamp(width, sb):
    """Exhaustively (or over a strided sweep) against ``np.clip`` and ``max(h, 0)``."""
    vals = np.arange(-(1 << (width - 1)), 1 << (width - 1), max(1, (1 << width) // 3000))
    vals = np.unique(np.concatenate([vals, [-(1 << (width - 1)), (1 << (width - 1)) - 1, -(1 << (sb - 1)),
                                            (1 << (sb - 1)) - 1, 1 << (sb - 1), -(1 << (sb - 1)) - 1]]))
    vals = vals[(vals >= -(1 << (width - 1))) & (vals < (1 << (width - 1)))]

    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    class Dut(wiring.Component):
        def __init__(self):
            super().__init__({"z": In(signed(width)), "h": Out(signed(sb)), "r": Out(sb - 1)})

        def elaborate(self, platform):
            mm = Module()
            he, re_ = overflow_clamp(self.z, -(1 << (sb - 1)), (1 << (sb - 1)) - 1, sb)
            mm.d.comb += [self.h.eq(he), self.r.eq(re_)]
            return mm

    dut = Dut()
    drive = [[(dut.z, int(v) & ((1 << width) - 1))] for v in vals]
    got = simulate_datapath(dut, drive, {"h": (dut.h, 1, sb), "r": (dut.r, 1, sb - 1)}, len(vals))
    expect_h = np.clip(vals, -(1 << (sb - 1)), (1 << (sb - 1)) - 1)
    assert_exact(expect_h, got["h"][:, 0], "clamp", ("value",))
    assert_exact(np.maximum(expect_h, 0), got["r"][:, 0] % (1 << (sb - 1)), "relu", ("value",))


@pytest.mark.parametrize("p,xw,signed_x", [(4, 8, True), (3, 5, False), (2, 6, True)])
def test_gated_rows_sum_to_the_product(p, xw, signed_x):
    """The registered sum of the gated rows is ``w · x`` for every weight and extreme inputs."""
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    xlo, xhi = (-(1 << (xw - 1)), (1 << (xw - 1)) - 1) if signed_x else (0, (1 << xw) - 1)
    xiv = Interval(xlo, xhi)

    class Dut(wiring.Component):
        def __init__(self):
            super().__init__({"x": In(signed(xw) if signed_x else xw), "wb": In(p), "y": Out(signed(xw + p + 2))})

        def elaborate(self, platform):
            mm = Module()
            rows = gated_rows(Term(self.x, xiv), [self.wb[j] for j in range(p)] + [], "g")
            rows.append(Term(Const(0, 1), Interval(0, 0)))
            tot, self.regs = registered_sum(mm, rows, pipeline=1, name="s")
            mm.d.comb += self.y.eq(tot.value)
            return mm

    dut = Dut()
    weights = np.arange(-(1 << (p - 1)), 1 << (p - 1))
    xs = np.array([xlo, xhi, 0, 1, xlo + 1, xhi - 1])
    pairs = [(int(wv), int(xv)) for wv in weights for xv in xs]
    drive = [[(dut.x, xv & ((1 << xw) - 1)), (dut.wb, wv & ((1 << p) - 1))] for wv, xv in pairs]
    lat = 3 if p + 1 > 4 else 2 if p + 1 > 2 else 1
    got = simulate_datapath(dut, drive, {"y": (dut.y, 1, xw + p + 2)}, len(pairs) + lat)["y"][lat:, 0]
    assert_exact([wv * xv for wv, xv in pairs], got, "gated rows", ("pair",))


SDF_REG = [(4, 1, 1, 8), (8, 2, 1, 16), (16, 1, 2, 16), (16, 4, 3, 32), (32, 1, 1, 32), (8, 8, 2, 16)]


@pytest.mark.parametrize("addsub", ["generic", "ccu2c"])
@pytest.mark.parametrize("b,lanes,k,d", SDF_REG, ids=[f"d{d}b{b}l{n}p{k}" for b, n, k, d in SDF_REG])
def test_registered_sdf_matches_model(b, lanes, k, d, addsub):
    """``start`` one cycle ahead of group 0; steps back to back and after gaps (``ccu2c``: the
    ECP5 form's stages with the behavioural twin of their carry-cell chains)."""
    rng = np.random.default_rng(b * 100 + lanes * 10 + k)
    w = 6
    dut = SDFButterfly(block=b, lanes=lanes, in_width=w, pipeline=k, registered=True, addsub=addsub, primitives=False)
    assert dut.latency == max(0, b // lanes - 1) + -(-(b.bit_length() - 1) // k)
    G = d // lanes
    steps = _extreme_vectors(rng, 8, d, b, w)
    gaps = [1, 0, 2, 0, 3, 1, 0, 4]  # step 0 needs the cycle before it for its start mark
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    drive, starts = [], []
    for s, vec in enumerate(steps):
        for _ in range(gaps[s % len(gaps)] if s else 1):
            drive.append([(dut.x, pack_lanes(rng.integers(lo, hi + 1, size=lanes), w)), (dut.start, 0)])
        drive[-1] = [drive[-1][0], (dut.start, 1)]  # the cycle before group 0
        starts.append(len(drive))
        for g in range(G):
            drive.append([(dut.x, pack_lanes(vec[g * lanes:(g + 1) * lanes], w)), (dut.start, 0)])
    drive.append([(dut.x, 0), (dut.start, 0)])
    got = simulate_datapath(dut, drive, {"y": (dut.y, lanes, dut.out_width)}, len(drive) + dut.latency)["y"]
    expect = dut.model(steps)
    for s, c0 in enumerate(starts):
        seen = got[c0 + dut.latency: c0 + dut.latency + G].reshape(-1)
        assert_exact(expect[s], seen, f"registered sdf d{d}b{b}l{lanes}p{k} step {s}", ("element",))


TREES_REG = [("adder_tree", 16, 4, 2, 1), ("adder_tree", 16, 16, 1, 2), ("adder_tree", 32, 8, 4, 3),
             ("dense", 16, 4, 2, 1), ("dense", 16, 16, 4, 2), ("dense", 8, 1, 2, 1)]


@pytest.mark.parametrize("arch,d,b,lanes,k", TREES_REG, ids=[f"{a}-d{d}b{b}l{n}p{k}" for a, d, b, n, k in TREES_REG])
def test_registered_trees_match_model(arch, d, b, lanes, k):
    """``row`` one cycle ahead of ``h``: r at ``row cycle + 1 + latency``."""
    rng = np.random.default_rng(d * 10 + b + lanes + k)
    w = 5
    if arch == "adder_tree":
        dut = SignFlipAdderTree(hidden=d, block=b, lanes=lanes, in_width=w, pipeline=k, registered=True)
    else:
        dut = DenseTernaryMatVec(matrix=block_hadamard(d, b), lanes=lanes, in_width=w, pipeline=k, registered=True)
    assert dut.row_lead == 1
    X = _extreme_vectors(rng, max(24, dut.groups), d, b, w)
    rows = rng.integers(0, dut.groups, size=len(X))
    rows[: min(len(X), dut.groups)] = np.arange(min(len(X), dut.groups))
    drive = [[(dut.row, int(rows[0]))]]
    for i in range(len(X)):
        nxt = int(rows[i + 1]) if i + 1 < len(X) else 0
        drive.append([(dut.h, pack_lanes(X[i], w)), (dut.row, nxt)])
    got = simulate_datapath(dut, drive, {"r": (dut.r, lanes, dut.out_width)}, len(drive) + dut.latency)["r"]
    assert_exact(dut.model(X, rows), got[1 + dut.latency:1 + dut.latency + len(X)], f"registered {arch}",
                 ("cycle", "lane"))
