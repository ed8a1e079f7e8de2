"""The registered output head against its numpy model: steps of row groups streamed back to
back, every weight bit read or constant, exact at the accumulator after ``latency``."""

from __future__ import annotations

import numpy as np
import pytest

from hadam_hw.errors import ConfigError
from rtl_gen.output_head import RegisteredOutputHead
from tests.support.amaranth_sim import assert_exact, pack_lanes, simulate_datapath

CASES = [  # lanes, n_out, weight bits, relu bits, groups, pipeline, constant bits
    (1, 3, 4, 11, 8, 1, False),
    (2, 2, 4, 7, 4, 2, False),
    (4, 1, 3, 5, 2, 1, True),
    (1, 4, 2, 3, 1, 3, True),
]


def _word(V_row: np.ndarray, p: int) -> int:
    """Row group's table word: lane l, output o, bit j at (l·n_out + o)·p + j."""
    return pack_lanes(V_row.reshape(-1), p)


@pytest.mark.parametrize("case", CASES, ids=[f"l{c[0]}o{c[1]}p{c[2]}r{c[3]}g{c[4]}k{c[5]}{'c' if c[6] else ''}"
                                             for c in CASES])
def test_output_head_matches_model(case):
    L, n_out, p, rb, G, K, const = case
    rng = np.random.default_rng(sum(case[:6]))
    rmax = (1 << rb) - 1
    steps = 5
    V = rng.integers(-(1 << (p - 1)), 1 << (p - 1), size=(G, L, n_out))
    V[0, 0, 0] = -(1 << (p - 1))  # the most negative weight: the subtracted sign row
    const_bits = None
    if const:  # bits equal in every row group are constants, the others are read
        bits = (V.reshape(G, L * n_out)[:, :, None] >> np.arange(p)) & 1
        const_bits = [[int(bits[0, c, j]) if (bits[:, c, j] == bits[0, c, j]).all() else None for j in range(p)]
                      for c in range(L * n_out)]
    c = rng.integers(-50, 50, size=n_out)
    wy = int(max(abs(c).max() + G * L * rmax * (1 << (p - 1)), 1)).bit_length() + 1
    dut = RegisteredOutputHead(lanes=L, n_out=n_out, weight_bits=p, relu_max=rmax, y_bits=wy, c_bits=8,
                               pipeline=K, const_bits=const_bits)
    relu = rng.integers(0, rmax + 1, size=(steps, G, L))
    relu[0] = rmax  # the largest products
    lat = dut.latency
    drive = [[(dut.c, pack_lanes(c, 8))]]
    for s in range(steps):
        for g in range(G):
            drive.append([(dut.relu, pack_lanes(relu[s, g], rb)), (dut.weights, _word(V[g], p))])
    # start marks the cycle the first row group's sum reaches the accumulators
    cycles = len(drive) + lat + 1
    drive += [[] for _ in range(cycles - len(drive))]
    for s in range(steps):
        drive[1 + s * G + lat - 1].append((dut.start, 1))
        drive[1 + s * G + lat].append((dut.start, 0))
    got = simulate_datapath(dut, drive, {"y": (dut.y, n_out, wy)}, cycles)["y"]
    want = np.array([dut.model(relu[s], V, c) for s in range(steps)])
    at = [1 + s * G + (G - 1) + lat for s in range(steps)]  # the accumulator after the last row group
    assert_exact(want, got[at], "output head y", ("step", "output"))


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_output_head_refuses_bad_parameters():
    with pytest.raises(ConfigError, match="needs pipeline >= 1"):
        RegisteredOutputHead(lanes=1, n_out=1, weight_bits=4, relu_max=7, y_bits=8, c_bits=4, pipeline=0)
    with pytest.raises(ConfigError, match="const_bits must be 2 columns of 4 entries"):
        RegisteredOutputHead(lanes=2, n_out=1, weight_bits=4, relu_max=7, y_bits=8, c_bits=4, pipeline=1,
                             const_bits=[[0, 1, None, 2]] * 2)
