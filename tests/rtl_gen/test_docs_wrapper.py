"""What docs/fpga-integration.md shows works: its SoC top compiles against a generated AXI
design with the widths it states, and its Python loading example loads a model."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hadam_hw.artifact import random_model, save_artifact
from hadam_hw.config import HardwareConfig
from hadam_hw.regmap import CTRL_LOAD, STATUS_LOADING, Regmap, weight_writes
from rtl_gen import generate

DOC = Path(__file__).resolve().parents[2] / "docs" / "fpga-integration.md"
MODEL = dict(hidden=16, block=4, n_in=3, n_out=2, seed=0)  # the model the doc describes
HW = HardwareConfig(arch="sdf", interface="axis", weights="runtime")


def _block(lang: str) -> str:
    return re.search(rf"```{lang}\n(.*?)```", DOC.read_text(), re.S).group(1)


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    out = tmp_path_factory.mktemp("doc_design")
    return out, generate(random_model(**MODEL), HW, out)


def test_doc_states_the_generated_widths(design):
    _, man = design
    text = DOC.read_text()
    assert man["streams"]["x"]["width"] == 24 and man["streams"]["y"]["width"] == 40
    assert man["streams"]["y"]["fields"]["data"]["lane_width"] == 20 and "20 bits here" in text
    assert man["regmap"]["addr_bits"] == 11 and "11 address bits" in text
    for mem in man["regmap"]["memories"]:
        t = mem["table"]
        assert f"`0x{mem['base']:03X}` | memory `{mem['name']}`" in text
        assert f"{t['rows']} row{'s' if t['rows'] > 1 else ''} × {t['lanes']} lane{'s' if t['lanes'] > 1 else ''} " \
               f"of {t['lane_bits']} bit" in text, mem["name"]
    bare = generate(random_model(**MODEL), HardwareConfig(arch="sdf"), design[0] / "bare")
    assert bare["streams"]["x"]["width"] == 26 and bare["streams"]["y"]["width"] == 37
    assert "`x.width = 26` and `y.width = 37`" in text


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog is not installed")
def test_doc_soc_top_elaborates_with_the_generated_design(design):
    out, man = design
    (out / "soc_top.v").write_text(_block("verilog"))
    r = subprocess.run(
        ["iverilog", "-g2012", "-Wall", "-Wno-timescale", "-s", "soc_top", "-o", "w.vvp", "soc_top.v", man["verilog"]],
        cwd=out, capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    # no port-width mismatch warnings between the top and the design
    assert "Port" not in r.stderr and "padding" not in r.stderr, r.stderr


class _StandInMMIO:
    """The register protocol as a driver sees it: SHAPE, CTRL.load opens the memories."""

    def __init__(self, regmap: Regmap):
        self.rm, self.words, self.ctrl = regmap, {}, 0

    def read(self, offset: int) -> int:
        if offset == self.rm.register("SHAPE").offset:
            return self.rm.shape_hash
        if offset == self.rm.register("STATUS").offset:
            return STATUS_LOADING if self.ctrl & CTRL_LOAD else 1
        return self.words.get(offset, 0)

    def write(self, offset: int, value: int) -> None:
        if offset == self.rm.register("CTRL").offset:
            self.ctrl = value
            return
        assert self.ctrl & CTRL_LOAD, f"write to {offset:#x} outside a load"
        self.words[offset] = value


def test_doc_python_example_loads_a_model(design, tmp_path):
    out, man = design
    ns: dict = {}
    exec(compile(_block("python"), str(DOC), "exec"), ns)
    rm = Regmap.from_json(man["regmap"])
    mmio = _StandInMMIO(rm)
    other = random_model(**{**MODEL, "seed": 7})
    save_artifact(other, tmp_path / "b.hrnn.npz")
    ns["load"](mmio, out / "manifest.json", tmp_path / "b.hrnn.npz")
    assert mmio.words == dict(weight_writes(other, rm)) and mmio.ctrl == 0
    save_artifact(random_model(**{**MODEL, "hidden": 32, "seed": 7}), tmp_path / "c.hrnn.npz")
    with pytest.raises(SystemExit, match="not loaded: model d32b4-.* hidden is 32, the design's is 16"):
        ns["load"](mmio, out / "manifest.json", tmp_path / "c.hrnn.npz")
    assert json.loads((out / "manifest.json").read_text())["regmap"] == man["regmap"]
