"""Each recurrence datapath against its own numpy ``model()`` in the Amaranth simulator.

Inputs mix random values with the extremes that reach the ends of every derived range
(all minimum, all maximum, each row's own sign pattern times the extremes), so the widths
are exercised at their limits. Comparisons are exact and name the first bad cycle/lane.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Fragment

from hadam_hw.hadamard import block_hadamard, sylvester
from rtl_gen.datapaths.butterfly import ButterflyFWHT
from rtl_gen.datapaths.dense_matvec import DenseTernaryMatVec
from rtl_gen.datapaths.sdf import SDFButterfly
from rtl_gen.datapaths.sign_flip_adder_tree import SignFlipAdderTree
from tests.support.amaranth_sim import assert_exact, pack_lanes, simulate_datapath


def _extreme_vectors(rng, n: int, d: int, block: int, width: int) -> np.ndarray:
    """``n`` vectors of ``d`` signed ``width``-bit values, extremes first, then random."""
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    S = sylvester(block).astype(np.int64)
    rows = [np.full(d, lo), np.full(d, hi), np.resize([lo, hi], d), np.zeros(d, dtype=np.int64)]
    for i in rng.choice(block, size=min(block, 4), replace=False):
        pattern = np.tile(S[i], d // block)
        rows.append(np.where(pattern > 0, hi, lo))  # row i's maximum
        rows.append(np.where(pattern > 0, lo, hi))  # and minimum
    out = np.array(rows, dtype=np.int64)
    extra = rng.integers(lo, hi + 1, size=(max(0, n - len(out)), d))
    return np.concatenate([out, extra])[: max(n, len(out))]


BUTTERFLY = [(4, 4, 0), (4, 2, 1), (8, 1, 0), (16, 16, 0), (16, 4, 2), (32, 32, 3), (64, 64, 1), (64, 8, 0)]


@pytest.mark.parametrize("d,b,k", BUTTERFLY, ids=[f"d{d}b{b}p{k}" for d, b, k in BUTTERFLY])
def test_butterfly_matches_model(d, b, k):
    rng = np.random.default_rng(d * 100 + b + k)
    w = 6
    dut = ButterflyFWHT(hidden=d, block=b, in_width=w, pipeline=k)
    assert dut.out_width == w + b.bit_length() - 1
    X = _extreme_vectors(rng, 24, d, b, w)
    drive = [[(dut.x, pack_lanes(v, w))] for v in X]
    got = simulate_datapath(dut, drive, {"y": (dut.y, d, dut.out_width)}, len(X) + dut.latency)["y"]
    assert_exact(dut.model(X), got[dut.latency:], f"butterfly d{d}b{b}p{k}", ("cycle", "lane"))


TREES = [
    (4, 4, 1, 0), (4, 4, 4, 1), (8, 1, 2, 0), (16, 2, 8, 1), (16, 4, 2, 0), (16, 16, 1, 2),
    (32, 8, 32, 0), (64, 16, 4, 1), (64, 64, 1, 0), (64, 64, 16, 3),
]


def _tree_drive(dut, rng, X):
    rows = rng.integers(0, dut.groups, size=len(X))
    rows[: min(len(X), dut.groups)] = np.arange(min(len(X), dut.groups))  # every row group once
    drive = [[(dut.h, pack_lanes(v, dut.in_width)), (dut.row, int(g))] for v, g in zip(X, rows, strict=True)]
    return rows, drive


@pytest.mark.parametrize("d,b,lanes,k", TREES, ids=[f"d{d}b{b}l{n}p{k}" for d, b, n, k in TREES])
def test_adder_tree_matches_model(d, b, lanes, k):
    rng = np.random.default_rng(d * 1000 + b * 10 + lanes + k)
    w = 5
    dut = SignFlipAdderTree(hidden=d, block=b, lanes=lanes, in_width=w, pipeline=k)
    X = _extreme_vectors(rng, max(24, dut.groups), d, b, w)
    rows, drive = _tree_drive(dut, rng, X)
    got = simulate_datapath(dut, drive, {"r": (dut.r, lanes, dut.out_width)}, len(X) + dut.latency)["r"]
    assert_exact(dut.model(X, rows), got[dut.latency:], f"adder_tree d{d}b{b}l{lanes}p{k}", ("cycle", "lane"))


def test_adder_tree_model_is_the_block_hadamard_product():
    rng = np.random.default_rng(7)
    d, b, lanes = 16, 4, 2
    dut = SignFlipAdderTree(hidden=d, block=b, lanes=lanes, in_width=8)
    Fragment.get(dut, None)  # elaborates (and so uses) the component
    h = rng.integers(-128, 128, size=(d // lanes, d))
    rows = np.arange(d // lanes)
    full = (block_hadamard(d, b).astype(np.int64) @ h.T).T  # row n: S·h_n
    expect = np.array([full[n, g * lanes:(g + 1) * lanes] for n, g in enumerate(rows)])
    assert_exact(expect, dut.model(h, rows), "adder_tree model")


DENSE = [(4, 4, 1, 0), (8, 2, 2, 1), (16, 16, 1, 0), (16, 4, 4, 2), (32, 8, 32, 1), (64, 64, 2, 3)]


@pytest.mark.parametrize("d,b,lanes,k", DENSE, ids=[f"d{d}b{b}l{n}p{k}" for d, b, n, k in DENSE])
def test_dense_matches_model(d, b, lanes, k):
    rng = np.random.default_rng(d * 1000 + b * 10 + lanes + k + 1)
    w = 5
    dut = DenseTernaryMatVec(matrix=block_hadamard(d, b), lanes=lanes, in_width=w, pipeline=k)
    X = _extreme_vectors(rng, max(24, dut.groups), d, b, w)
    rows, drive = _tree_drive(dut, rng, X)
    got = simulate_datapath(dut, drive, {"r": (dut.r, lanes, dut.out_width)}, len(X) + dut.latency)["r"]
    assert_exact(dut.model(X, rows), got[dut.latency:], f"dense d{d}b{b}l{lanes}p{k}", ("cycle", "lane"))


def test_dense_takes_any_ternary_matrix():
    rng = np.random.default_rng(3)
    d, lanes, w = 8, 2, 4
    M = rng.integers(-1, 2, size=(d, d))
    dut = DenseTernaryMatVec(matrix=M, lanes=lanes, in_width=w, pipeline=1)
    X = rng.integers(-8, 8, size=(20, d))
    X[0], X[1] = -8, 7
    rows, drive = _tree_drive(dut, rng, X)
    got = simulate_datapath(dut, drive, {"r": (dut.r, lanes, dut.out_width)}, len(X) + dut.latency)["r"]
    assert_exact(dut.model(X, rows), got[dut.latency:], "dense random ternary", ("cycle", "lane"))
    assert_exact((M @ X.T).T[np.arange(len(X))[:, None], rows[:, None] * lanes + np.arange(lanes)],
                 dut.model(X, rows), "dense model")


SDF = [
    (1, 1, 0, 4), (2, 1, 0, 4), (4, 1, 0, 4), (4, 1, 0, 16), (8, 8, 0, 16), (8, 16, 1, 32),
    (16, 1, 1, 16), (16, 2, 0, 32), (16, 4, 2, 16), (32, 2, 3, 32), (64, 1, 0, 64),
]


@pytest.mark.parametrize("addsub", ["generic", "ccu2c"])
@pytest.mark.parametrize("b,lanes,k,d", SDF, ids=[f"d{d}b{b}l{n}p{k}" for b, n, k, d in SDF])
def test_sdf_matches_model(b, lanes, k, d, addsub):
    """Steps back to back and after gaps of 1..5 cycles (garbage in between), exact per group.
    ``ccu2c``: the stages of the ECP5 form with their add/subtract units' behavioural twin (the
    carry-cell chain is proved equal to it in ``test_add_sub.py``)."""
    rng = np.random.default_rng(b * 1000 + lanes * 10 + k + d)
    w = 6
    dut = SDFButterfly(block=b, lanes=lanes, in_width=w, pipeline=k, addsub=addsub, primitives=False)
    G = d // lanes
    steps = _extreme_vectors(rng, 10, d, b, w)
    gaps = [0, 0, 1, 0, 3, 2, 0, 5, 1, 0][: len(steps)] + [0] * max(0, len(steps) - 10)
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    drive, starts = [], []
    for s, vec in enumerate(steps):
        for _ in range(gaps[s]):
            drive.append([(dut.x, pack_lanes(rng.integers(lo, hi + 1, size=lanes), w)), (dut.start, 0)])
        starts.append(len(drive))
        for g in range(G):
            drive.append([(dut.x, pack_lanes(vec[g * lanes:(g + 1) * lanes], w)), (dut.start, int(g == 0))])
    drive.append([(dut.x, 0), (dut.start, 0)])
    got = simulate_datapath(dut, drive, {"y": (dut.y, lanes, dut.out_width)}, len(drive) + dut.latency)["y"]
    expect = dut.model(steps)
    for s, c0 in enumerate(starts):
        seen = got[c0 + dut.latency: c0 + dut.latency + G].reshape(-1)
        assert_exact(expect[s], seen, f"sdf d{d}b{b}l{lanes}p{k} step {s}", ("element",))


@pytest.mark.parametrize("b,lanes,ram_words,rams", [(16, 1, 16, 1), (16, 4, 0, 0), (64, 2, 48, 2), (64, 1, 112, 4)])
def test_sdf_delay_lines_and_latency(b, lanes, ram_words, rams):
    """Each stage keeps its input for D and 2D cycles: 2·(b/lanes − 1) words per lane, the
    stages with 2D >= 16 words in memories of (x, x delayed D) words, banks of at most 16 words
    in cascade."""
    dut = SDFButterfly(block=b, lanes=lanes, in_width=8)
    piped = SDFButterfly(block=b, lanes=lanes, in_width=8, pipeline=2)
    frag, _ = Fragment.get(dut, None), Fragment.get(piped, None)
    assert dut.delay_words == (ram_words, 2 * (b // lanes - 1) - ram_words)
    mems = [name for _, name, _ in frag.subfragments if "_mem" in str(name)]
    assert len(mems) == rams, mems
    assert dut.latency == b // lanes - 1
    assert piped.latency == b // lanes - 1 + (b.bit_length() - 1) // 2
