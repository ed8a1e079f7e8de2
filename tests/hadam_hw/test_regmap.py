"""The AXI4-Lite register map (SPEC §4.2): layout, packing, the loader's refusals, the CLI."""

import dataclasses
import json
import shutil
import subprocess

import numpy as np
import pytest

from flow.cli import main
from hadam_hw.artifact import random_model, save_artifact
from hadam_hw.config import HardwareConfig
from hadam_hw.errors import ConfigError
from hadam_hw.regmap import (
    CTRL_LOAD,
    STATUS_LOADING,
    Regmap,
    RegmapError,
    design_regmap,
    load_model,
    weight_writes,
)

CONFIGS = [
    pytest.param(dict(arch="butterfly"), id="butterfly"),
    pytest.param(dict(arch="sdf", lanes=4, pipeline=0), id="sdf-l4-p0"),
    pytest.param(dict(arch="sdf", lanes=4, pipeline=1), id="sdf-l4-p1"),
    pytest.param(dict(arch="adder_tree", lanes=2, pipeline=1), id="adder_tree-l2-p1"),
    pytest.param(dict(arch="dense", lanes=16, pipeline=0), id="dense-l16-p0"),
]


def _hw(**kw) -> HardwareConfig:
    return HardwareConfig(interface="axis", weights="runtime", **kw)


def _decode(model_writes: list[tuple[int, int]], mem: dict) -> np.ndarray:
    """The source matrix back from the writes, reading nothing but the manifest's description."""
    t = mem["table"]
    words = dict(model_writes)
    rows, lanes, lb = t["rows"], t["lanes"], t["lane_bits"]
    out = np.zeros((rows, lanes), dtype=object)
    for r in range(rows):
        row = 0
        for j in range(t["words_per_row"]):
            row |= words[mem["base"] + 4 * (r * t["row_stride"] + j)] << (32 * j)
        for k in range(lanes):
            slot = (k * t["words_per_lane"] * 32 if lb > 32
                    else (k // t["lanes_per_word"]) * 32 + (k % t["lanes_per_word"]) * lb)
            v = (row >> slot) & ((1 << lb) - 1)
            if t["signed"] and v >> (lb - 1):
                v -= 1 << lb
            out[r, k] = v - t["add"]
    return out


def _source(m, t: dict) -> np.ndarray:
    """What a table holds, from the manifest's description: the source, ``sign_add`` folded in."""
    src = {"U": m.U, "V": m.V, "C": m.C, "c": m.c, "sign": (m.sign < 0).astype(np.int64)}[t["source"]]
    src = np.asarray(src, dtype=object)
    if t["sign_add"]:  # C only: one value per row
        src = src + t["sign_add"] * (m.sign < 0).astype(object)
    return (src.T if t["transpose"] else src).reshape(t["rows"], t["lanes"])


@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("onehot", [False, True], ids=["dense_in", "onehot"])
def test_writes_decode_to_the_model_from_the_manifest_description_alone(kw, onehot):
    mode = dict(input_mode="onehot", n_in=12, in_bits=4) if onehot else dict(n_in=3)
    m = random_model(16, 4, n_out=2, seed=3, **mode)
    rm = design_regmap(m, _hw(**kw)).to_json()
    writes = weight_writes(m, json.loads(json.dumps(rm)))  # a driver elsewhere has only the JSON
    assert len({a for a, _ in writes}) == len(writes) and all(0 <= d < 2**32 for _, d in writes)
    for mem in rm["memories"]:
        np.testing.assert_array_equal(_decode(writes, mem), _source(m, mem["table"]), err_msg=mem["name"])
    inside = [any(m["base"] <= a < m["base"] + 4 * m["depth"] for m in rm["memories"]) for a, _ in writes]
    assert all(inside)


@pytest.mark.parametrize("kw", CONFIGS)
def test_layout_memories_are_disjoint_and_addressable(kw):
    m = random_model(32, 8, 5, 3, seed=1)
    rm = design_regmap(m, _hw(**kw))
    spans = [(0, 4 * len(rm.registers))] + [(t.base, t.base + 4 * t.depth) for t in rm.tables]
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start
    assert max(b for _, b in spans) <= 1 << rm.addr_bits
    assert {r.name for r in rm.registers} == {"ID", "VERSION", "DESIGN", "SHAPE", "CTRL", "STATUS", "ERRORS"}
    assert {t.name for t in rm.tables} == {"U", "V", "C", "c", "sign"}
    js = rm.to_json()
    assert js["bus"] == "axi4-lite" and js["data_bits"] == 32
    assert Regmap.from_json(js).to_json() == js


def test_a_model_of_another_shape_is_refused_in_one_message():
    a = random_model(16, 4, 3, 2, seed=0)
    rm = design_regmap(a, _hw(arch="sdf", lanes=4))
    with pytest.raises(RegmapError, match=r"does not fit the design .*: hidden is 32, the design's is 16; "
                                          r"block is 8, the design's is 4"):
        weight_writes(random_model(32, 8, 3, 2), rm)
    with pytest.raises(RegmapError, match="state_bits is 10, the design's is 12"):
        weight_writes(random_model(16, 4, 3, 2, state_bits=10), rm)
    assert weight_writes(random_model(16, 4, 3, 2, seed=9), rm)  # same shape, other weights: fine


def test_a_bias_wider_than_the_design_words_is_refused():
    a = random_model(16, 4, 3, 2, seed=0)
    rm = design_regmap(a, _hw(arch="butterfly"))
    c = a.c.copy()
    c[1] = 1 << 40
    big = dataclasses.replace(a, c=c)
    with pytest.raises(RegmapError, match=r"c = 1099511627776 \(table c row 1 lane 0\) does not fit the design's "
                                          r"\d+-bit signed words"):
        weight_writes(big, rm)


def test_runtime_weights_need_the_axi_interface():
    with pytest.raises(ConfigError, match="need interface 'axis'"):
        HardwareConfig(weights="runtime").check_top()
    assert HardwareConfig(interface="axis", weights="runtime").tag.endswith("-axis-rw")
    assert HardwareConfig(pipeline=0).tag == "butterfly-l1-p0"  # defaults keep the old tags


def test_load_model_follows_the_protocol():
    a = random_model(16, 4, 3, 2, seed=0)
    rm = design_regmap(a, _hw(arch="sdf", lanes=4))
    log, mem = [], {}
    status = {"reads": 0}

    def write(addr, data):
        log.append(("w", addr, data))
        mem[addr] = data

    def read(addr):
        if addr == rm.register("SHAPE").offset:
            return rm.shape_hash
        status["reads"] += 1
        return STATUS_LOADING if status["reads"] > 2 else 0  # loading after a few polls

    b = random_model(16, 4, 3, 2, seed=5)
    load_model(write, read, b, rm)
    ctrl = rm.register("CTRL").offset
    assert log[0] == ("w", ctrl, CTRL_LOAD) and log[-1] == ("w", ctrl, 0)
    assert [(a_, d) for _, a_, d in log[1:-1]] == weight_writes(b, rm)
    with pytest.raises(RegmapError, match="answers SHAPE 0x00000000"):
        load_model(write, lambda addr: 0, b, rm)


def test_cli_regmap_writes_a_c_header_and_a_python_dict(tmp_path, capsys):
    art = tmp_path / "m.hrnn.npz"
    save_artifact(random_model(16, 4, 3, 2, seed=0), art)
    assert main(["regmap", str(art), "--arch", "sdf", "--lanes", "4", "-o", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert "0x0010  CTRL     rw  load[0], soft_reset[1]" in text
    ns: dict = {}
    exec((tmp_path / "out" / "hadamrnn_regmap.py").read_text(), ns)
    rm = json.loads((tmp_path / "out" / "regmap.json").read_text())
    assert ns["REGMAP"]["memories"]["U"]["base"] == next(m["base"] for m in rm["memories"] if m["name"] == "U")
    header = (tmp_path / "out" / "hadamrnn_regmap.h").read_text()
    assert f"#define HADAMRNN_SHAPE_HASH 0x{rm['shape_hash']:08X}u" in header
    if shutil.which("cc"):
        (tmp_path / "use.c").write_text('#include "out/hadamrnn_regmap.h"\n'
                                        "unsigned f(void) { return HADAMRNN_MEM_U_BASE + HADAMRNN_CTRL_LOAD; }\n")
        r = subprocess.run(["cc", "-Wall", "-Werror", "-c", "use.c", "-o", "use.o"], cwd=tmp_path,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
