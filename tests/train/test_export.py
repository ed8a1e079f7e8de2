"""The exporter's constants follow SPEC §2; power-of-two scales give shift-only constants."""

import math

import numpy as np
import pytest
import torch

from hadam_hw.artifact import load_artifact
from hadam_hw.constants import recurrence_constant
from train.config import NetConfig
from train.export import export_model, save_model_artifact
from train.model import MIN_B, HadamRNN


def _model(block=16, pow2=False, kind="dense", every=False):
    net = NetConfig(hidden=16, block=block, n_in=3, n_out=4, input_kind=kind, embed_dim=4, in_bits=8,
                    in_signed=True, s_x=1 / 100, pow2=pow2, every_step=every)
    m = HadamRNN(net)
    x = torch.randint(0, 3, (4, 20)) if kind != "dense" else torch.rand(4, 20, 3)
    with torch.no_grad():
        m.calibrate_state(float(m.states(x, quantize_weights=True).abs().max()), 1.25)
    return m


@pytest.mark.parametrize("block", [1, 2, 4, 8, 16])
def test_constants_follow_the_spec(block):
    m = _model(block)
    hm = export_model(m, {"task": "unit"})
    cfg, s = hm.config, hm.scales
    F = cfg.frac_bits
    assert cfg.A == recurrence_constant(block, F).A  # 2^F/sqrt(b), rounded down for odd log2 b
    assert cfg.A <= 2**F / math.sqrt(block) < cfg.A + 1
    assert cfg.B == round(2**F * s["s_U"] * s["s_x"] / s["s_h"]) and cfg.B >= MIN_B
    C_real = m.bias.detach().double().numpy() * 2**F / s["s_h"]
    assert np.abs(hm.C - C_real).max() <= 0.5 + 1e-9
    c_real = m.readout.bias.detach().double().numpy() / (s["s_V"] * s["s_h"])
    assert np.abs(hm.c - c_real).max() <= 0.5 + 1e-9
    assert np.abs(hm.U).max() <= 7 and np.abs(hm.V).max() <= 7
    assert hm.provenance["task"] == "unit"


@pytest.mark.parametrize("block", [4, 16])
def test_pow2_scales_make_A_and_B_powers_of_two(block):
    hm = export_model(_model(block, pow2=True))
    for k in ("A", "B"):
        v = getattr(hm.config, k)
        assert v & (v - 1) == 0, f"{k} = {v} is not a power of two"
    for k, v in hm.scales.items():
        assert math.log2(v) == round(math.log2(v)), f"{k} = {v}"


@pytest.mark.parametrize("kind", ["onehot", "embedding"])
def test_token_models_export_as_onehot_tables(tmp_path, kind):
    m = _model(kind=kind, every=True)
    hm = load_artifact(save_model_artifact(m, tmp_path / "m.hrnn.npz", {"task": "t"}))
    assert hm.onehot and hm.config.n_in == 3 and hm.U.shape == (16, 3) and hm.scales["s_x"] == 1.0
    assert hm.config.output.value == "every_step"
    assert hm.provenance["input_kind"] == kind and "version" in hm.provenance


def test_uncalibrated_model_refuses_to_export():
    m = HadamRNN(NetConfig(hidden=8, block=8, n_in=2, n_out=2))
    with pytest.raises(RuntimeError, match="calibrat"):
        export_model(m)


def test_export_does_not_import_the_training_loop():
    """Imports go one way: loop -> export -> runfiles -> build (no cycle through load_run_model)."""
    import subprocess
    import sys

    code = "import sys, train.export; print('train.loop' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
