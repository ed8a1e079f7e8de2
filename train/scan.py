"""The linear recurrence ``h_t = W h_{t-1} + v_t`` over whole sequences, two ways.

``W = diag(u) (I ⊗ S_b) / sqrt(b)`` is exactly orthogonal, so it is a rotation in a real
Schur basis ``W = Z R Zᵀ``: ``R`` is block diagonal with 2×2 rotations by angles ``θ`` and
1×1 blocks ±1. Pairing each rotation's two coordinates into one complex number turns the
recurrence into ``z_t = λ z_{t-1} + w_t`` with ``|λ| = 1``, whose solution

    z_t = λ^t · Σ_{τ ≤ t} λ^{-τ} w_τ

is a cumulative sum: parallel in time, and stable because ``|λ^{-τ}| = 1`` (this is where
orthogonality matters — a contractive ``W`` would make ``λ^{-τ}`` explode).

:func:`parallel_scan` does that, with a hand-written backward (the adjoint is the same
scan run backwards with ``Wᵀ``, and the gradient of the signs is elementwise), so the
cost of a forward+backward is four dense products with ``Z`` plus complex cumulative sums.
:func:`sequential_scan` is the step-by-step loop, the reference and the QAT path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from hadam_hw.hadamard import check_hidden_block, recurrent_matrix

from .hadamard import hadamard_transform, sylvester_tensor

__all__ = ["SchurBasis", "schur_basis", "parallel_scan", "sequential_scan", "recurrent_step"]


@dataclass(frozen=True)
class SchurBasis:
    """The rotation form of one ``W``, per Hadamard block.

    ``Z``: ``(n_blocks, b, 2M)`` float64, orthonormal columns in (re, im) pairs; a 1×1 block
    is a pair whose imaginary column is zero; blocks with fewer pairs are padded with zero
    columns. ``theta``: ``(n_blocks·M,)`` angles of the complex coordinates.
    """

    Z: np.ndarray
    theta: np.ndarray

    @property
    def n_complex(self) -> int:
        return self.theta.shape[0]


def _block_schur(sign: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    from scipy.linalg import schur  # scipy comes with scikit-learn

    W = recurrent_matrix(sign, block)
    T, Z = schur(W, output="real")
    cols, thetas = [], []
    i = 0
    while i < block:
        if i + 1 < block and abs(T[i + 1, i]) > 1e-9:
            # standardized 2×2 block [[cos, -sin], [sin, cos]] of a normal matrix
            thetas.append(np.arctan2(T[i + 1, i], T[i, i]))
            cols.append((Z[:, i], Z[:, i + 1]))
            i += 2
        else:
            thetas.append(0.0 if T[i, i] > 0 else np.pi)
            cols.append((Z[:, i], np.zeros(block)))
            i += 1
    Zp = np.stack([c for pair in cols for c in pair], axis=1)
    return Zp, np.asarray(thetas)


@lru_cache(maxsize=8)
def _schur_cached(sign_bytes: bytes, hidden: int, block: int) -> SchurBasis:
    sign = np.frombuffer(sign_bytes, dtype=np.int8).astype(np.int64)
    parts = [_block_schur(sign[k : k + block], block) for k in range(0, hidden, block)]
    M = max(t.shape[0] for _, t in parts)
    Z = np.zeros((hidden // block, block, 2 * M))
    theta = np.zeros((hidden // block, M))
    for k, (Zk, tk) in enumerate(parts):
        Z[k, :, : Zk.shape[1]] = Zk
        theta[k, : tk.shape[0]] = tk
    return SchurBasis(Z=Z, theta=theta.reshape(-1))


def schur_basis(sign: np.ndarray | torch.Tensor, block: int) -> SchurBasis:
    """The (cached) rotation form of ``W = diag(sign)(I ⊗ S_b)/sqrt(b)``."""
    if isinstance(sign, torch.Tensor):
        sign = sign.detach().cpu().numpy()
    sign = np.asarray(sign)
    check_hidden_block(sign.shape[0], block)
    return _schur_cached(np.where(sign > 0, 1, -1).astype(np.int8).tobytes(), sign.shape[0], block)


def recurrent_step(h: torch.Tensor, sign: torch.Tensor, block: int, gain: float | None = None,
                   method: str = "auto") -> torch.Tensor:
    """``W h`` (times ``gain / (1/sqrt(b))`` when ``gain`` replaces ``1/sqrt(b)``)."""
    g = block**-0.5 if gain is None else gain
    return sign * hadamard_transform(h, block, method) * g


def sequential_scan(v: torch.Tensor, sign: torch.Tensor, block: int, gain: float | None = None,
                    method: str = "auto") -> torch.Tensor:
    """``h_t = W h_{t-1} + v_t`` one step at a time; ``v``: ``(batch, T, d)``."""
    steps = v.unbind(1)  # one view per step; its backward stacks, unlike v[:, t]
    h = torch.zeros_like(steps[0])
    out = []
    for v_t in steps:
        h = recurrent_step(h, sign, block, gain, method) + v_t
        out.append(h)
    return torch.stack(out, dim=1)


class _Rotations:
    """Basis changes and phase tables for one ``(W, T, dtype)``."""

    def __init__(self, basis: SchurBasis, T: int, dtype: torch.dtype, device) -> None:
        self.Z = torch.from_numpy(basis.Z).to(device=device, dtype=dtype)  # (nb, b, 2M)
        self.nb, self.b, twoM = self.Z.shape
        phi = np.outer(np.arange(T, dtype=np.float64), basis.theta)  # exact angles, then cast
        cdtype = torch.complex64 if dtype == torch.float32 else torch.complex128
        self.phase = torch.from_numpy(np.exp(1j * phi)).to(device=device, dtype=cdtype)  # λ^t
        self.inv_phase = self.phase.conj()  # λ^{-t}

    def to_complex(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        xb = x.reshape(B * T, self.nb, self.b).transpose(0, 1)  # (nb, BT, b)
        y = torch.bmm(xb, self.Z).transpose(0, 1)  # (BT, nb, 2M)
        return torch.view_as_complex(y.reshape(B, T, -1, 2).contiguous())

    def to_real(self, z: torch.Tensor) -> torch.Tensor:
        B, T, _ = z.shape
        y = torch.view_as_real(z).reshape(B * T, self.nb, -1).transpose(0, 1)  # (nb, BT, 2M)
        return torch.bmm(y, self.Z.transpose(1, 2)).transpose(0, 1).reshape(B, T, self.nb * self.b)


class _ParallelScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v: torch.Tensor, sign: torch.Tensor, block: int):
        rot = _Rotations(schur_basis(sign, block), v.shape[1], v.dtype, v.device)
        w = rot.to_complex(v)
        h = rot.to_real(torch.cumsum(w * rot.inv_phase, dim=1) * rot.phase)
        ctx.rot = rot
        ctx.save_for_backward(v, sign, h)
        return h

    @staticmethod
    def backward(ctx, g_h: torch.Tensor):
        v, sign, h = ctx.saved_tensors
        rot = ctx.rot
        g = rot.to_complex(g_h.contiguous())
        # adjoint a_t = Σ_{τ≥t} (Wᵀ)^{τ-t} g_τ  →  λ^t · Σ_{τ≥t} λ^{-τ} g_τ
        a = rot.to_real(torch.flip(torch.cumsum(torch.flip(g * rot.inv_phase, (1,)), dim=1), (1,)) * rot.phase)
        g_sign = None
        if ctx.needs_input_grad[1]:
            # ∂L/∂u_i = Σ_t a_{t,i} (S h_{t-1})_i / sqrt(b) = u_i Σ_t a_{t,i} (h_t - v_t)_i
            g_sign = sign * (a * (h - v)).sum(dim=(0, 1))
        return a, g_sign, None


def parallel_scan(v: torch.Tensor, sign: torch.Tensor, block: int) -> torch.Tensor:
    """``h_t = W h_{t-1} + v_t`` (``h_0 = 0``) for all ``t`` at once; ``v``: ``(batch, T, d)``.

    ``sign`` holds ±1 (float); gradients flow to ``v`` and ``sign`` (the latent vector's
    straight-through estimator sits outside). Same result as :func:`sequential_scan` with
    the exact ``1/sqrt(b)`` to float round-off.
    """
    return _ParallelScan.apply(v, sign, block)


class _FusedLoopScan(torch.autograd.Function):
    """The step-by-step recurrence as one autograd node: a matrix product per step forward,
    one per step backward (the adjoint), no per-step autograd bookkeeping."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, sign: torch.Tensor, block: int):
        B, T, d = v.shape
        W = _dense_w(sign, block, v.dtype)  # W[i, j]: h_t = h_{t-1} Wᵀ + v_t
        Wt = W.t().contiguous()
        vt = v.detach().transpose(0, 1).contiguous()  # (T, B, d): each step contiguous
        H = torch.empty_like(vt)
        H[0] = vt[0]
        for t in range(1, T):
            torch.addmm(vt[t], H[t - 1], Wt, out=H[t])
        ctx.save_for_backward(vt, sign, H, W)
        ctx.block = block
        return H.transpose(0, 1)

    @staticmethod
    def backward(ctx, g_h: torch.Tensor):
        vt, sign, H, W = ctx.saved_tensors
        T = vt.shape[0]
        G = g_h.transpose(0, 1).contiguous()
        A = torch.empty_like(G)
        A[T - 1] = G[T - 1]
        for t in range(T - 2, -1, -1):
            torch.addmm(G[t], A[t + 1], W, out=A[t])  # a_t = g_t + Wᵀ a_{t+1}
        g_sign = None
        if ctx.needs_input_grad[1]:
            g_sign = sign * (A * (H - vt)).sum(dim=(0, 1))
        return A.transpose(0, 1), g_sign, None


def _dense_w(sign: torch.Tensor, block: int, dtype: torch.dtype) -> torch.Tensor:
    d = sign.shape[0]
    S = torch.block_diag(*[sylvester_tensor(block, dtype)] * (d // block)) if block < d else sylvester_tensor(block, dtype)
    return sign.detach().to(dtype)[:, None] * S * block**-0.5


def fused_loop_scan(v: torch.Tensor, sign: torch.Tensor, block: int) -> torch.Tensor:
    """``h_t = W h_{t-1} + v_t`` step by step in one autograd node (exact ``1/sqrt(b)``)."""
    return _FusedLoopScan.apply(v, sign, block)
