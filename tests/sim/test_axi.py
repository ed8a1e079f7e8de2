"""AXI designs verified with cocotbext-axi (AxiStreamSource/Sink, AxiLiteMaster) against the golden model.

Runtime weights: two different models loaded in turn over AXI4-Lite into one simulated
design, every word read back, every output bit-exact; a write while inputs flow and one
while an output is held back are refused (``SLVERR``) and counted.
"""

from __future__ import annotations

import pytest

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from sim.axi_verify import verify_axi
from tests.sim.conftest import need

pytest.importorskip("cocotbext.axi")

# (arch, lanes, model options): readable ids, small sizes
CONFIGS = [
    pytest.param("sdf", 4, dict(), id="sdf-l4-dense_in-last"),
    pytest.param("butterfly", 1, dict(output="every_step"), id="butterfly-every_step"),
    pytest.param("adder_tree", 2, dict(input_mode="onehot", n_in=12, in_bits=4), id="adder_tree-l2-onehot"),
    pytest.param("dense", 4, dict(output="every_step"), id="dense-l4-every_step"),
]


def _models(hidden: int, block: int, opts: dict, seeds=(1, 2)):
    opts = {"n_in": 3, "n_out": 2, **opts}
    n_in, n_out = opts.pop("n_in"), opts.pop("n_out")
    return [random_model(hidden, block, n_in, n_out, seed=s, **opts) for s in seeds]


def test_baked_axis_design_matches_the_golden_model(tmp_path):
    need("icarus")
    (a,) = _models(16, 4, {}, seeds=(3,))
    res = verify_axi([a], HardwareConfig(arch="butterfly", interface="axis"), build_dir=tmp_path, sequences=3,
                     seq_len=8)
    assert res.passed, res.summary()
    assert len(res.checks) == 1 and "equal the golden model" in res.checks[0]
