"""`hadam-hw recommend`: the designs that meet a throughput and fit a device, smallest first."""

from __future__ import annotations

import json

import pytest

from estimate.model import predict
from estimate.recommend import candidates, recommend
from flow.cli import main
from hadam_hw.artifact import random_model, save_artifact
from hadam_hw.errors import HadamHWError
from hadam_hw.schedule import make_schedule
from hadam_hw.targets import get_device


@pytest.fixture(scope="module")
def m64():
    return random_model(64, 64, 10, 9, seed=3)


def test_rows_meet_the_limits_fit_and_come_smallest_first(m64):
    rows = recommend(m64, "ecp5-25k", cycles_per_step=64)
    assert rows
    dev = get_device("ecp5-25k")
    for r in rows:
        assert r.cycles_per_step <= 64 and r.fits
        assert r.luts <= dev.luts and r.ffs <= dev.ffs and r.dsps <= dev.dsps and r.brams <= dev.brams
        a = predict(m64, r.hw, "ecp5")  # the figures are the analytic model's, unchanged
        assert (r.luts, r.dsps, r.cycles_per_step) == (round(a.luts), a.dsps, make_schedule(m64, r.hw).cycles_per_step)
    assert [r.luts for r in rows] == sorted(r.luts for r in rows)
    # every buildable configuration meeting the limit and fitting is listed
    fitting = {(r.hw.arch, r.hw.lanes, r.hw.pipeline) for r in rows}
    everything = {(c.hw.arch, c.hw.lanes, c.hw.pipeline) for c in recommend(m64, "ecp5-85k", cycles_per_step=64)}
    assert fitting <= everything


def test_candidates_cover_every_registry_option(m64):
    cands = candidates(m64)
    assert {c.arch.value for c in cands} == {"adder_tree", "butterfly", "sdf", "dense"}
    assert all(c.lanes == 1 for c in cands if c.arch.value == "butterfly")
    assert {c.lanes for c in cands if c.arch.value == "sdf"} == {1, 2, 4, 8, 16, 32, 64}


def test_a_device_too_small_for_every_design_gets_one_clear_message(m64):
    # the hx1k has 1,280 LUTs and as many flip-flops: the closest design names whichever it misses most
    with pytest.raises(HadamHWError, match=r"no design of this model fits ice40-hx1k: the closest, .* needs [\d,]+ "
                                           r"(LUTs|flip-flops) of 1,280"):
        recommend(m64, "ice40-hx1k")
    with pytest.raises(HadamHWError, match=r"no design of this model reaches ≤ 1 cycles of latency \(the fastest runs "
                                           r"\d+ cycles per step; the shortest latency is \d+ cycles\)"):
        recommend(m64, "ecp5-85k", latency_cycles=1)
    # sdf with lanes = hidden reaches one cycle per step, but not in an ECP5-85k's multipliers
    with pytest.raises(HadamHWError, match=r"fits ecp5-85k at ≤ 1 cycles per step: the closest, .* needs [\d,]+ DSPs of 156"):
        recommend(m64, "ecp5-85k", cycles_per_step=1)


def test_cli_table_json_and_misuse(tmp_path, capsys, m64):
    path = tmp_path / "m.hrnn.npz"
    save_artifact(m64, path)
    assert main(["recommend", str(path), "--device", "ecp5-25k", "--cycles-per-step", "64", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["cycles_per_step"] <= 64 and r["fits"] for r in rows)
    assert main(["recommend", str(path), "--device", "ecp5-25k"]) == 0
    assert "designs that fit ecp5-25k" in capsys.readouterr().out
    assert main(["recommend", str(path), "--device", "ice40-hx1k"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no design of this model fits ice40-hx1k" in err
    with pytest.raises(SystemExit) as e:
        main(["recommend", str(path), "--device", "ecp5-999k"])
    assert e.value.code == 2
