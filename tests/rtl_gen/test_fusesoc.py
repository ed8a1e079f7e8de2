"""The FuseSoC .core written beside the Verilog names the real file, top and lint waivers."""

import re

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from rtl_gen import generate
from rtl_gen.lint import VERILATOR_WAIVERS


def test_core_file_beside_the_verilog(tmp_path):
    m = random_model(8, 4, 2, 2, seed=0)
    manifest = generate(m, HardwareConfig(arch="sdf", top="rnn_top"), tmp_path)
    core = (tmp_path / "rnn_top.core").read_text()
    assert core.startswith("CAPI=2:\n")
    name = re.search(r"^name: (\S+)$", core, re.M).group(1)
    vendor, library, cname, version = name.split(":")
    assert (vendor, library) == ("hadam-hw", "rnn") and re.fullmatch(r"[A-Za-z0-9_]+", cname)
    files = re.findall(r"^      - (\S+?)(?::|$)", core, re.M)
    assert files == [manifest["verilog"], "manifest.json"]
    assert all((tmp_path / f).is_file() for f in files)
    assert "toplevel: rnn_top" in core
    for w in VERILATOR_WAIVERS:
        assert f"-Wno-{w}" in core
