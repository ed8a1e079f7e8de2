"""The parallel scan equals the step-by-step loop (values and gradients); the transforms agree."""

import numpy as np
import pytest
import torch

from hadam_hw.hadamard import block_hadamard, recurrent_matrix
from train.hadamard import dense_hadamard, fwht, hadamard_transform
from train.scan import fused_loop_scan, parallel_scan, schur_basis, sequential_scan


@pytest.mark.parametrize("d,b", [(1, 1), (8, 8), (16, 4), (32, 1), (64, 16), (128, 128)])
def test_fast_and_dense_transforms_equal_the_kernel_matrix(d, b):
    x = torch.randint(-1000, 1000, (5, d), dtype=torch.int64)
    want = x.numpy() @ block_hadamard(d, b).T.astype(np.int64)
    assert np.array_equal(fwht(x, b).numpy(), want)
    assert np.array_equal(hadamard_transform(x, b).numpy(), want)  # integers take the butterfly
    xf = x.to(torch.float64)
    assert np.array_equal(dense_hadamard(xf, b).numpy(), want.astype(np.float64))


@pytest.mark.parametrize("d,b", [(8, 8), (16, 4), (64, 64)])
def test_schur_basis_rotates_like_w(d, b):
    sign = np.random.default_rng(d).choice([-1, 1], size=d)
    basis = schur_basis(sign, b)
    W = recurrent_matrix(sign, b)
    for k in range(d // b):
        Z = basis.Z[k]
        blockW = W[k * b:(k + 1) * b, k * b:(k + 1) * b]
        for j, th in enumerate(basis.theta.reshape(d // b, -1)[k]):
            re, im = Z[:, 2 * j], Z[:, 2 * j + 1]
            if not re.any():
                continue  # padding
            z = re + 1j * im
            np.testing.assert_allclose(blockW @ z, np.exp(-1j * th) * z, atol=1e-10)


@pytest.mark.parametrize("scan", [parallel_scan, fused_loop_scan], ids=["parallel", "fused"])
@pytest.mark.parametrize("d,b,T", [(8, 8, 20), (16, 4, 33), (16, 1, 9), (64, 64, 60), (32, 2, 50)])
def test_fast_scans_equal_the_loop_values_and_gradients(scan, d, b, T):
    g = torch.Generator().manual_seed(d * T)
    v = torch.randn(3, T, d, dtype=torch.float64, generator=g, requires_grad=True)
    sign = torch.where(torch.randn(d, generator=g) > 0, 1.0, -1.0).double().requires_grad_(True)
    w = torch.randn(3, T, d, dtype=torch.float64, generator=g)
    grads = []
    for fn in (scan, sequential_scan):
        h = fn(v, sign, b)
        (h * w).sum().backward()
        grads.append((h.detach().clone(), v.grad.clone(), sign.grad.clone()))
        v.grad, sign.grad = None, None
    (h1, gv1, gs1), (h2, gv2, gs2) = grads
    torch.testing.assert_close(h1, h2, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(gv1, gv2, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(gs1, gs2, rtol=1e-9, atol=1e-8)


def test_parallel_scan_float32_stays_close_over_long_sequences():
    d, b, T = 32, 32, 1000
    g = torch.Generator().manual_seed(3)
    v = torch.randn(1, T, d, generator=g)
    sign = torch.where(torch.randn(d, generator=g) > 0, 1.0, -1.0)
    h32 = parallel_scan(v, sign, b)
    h64 = sequential_scan(v.double(), sign.double(), b)
    assert (h32.double() - h64).abs().max() / h64.abs().max() < 1e-4
