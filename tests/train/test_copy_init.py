"""The copy task's analytic start: exact in float, and (binary code) it survives 4 bits.

(The level code needs ``hidden/2`` state coordinates with at least ``2·recall`` distinct
frequencies; the binary code 58 coordinates: hidden 128 with mirrored blocks of 64.)
"""

import pytest
import torch

from train.config import NetConfig
from train.copy_init import copy_task_init
from train.data.copy_task import copy_batch, load_copy
from train.loop import evaluate_integer
from train.model import HadamRNN


def _model(d, b, bits=4):
    net = NetConfig(hidden=d, block=b, n_in=10, n_out=9, input_kind="onehot", every_step=True, weight_bits=bits,
                    state_bits=14)
    return HadamRNN(net)


@pytest.mark.parametrize("d,b,T,code", [(32, 32, 40, "levels"), (64, 16, 100, "levels"), (64, 64, 120, "levels"),
                                        (128, 64, 60, "binary")])
def test_copy_init_recalls_everything_in_float(d, b, T, code):
    m = _model(d, b)
    info = copy_task_init(m, T, code=code)
    assert info["residual"] < 1e-9 and info["code"] == code
    x, y = copy_batch(256, T, torch.Generator().manual_seed(11))
    with torch.no_grad():
        pred = m(x).argmax(-1)
    wrong = int((pred[:, -10:] != y[:, -10:]).sum())
    assert wrong <= y[:, -10:].numel() // 2000, f"{wrong} wrong recalls of {y[:, -10:].numel()}"


def _integer_recall(m, T):
    task = load_copy(seq_len=T, n_train=64, n_val=8, n_test=1000, seed=0)
    h = m.states(task.train.draw(512, 1 << 30, 0)[0], quantize_weights=True)
    m.calibrate_state(float(h.abs().max()), 1.25)
    return evaluate_integer(m, task, task.test, golden_check=True)["accuracy"]


@pytest.mark.slow
def test_binary_code_survives_4_bits_where_levels_do_not():
    """Measured at T=200 before any training: binary (hidden 128, b 64) ≈ 98%, levels ≈ 40%."""
    T = 200
    binary = _model(128, 64)
    copy_task_init(binary, T, code="binary")
    levels = _model(64, 64)
    copy_task_init(levels, T, code="levels")
    assert _integer_recall(binary, T) >= 0.95
    assert _integer_recall(levels, T) <= 0.6


def test_copy_init_refuses_other_tasks_and_codes():
    m = HadamRNN(NetConfig(hidden=8, block=8, n_in=3, n_out=2))
    with pytest.raises(ValueError, match="copy task"):
        copy_task_init(m, 30)
    with pytest.raises(ValueError, match="code"):
        copy_task_init(_model(16, 16), 30, code="unary")
