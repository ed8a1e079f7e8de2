import math

import pytest
import torch

from train.quantizers import InputQuantizer, StateQuantizer, WeightQuantizer
from train.ste import (
    ceil_pow2,
    floor_ste,
    round_half_even_ste,
    round_half_up,
    round_half_up_ste,
    sign_ste,
)


def test_round_half_up_is_the_spec_rounding_not_torch_round():
    x = torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51])
    assert round_half_up(x).tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 0.0, -1.0]
    assert torch.round(x).tolist() != round_half_up(x).tolist()  # half to even differs


@pytest.mark.parametrize("fn", [round_half_up_ste, floor_ste, sign_ste])
def test_straight_through_gradient_is_identity(fn):
    x = torch.linspace(-3, 3, 13, requires_grad=True)
    fn(x).sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))


def test_sign_ste_maps_zero_to_plus_one():
    assert sign_ste(torch.tensor([-0.1, 0.0, 0.3])).tolist() == [-1.0, 1.0, 1.0]


@pytest.mark.parametrize("x, want", [(1.0, 1.0), (0.3, 0.5), (0.25, 0.25), (3.0, 4.0), (1e-3, 2.0**-9)])
def test_ceil_pow2(x, want):
    assert ceil_pow2(x) == want


@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("pow2", [False, True])
def test_weight_quantizer_symmetric_narrow_range(bits, pow2):
    w = torch.randn(20, 7) * 3
    q = WeightQuantizer(bits, pow2)(w)
    qmax = 2 ** (bits - 1) - 1
    assert q.int().abs().max() <= qmax
    assert torch.equal(q.code, q.code.round())
    if pow2:
        assert math.log2(q.scale) == round(math.log2(q.scale))
    else:
        assert q.int().abs().max() == qmax  # the largest weight takes the largest code
    assert (q.value - w).abs().max() <= q.scale / 2 + 1e-6 or pow2


def test_state_quantizer_saturates_and_refuses_before_calibration():
    sq = StateQuantizer(4)
    with pytest.raises(RuntimeError):
        sq(torch.zeros(3))
    sq.calibrate(7.0)
    assert float(sq.scale) == 1.0
    assert sq(torch.tensor([-100.0, -8.4, 2.5, 100.0])).code.tolist() == [-8.0, -8.0, 3.0, 7.0]


def test_input_quantizer_ranges():
    uq = InputQuantizer(5, signed=False, scale=1 / 16)
    assert uq.range == (0, 31)
    assert uq(torch.tensor([-1.0, 0.5, 3.0])).code.tolist() == [0.0, 8.0, 31.0]
    sq = InputQuantizer(8, signed=True, scale=1 / 32)
    assert sq.range == (-128, 127)


def test_round_half_even_ste_is_torch_round_with_identity_gradient():
    x = torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49], requires_grad=True)
    y = round_half_even_ste(x)
    assert y.tolist() == [-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 0.0]
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_official_full_grid(bits):
    """Scale max|w|/2^(p-1), codes in [-2^(p-1), 2^(p-1)-1], half to even: -max|w| takes the
    lowest code, +max|w| saturates one below its mirror."""
    half = 2 ** (bits - 1)
    q = WeightQuantizer(bits, grid="full", rounding="half_even")
    w = torch.tensor([-4.0, 4.0, 0.0, 1.0])
    out = q(w)
    assert out.scale == 4.0 / half
    assert out.int().tolist()[:3] == [-half, half - 1, 0]
    assert (q.qmin, q.qmax) == (-half, half - 1)
    r = torch.randn(50, 9)
    c = q(r).int()
    assert c.min() >= -half and c.max() <= half - 1


def test_official_grid_rounds_ties_to_even():
    q = WeightQuantizer(4, grid="full", rounding="half_even")  # scale = 8/8 = 1 with max|w| = 8
    w = torch.tensor([8.0, 2.5, 3.5, -2.5, -0.5])
    assert q(w).int().tolist() == [7, 2, 4, -2, 0]
    up = WeightQuantizer(4, grid="full", rounding="half_up")
    assert up(w).int().tolist() == [7, 3, 4, -2, 0]


def test_full_grid_model_exports_an_artifact_the_kernel_accepts():
    """A -2^(p-1) code is inside the p-bit contract: hadam_hw's validation takes it."""
    from hadam_hw.golden import run_golden
    from train.config import NetConfig
    from train.export import export_model
    from train.model import HadamRNN

    m = HadamRNN(NetConfig(hidden=16, block=16, n_in=3, n_out=4, weight_grid="full", weight_rounding="half_even"))
    with torch.no_grad():
        m.input.weight[0, 0] = -10.0  # the largest magnitude is negative: it takes -8
        m.readout.weight[1, 2] = -10.0
    m.calibrate_state(4.0, 1.25)
    hm = export_model(m)
    assert int(hm.U.min()) == -8 and int(hm.V.min()) == -8
    x = torch.rand(2, 5, 3)
    y, _ = m.integer_units(x)
    g = run_golden(hm, m.input_codes(x).numpy())
    assert torch.equal(y.round().to(torch.int64)[:, :], torch.from_numpy(g.y[:, -1]))
