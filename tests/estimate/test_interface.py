"""The analytic model knows what the AXI top and runtime weights cost (estimate/interface.py)."""

import pytest

from estimate.interface import interface_components
from estimate.model import predict
from estimate.resources import TARGET_RULES, memory_mapping
from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from hadam_hw.regmap import design_regmap


@pytest.mark.parametrize("arch,lanes", [("sdf", 4), ("butterfly", 1), ("adder_tree", 2)])
def test_runtime_weights_add_their_memories_and_the_slave(arch, lanes):
    m = random_model(32, 8, 4, 3, seed=0)
    base = dict(arch=arch, lanes=lanes, pipeline=0)
    bare = predict(m, HardwareConfig(**base), "ecp5")
    axis = predict(m, HardwareConfig(**base, interface="axis"), "ecp5")
    rt = predict(m, HardwareConfig(**base, interface="axis", weights="runtime"), "ecp5")
    assert axis.luts == pytest.approx(bare.luts) and axis.ffs == pytest.approx(bare.ffs)  # wiring only
    names = [c["name"] for c in rt.breakdown]
    assert "AXI4-Lite slave, control and status" in names
    assert {f"weight memory {t}" for t in ("U", "V", "C", "c", "sign")} <= set(names)
    assert rt.ffs > bare.ffs  # at least the slave's registers and the register tables


def test_every_regmap_table_is_costed_where_memory_libmap_puts_it():
    m = random_model(128, 16, 10, 9, seed=0)
    hw = HardwareConfig(arch="sdf", lanes=8, pipeline=0, interface="axis", weights="runtime")
    comps = {c.name: c for c in interface_components(m, hw, "ecp5")}
    for t in design_regmap(m, hw).tables:
        c = comps[f"weight memory {t.name}"]
        if t.storage == "registers":
            assert c.features["ff"] >= t.rows * t.row_bits
            continue
        kind, n = memory_mapping(TARGET_RULES["ecp5"], t.rows, t.row_bits, rom=False, sync=True)
        assert (c.features.get("bram", 0) == n) == (kind == "block"), (t.name, kind)
    assert interface_components(m, HardwareConfig(arch="sdf", lanes=8, interface="axis"), "ecp5") == []


def test_estimate_puts_the_baked_design_beside_a_runtime_one():
    from estimate.report import estimate, format_report

    m = random_model(32, 8, 4, 3, seed=0)
    hw = HardwareConfig(arch="sdf", lanes=4, pipeline=0, interface="axis", weights="runtime")
    rep = estimate(m, hw, "ecp5", fast=True, baseline=False)
    assert rep["baked"]["hardware"] == "sdf-l4-p0-axis" and rep["weights"] == "runtime"
    assert rep["luts_vs_baked"] == pytest.approx(rep["luts"] / rep["baked"]["luts"]) and rep["luts_vs_baked"] > 1
    assert "baked weights" in format_report(rep)
    assert "baked" not in estimate(m, hw.replace(weights="baked"), "ecp5", fast=True, baseline=False)
