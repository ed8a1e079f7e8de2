"""The copy task's analytic start solves the task in float, for one block or several.

(It needs ``hidden/2`` state coordinates with at least ``2·recall`` distinct frequencies:
hidden 32 with blocks of 8, for instance, is too small and only approximately solved.)
"""

import pytest
import torch

from train.config import NetConfig
from train.copy_init import copy_task_init
from train.data.copy_task import copy_batch
from train.model import HadamRNN


@pytest.mark.parametrize("d,b,T", [(32, 32, 40), (64, 16, 100), (64, 64, 120)])
def test_copy_init_recalls_everything_in_float(d, b, T):
    net = NetConfig(hidden=d, block=b, n_in=10, n_out=9, input_kind="onehot", every_step=True)
    m = HadamRNN(net)
    info = copy_task_init(m, T)
    assert info["residual"] < 1e-9
    x, y = copy_batch(256, T, torch.Generator().manual_seed(11))
    with torch.no_grad():
        pred = m(x).argmax(-1)
    wrong = int((pred != y).sum())
    assert wrong <= y.numel() // 2000, f"{wrong} wrong read-outs of {y.numel()}"  # margins sized on other samples


def test_copy_init_refuses_other_tasks():
    m = HadamRNN(NetConfig(hidden=8, block=8, n_in=3, n_out=2))
    with pytest.raises(ValueError, match="copy task"):
        copy_task_init(m, 30)
