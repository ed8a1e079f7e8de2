"""The manifest of an AXI design (SPEC §4.2): port names, byte-aligned tdata, sideband, reset."""

import json

import pytest

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from hadam_hw.manifest import load_manifest, make_manifest, stream_specs
from hadam_hw.widths import derive_widths, envelope_widths


@pytest.mark.parametrize("weights", ["baked", "runtime"])
@pytest.mark.parametrize("state", [False, True], ids=["no_h", "h"])
def test_axis_streams_name_the_axi_ports(weights, state):
    m = random_model(16, 4, 3, 2, seed=0)
    hw = HardwareConfig(arch="sdf", lanes=4, interface="axis", weights=weights, expose_state=state)
    man = make_manifest(m, hw, artifact_sha256="0" * 64)
    assert (man["clock"], man["reset"], man["reset_active"]) == ("aclk", "aresetn", "low")
    x, y = man["streams"]["x"], man["streams"]["y"]
    assert (x["valid"], x["ready"], x["payload"]) == ("s_axis_tvalid", "s_axis_tready", "s_axis_tdata")
    assert x["sideband"] == {"first": "s_axis_tuser", "last": "s_axis_tlast"}
    assert (y["valid"], y["ready"], y["payload"]) == ("m_axis_tvalid", "m_axis_tready", "m_axis_tdata")
    assert y["sideband"] == {"last": "m_axis_tlast"}
    # the same fields layout inside tdata (data at bit 0), whole bytes
    assert x["fields"] == {"data": {"offset": 0, "width": 24, "lanes": 3, "lane_width": 8, "signed": True}}
    wy = (envelope_widths(m.config) if weights == "runtime" else derive_widths(m)).width("y")
    assert y["fields"]["data"]["lane_width"] == wy and y["width"] == -(-2 * wy // 8) * 8
    for s in man["streams"].values():
        assert s["width"] % 8 == 0 and "first" not in s["fields"] and "last" not in s["fields"]
    if state:
        assert man["streams"]["h"]["payload"] == "m_axis_h_tdata"
    assert ("regmap" in man) == (weights == "runtime")


def test_bare_streams_are_unchanged():
    m = random_model(16, 4, 3, 2, seed=0)
    x = stream_specs(m, HardwareConfig(arch="sdf"))["x"]
    assert (x.payload, x.width, x.sideband) == ("x__payload", 26, {})
    assert x.fields["first"].offset == 24 and x.fields["last"].offset == 25


def test_interleaved_streams_carry_an_id(monkeypatch):
    """Designed for SPEC §4.1: a config with ``interleave`` C > 1 gives x and y an id (tid on AXI)."""
    m = random_model(16, 4, 3, 2, seed=0)

    class Interleaved:
        def __init__(self, hw, c):
            self._hw, self.interleave = hw, c

        def __getattr__(self, name):
            return getattr(self._hw, name)

    axis = stream_specs(m, Interleaved(HardwareConfig(interface="axis"), 4))
    assert axis["x"].sideband["id"] == "s_axis_tid" and axis["x"].sideband_width["id"] == 2
    assert axis["y"].sideband["id"] == "m_axis_tid"
    bare = stream_specs(m, Interleaved(HardwareConfig(), 4))
    assert bare["x"].fields["id"].offset == 26 and bare["x"].fields["id"].width == 2


def test_load_manifest_reads_the_sideband_and_the_reset_polarity(tmp_path):
    m = random_model(16, 4, 3, 2, seed=0)
    man = make_manifest(m, HardwareConfig(interface="axis", weights="runtime"), artifact_sha256="0" * 64)
    (tmp_path / "hadamrnn.v").write_text("module hadamrnn; endmodule\n")
    (tmp_path / "manifest.json").write_text(json.dumps(man))
    got = load_manifest(tmp_path)
    assert got.reset == "aresetn" and got.reset_active == "low" and got.interface == "axis"
    assert got.streams["x"].sideband == {"first": "s_axis_tuser", "last": "s_axis_tlast"}
    assert got.streams["x"].has("first") and got.regmap["bus"] == "axi4-lite"
    got.check_model(m)
