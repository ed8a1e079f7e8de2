"""The feature extraction follows the RTL: exact timing, exact flip-flops where the structure is
simple, and the costs SPEC §6 asks to keep visible."""

import time

import pytest

from estimate.model import load_calibration, predict
from estimate.points import DesignPoint
from estimate.report import dense_match
from estimate.resources import (
    FEATURES,
    PARTS,
    TARGET_RULES,
    macc,
    memory_mapping,
    product_rows,
    registered_sum_features,
    resources,
    table_columns,
    tree_maccs,
)
from hadam_hw.config import HardwareConfig

POINTS = [
    DesignPoint(8, arch="adder_tree", n_in=2, n_out=2),
    DesignPoint(16, 4, "adder_tree", lanes=2, pipeline=1, n_in=3, n_out=2),
    DesignPoint(8, arch="butterfly", n_in=2, n_out=3, pipeline=1),
    DesignPoint(16, 8, "sdf", lanes=2, n_in=2, n_out=2),
    DesignPoint(8, 4, "dense", lanes=4, pipeline=2, n_in=2, n_out=2, output="every_step"),
    DesignPoint(16, arch="adder_tree", input_mode="onehot", n_in=5, n_out=2),
]


@pytest.mark.parametrize("p", POINTS, ids=lambda p: p.tag)
def test_timing_is_the_manifests(p):
    """cycles_per_step, latency and the part that sets the pace equal the generated manifest."""
    import rtl_gen

    _, manifest = rtl_gen.render(p.model(), p.hw())
    for target in ("ecp5", "ice40"):
        est = predict(p.model(), p.hw(), target)
        assert est.cycles_per_step == manifest["cycles_per_step"]
        assert est.latency_cycles == manifest["latency_cycles"]
        assert est.set_by == manifest["cycles_per_step_set_by"]
        assert est.parts == manifest["cycles_per_step_parts"]


def test_prediction_takes_milliseconds():
    p = DesignPoint(128, arch="butterfly")
    model, hw = p.model(), p.hw()
    predict(model, hw, "ecp5")  # warm the imports
    t0 = time.perf_counter()
    est = predict(model, hw, "ecp5")
    assert time.perf_counter() - t0 < 0.5
    assert est.luts > 0 and est.dsps == 256  # 128 projection + 128 head multipliers


def test_every_component_has_a_known_part_and_features():
    for p in POINTS:
        for target in TARGET_RULES:
            res = resources(p.model(), p.hw(), target)
            for c in res.components:
                assert c.part in PARTS
                assert set(c.features) <= set(FEATURES)


def test_the_constant_A_costs_nothing_for_a_power_of_4_block_and_something_otherwise():
    even = resources(DesignPoint(16, 16, "butterfly").model(), HardwareConfig(arch="butterfly"), "ecp5")
    odd = resources(DesignPoint(32, 8, "butterfly").model(), HardwareConfig(arch="butterfly"), "ecp5")
    assert even.facts["A_signed_digits"] == 1
    assert even.by_part()["A_constant"]["csa"] == 0
    assert odd.facts["A_signed_digits"] > 1
    assert odd.by_part()["A_constant"]["csa"] > 0
    est = predict(DesignPoint(32, 8, "butterfly").model(), HardwareConfig(arch="butterfly"), "ecp5")
    assert est.by_part["A_constant"]["luts"] > 0.1 * est.by_part["recurrence"]["luts"]


def test_butterfly_recurrence_is_d_log2_b_adders_of_growing_width():
    p = DesignPoint(16, 4, "butterfly", n_in=2, n_out=2)  # A a shift: the last stage merges into the final add
    rec = resources(p.model(), p.hw(), "ecp5").by_part()["recurrence"]
    assert rec["alu"] == 16 * 13  # stage 1 (13 bits) as adders, stage 2 merged
    assert rec["ff"] == 16 * 12  # the state


def test_macc_and_tree_walk():
    assert macc([12], 12) == {}
    assert macc([12, 12, 12, 12], 14) == {"csa": 24.0, "alu": 14.0}
    from hadam_hw.fixedpoint import Interval

    iv = Interval(-8, 7)
    feats, root, ops, reg = tree_maccs([(iv, [4])] * 4, pipeline=1)
    assert reg and ops == [6] and root == Interval(-32, 28)
    assert feats["ff"] == 2 * 5 + 6  # two 5-bit sums, then the 6-bit root, registered


def test_registered_sums_of_product_rows_cost_their_significant_bits():
    import numpy as np

    from hadam_hw.fixedpoint import Interval

    x = Interval(-128, 127)
    variable = np.array([[0, 0, 0, 0], [1, 1, 1, 1]])  # every weight bit changes over the table
    rows, gates = product_rows(x, variable, shift=3)
    assert gates == 4 * 8 and [r[2] for r in rows] == [3, 4, 5, 6]  # x << (j + 3): j + 3 zero low bits
    assert rows[3][0] == -(x.scale(8).union(Interval(0, 0))).scale(8)  # the sign row is subtracted
    feats, root, zeros = registered_sum_features(rows, pipeline=2)  # one 4-operand sum, registered
    assert root == rows[0][0] + rows[1][0] + rows[2][0] + rows[3][0] and zeros == 3
    assert feats["ff"] == root.width - 3 and feats["ff_zero"] == 3  # the zero bits' flip-flops on their own
    assert feats["csa"] == rows[0][1] + rows[1][1] and feats["alu"] == root.width - 3  # two narrowest compressed
    constant = np.array([[1, 0, 1, 1], [1, 0, 0, 0]])  # bit 0 always set, bit 1 never: a plain row, nothing
    rows, gates = product_rows(x, constant)
    assert rows[0] == (x, 8, 0) and rows[1] is None and gates == 2 * 8
    feats, root, _ = registered_sum_features(rows, pipeline=1)  # (row0 + 0), (row2 + row3), then the root
    pair = rows[2][0] + rows[3][0]
    assert root == x + pair
    assert feats["ff"] == 8 + (pair.width - 2) + root.width and feats["ff_zero"] == 0  # two-operand sums only
    assert feats["alu"] == (pair.width - 2) + root.width  # row0 + nothing needs no adder


def test_registered_head_registers_are_the_rtls():
    """The head's registered sums as the RTL declares them (interval widths, zero bits included)."""
    import re

    import numpy as np

    from hadam_hw.fixedpoint import Interval
    from hadam_hw.widths import design_widths
    from rtl_gen.cache import generate_cached

    p = DesignPoint(16, arch="adder_tree", lanes=2, pipeline=2, n_in=3, n_out=2)
    v, _ = generate_cached(p.model(), p.hw())
    declared = sum(int(w) + 1 for w, _ in re.findall(r"reg (?:signed )?\[(\d+):0\] \\?(head\d+_(?:r\d+_\d+|root)) ",
                                                      v.read_text()))
    model, L = p.model(), p.lanes
    Vg = model.V.astype(np.int64).T.reshape(-1, L * model.config.n_out)
    relu = Interval(0, int(design_widths(model, p.hw()).intervals["relu"].hi))
    total = 0.0
    for o in range(model.config.n_out):
        rows = []
        for ln in range(L):
            bits = (Vg[:, ln * model.config.n_out + o][:, None] >> np.arange(4)) & 1
            rows += [r if r is None else (r[0], r[0].width, 0) for r in product_rows(relu, bits)[0]]
        total += registered_sum_features(rows, p.pipeline)[0]["ff"]
    assert total == declared > 0


def test_tables_share_identical_outputs_and_xor_patterns_are_cheap():
    import numpy as np

    g = np.arange(16)
    parity = np.array([[bin(x & m).count("1") & 1 for m in (1, 3, 7, 15)] for x in g], dtype=np.uint8)
    n, luts = table_columns(np.concatenate([parity, parity, np.zeros((16, 3), np.uint8)], axis=1), 4)
    assert n == 4  # duplicates and constants dropped
    assert luts == 0 + 1 + 1 + 1  # a wire, then XORs of 2, 3, 4 bits: one LUT4 each
    rng = np.random.default_rng(0)
    n, luts = table_columns(rng.integers(0, 2, size=(64, 8)).astype(np.uint8), 4)
    assert n == 8 and luts == 8 * 7  # random 6-input functions: 2^(6-3) - 1 LUT4s each


def test_memory_mapping_follows_the_library_costs():
    ecp5, ice40 = TARGET_RULES["ecp5"], TARGET_RULES["ice40"]
    assert memory_mapping(ecp5, 32, 40, rom=True, sync=True)[0] == "logic"  # 80 < 128
    assert memory_mapping(ecp5, 64, 36, rom=True, sync=True) == ("block", 1)  # 144 > 128
    assert memory_mapping(ecp5, 16, 172, rom=False, sync=False)[0] == "lutram"
    assert memory_mapping(ice40, 128, 12, rom=False, sync=True) == ("block", 1)
    assert memory_mapping(ice40, 4, 100, rom=False, sync=False)[0] == "ff"


def test_dense_baseline_matches_throughput():
    p = DesignPoint(128, arch="butterfly")  # 10 cycles per step, set by the input projection
    hw, cycles, how = dense_match(p.model(), p.hw())
    assert (hw.arch.value, hw.lanes, cycles) == ("dense", 16, 8)
    assert "closest" in how
    p = DesignPoint(64, arch="sdf")
    hw, cycles, how = dense_match(p.model(), p.hw())
    assert (hw.lanes, cycles) == (1, 64) and "exact" in how


def test_stored_calibrations_record_their_flow():
    for target in ("ecp5", "ice40"):
        cal = load_calibration(target)
        assert cal.flow == "fast" and cal.yosys_version.startswith("Yosys")
        assert cal.calibration_points and cal.validation_points
