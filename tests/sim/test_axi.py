"""AXI designs verified with cocotbext-axi (AxiStreamSource/Sink, AxiLiteMaster) against the golden model.

Runtime weights: two different models loaded in turn over AXI4-Lite into one simulated
design, every word read back (and a byte-strobe write), every output bit-exact; a write
while inputs flow and one while an output is held back are refused (``SLVERR``) and
counted; read-only writes answer ``SLVERR``, unmapped addresses ``DECERR``.
"""

from __future__ import annotations

import pytest

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from sim.axi_verify import verify_axi
from tests.sim.conftest import need

pytest.importorskip("cocotbext.axi")

# (arch, lanes, pipeline, model options): readable ids, small sizes; pipeline >= 1 is the
# registered row-serial datapath (C folds the sign: the regmap's sign_add)
CONFIGS = [
    pytest.param("sdf", 4, 1, dict(), id="sdf-l4-p1-registered"),
    pytest.param("sdf", 4, 0, dict(), id="sdf-l4-p0"),
    pytest.param("butterfly", 1, 1, dict(output="every_step"), id="butterfly-p1-every_step"),
    pytest.param("adder_tree", 2, 0, dict(input_mode="onehot", n_in=12, in_bits=4), id="adder_tree-l2-p0-onehot"),
    pytest.param("dense", 4, 1, dict(output="every_step"), id="dense-l4-p1-every_step"),
]


def _models(hidden: int, block: int, opts: dict, seeds=(1, 2)):
    opts = {"n_in": 3, "n_out": 2, **opts}
    n_in, n_out = opts.pop("n_in"), opts.pop("n_out")
    return [random_model(hidden, block, n_in, n_out, seed=s, **opts) for s in seeds]


@pytest.mark.parametrize("arch,lanes,pipeline,opts", CONFIGS)
def test_two_models_loaded_in_turn_into_one_design(arch, lanes, pipeline, opts, tmp_path):
    need("icarus")
    a, b = _models(16, 4, opts)
    hw = HardwareConfig(arch=arch, lanes=lanes, pipeline=pipeline, interface="axis", weights="runtime")
    res = verify_axi([a, b], hw, build_dir=tmp_path, sequences=3, seq_len=8)
    assert res.passed, res.summary() + "\n" + res.report.get("traceback", "")
    assert sum("loaded and read back" in c for c in res.checks) == 2
    assert sum("equal the golden model, a write during traffic refused" in c for c in res.checks) == 2
    assert any("CTRL.load waits for a held-back output" in c for c in res.checks)
    assert any("unmapped DECERR" in c for c in res.checks)


def test_baked_axis_design_matches_the_golden_model(tmp_path):
    need("icarus")
    (a,) = _models(16, 4, {}, seeds=(3,))
    res = verify_axi([a], HardwareConfig(arch="butterfly", interface="axis"), build_dir=tmp_path, sequences=3,
                     seq_len=8)
    assert res.passed, res.summary()
    assert len(res.checks) == 1 and "equal the golden model" in res.checks[0]


@pytest.mark.slow
def test_hidden_128_runtime_weights_two_models(tmp_path):
    """The issue's acceptance run: hidden 128, --interface axis --weights runtime, two models."""
    need("icarus")
    a, b = _models(128, 16, {"n_in": 10, "n_out": 9})
    hw = HardwareConfig(arch="sdf", lanes=8, interface="axis", weights="runtime")
    res = verify_axi([a, b], hw, build_dir=tmp_path, sequences=2, seq_len=6)
    assert res.passed, res.summary() + "\n" + res.report.get("traceback", "")
    assert sum("loaded and read back" in c for c in res.checks) == 2


def test_cli_sim_loads_a_second_model_and_refuses_another_shape(tmp_path, capsys):
    need("icarus")
    from flow.cli import main
    from hadam_hw.artifact import save_artifact

    paths = []
    for i, m in enumerate([*_models(16, 4, {}), random_model(32, 4, 3, 2, seed=4)]):
        paths.append(save_artifact(m, tmp_path / f"m{i}.hrnn.npz"))
    common = ["--arch", "sdf", "--lanes", "4", "--interface", "axis", "--weights", "runtime", "--sequences", "2",
              "--seq-len", "5", "--build-dir", str(tmp_path / "b"), "--quiet"]
    assert main(["sim", str(paths[0]), "--also-load", str(paths[1]), *common]) == 0
    assert "PASS" in capsys.readouterr().out
    assert main(["sim", str(paths[0]), "--also-load", str(paths[2]), *common]) != 0
    assert "hidden is 32, the design's is 16" in capsys.readouterr().err
