"""Integer mode = hadam_hw's golden model, bit for bit.

Three ways the project computes hrnn-int/1 from torch — the exported artifact run by
:class:`train.integer.IntegerModel`, and ``QuantMode.FULL`` of the training model (the QAT
forward) — are held against ``hadam_hw.golden.run_golden``: for random kernel models, for
random training models of every input kind and output mode, and for a (tiny) trained one.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hadam_hw.artifact import load_artifact, save_artifact
from hadam_hw.golden import run_golden
from tests.hadam_hw.strategies import models, random_inputs
from train.config import NetConfig, QuantMode
from train.export import export_model
from train.integer import IntegerModel
from train.model import HadamRNN


def assert_same(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    bad = np.argwhere(got != want)
    if len(bad):
        i = tuple(int(v) for v in bad[0])
        pytest.fail(f"{what}: first difference at {list(i)}: torch {got[i]} != golden {want[i]} "
                    f"({len(bad)} differences)")


@settings(max_examples=40)
@given(m=models(max_log_hidden=5), seed=st.integers(0, 2**31), T=st.integers(1, 12))
def test_integer_model_equals_golden_on_random_models(m, seed, T):
    x = random_inputs(m, batch=3, T=T, seed=seed, extreme=seed % 3 == 0)
    want = run_golden(m, x)
    y, h = IntegerModel(m).run(torch.from_numpy(x))
    assert_same(h.numpy(), want.h, "h")
    every = m.config.output.value == "every_step"
    assert_same(y.numpy(), want.y if every else want.y[:, -1], "y")


def _random_training_model(kind, every, pow2, block, seed):
    torch.manual_seed(seed)
    net = NetConfig(hidden=16, block=block, n_in=10, n_out=3, input_kind=kind, embed_dim=5, in_bits=6,
                    in_signed=True, s_x=1 / 32, state_bits=10, pow2=pow2, every_step=every)
    m = HadamRNN(net)
    with torch.no_grad():  # a stronger input drive than the init, so the state saturates sometimes
        m.input.weight.mul_(4)
        m.bias.mul_(8)
    x = torch.randint(0, 10, (6, 40)) if kind != "dense" else torch.randn(6, 40, 10)
    with torch.no_grad():
        h = m.states(x, quantize_weights=True)
    m.calibrate_state(float(h.abs().max()), margin=0.5)  # a tight scale: the clamp is exercised
    return m, x


@pytest.mark.parametrize("kind", ["dense", "onehot", "embedding"])
@pytest.mark.parametrize("every", [True, False], ids=["every_step", "last_step"])
@pytest.mark.parametrize("pow2", [False, True], ids=["scaled", "pow2"])
@pytest.mark.parametrize("block", [4, 16])
def test_qat_forward_and_integer_mode_equal_golden(kind, every, pow2, block):
    m, x = _random_training_model(kind, every, pow2, block, seed=block + 7 * every + 3 * pow2)
    hm = export_model(m)
    xi = m.input_codes(x).numpy()
    g = run_golden(hm, xi)
    assert (np.abs(g.h) == 2 ** (m.net.state_bits - 1)).any() or (g.h == 2 ** (m.net.state_bits - 1) - 1).any()
    gy = g.y if every else g.y[:, -1]
    y_full, h_full = m.integer_units(x)
    assert_same(h_full.detach().numpy().astype(np.int64), g.h, "QAT h")
    assert_same(y_full.detach().numpy().astype(np.int64), gy, "QAT y")
    y_int, h_int = IntegerModel(hm).run(torch.from_numpy(xi))
    assert_same(h_int.numpy(), g.h, "integer h")
    assert_same(y_int.numpy(), gy, "integer y")
    # the logits of QuantMode.FULL are the integer read-out times s_V·s_h
    logits = m(x, mode=QuantMode.FULL)
    scale = hm.scales["s_V"] * hm.scales["s_h"]
    torch.testing.assert_close(logits.double(), torch.from_numpy(gy).double() * scale, rtol=1e-6, atol=1e-6)


def test_a_trained_model_exported_and_reloaded_runs_exactly_like_its_qat_forward(tmp_path):
    from train.config import TrainConfig
    from train.loop import build_model, calibrate
    from train.tasks import load_task

    cfg = TrainConfig(task="sdigits", hidden=16, batch_size=64, float_epochs=1, qat_epochs=1, progress=False)
    task = load_task(cfg)
    m = build_model(cfg, task)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    for i, (x, y) in enumerate(task.train.batches(64)):
        loss = torch.nn.functional.cross_entropy(m(task.model_input(x), mode=QuantMode.WEIGHTS), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i == 8:
            break
    calibrate(m, task, cfg)
    x, y = task.test.x[:64], task.test.y[:64]
    for _ in range(3):  # a few exact QAT steps
        loss = torch.nn.functional.cross_entropy(m(task.model_input(x), mode=QuantMode.FULL), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    path = save_artifact(export_model(m, {"task": "sdigits"}), tmp_path / "m.hrnn.npz")
    hm = load_artifact(path)
    g = run_golden(hm, x.to(torch.int64).numpy())
    y_full, _ = m.integer_units(task.model_input(x))
    assert_same(y_full.detach().numpy().astype(np.int64), g.y[:, -1], "trained model QAT y")
    assert_same(IntegerModel(hm).logits(x.to(torch.int64)).numpy(), g.y[:, -1], "trained model integer y")
