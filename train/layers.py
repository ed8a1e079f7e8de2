"""The HadamRNN layers in PyTorch: the Hadamard recurrence, the quantized input and read-out.

``W = diag(u) (I ⊗ S_b) / sqrt(b)`` with ``u = sign(latent)`` (straight-through), any block
size ``b`` dividing ``d``. The input layer maps a step's input to the state's drive
``v_t = U x_t`` (dense inputs, token ids, or token ids through an embedding, which is
folded into one ``d × vocab`` table so that it exports as a onehot model). The read-out is
``y = V relu(h) + c``. ``U`` and ``V`` go through p-bit :class:`WeightQuantizer`s.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hadam_hw.hadamard import check_hidden_block

from .config import InputKind, Rounding, WeightGrid
from .quantizers import InputQuantizer, QuantTensor, WeightQuantizer
from .scan import fused_loop_scan, parallel_scan, recurrent_step, sequential_scan
from .ste import sign_ste

__all__ = ["InputKind", "HadamardRecurrence", "QuantInput", "QuantReadout"]


class HadamardRecurrence(nn.Module):
    """``h_t = W h_{t-1} + v_t`` with ``W = diag(sign(latent)) (I ⊗ S_b) / sqrt(b)``."""

    def __init__(self, hidden: int, block: int) -> None:
        super().__init__()
        check_hidden_block(hidden, block)
        self.hidden = hidden
        self.block = block
        bound = math.sqrt(6.0 / (1 + hidden))  # the paper's Xavier-uniform latent
        self.latent = nn.Parameter(torch.empty(hidden).uniform_(-bound, bound))

    def sign(self) -> torch.Tensor:
        return sign_ste(self.latent)

    def sign_int(self) -> torch.Tensor:
        return torch.where(self.latent.detach() >= 0, 1, -1).to(torch.int64)

    def clamp_latent_(self) -> None:
        """Keep the latent vector in [-1, 1] so that a sign can flip back quickly."""
        with torch.no_grad():
            self.latent.clamp_(-1.0, 1.0)

    def forward(self, v: torch.Tensor, scan: str = "parallel") -> torch.Tensor:
        """All states ``(batch, T, d)`` of the float recurrence driven by ``v``.

        ``scan``: ``"parallel"`` (whole sequence at once), ``"fused"`` (step by step in one
        autograd node) or ``"sequential"`` (step by step, plain autograd) — same values.
        """
        sign = self.sign().to(v.dtype)
        fn = {"parallel": parallel_scan, "fused": fused_loop_scan, "sequential": sequential_scan}.get(str(scan))
        if fn is None:
            raise ValueError(f"scan must be parallel, fused or sequential, not {scan!r}")
        return fn(v, sign, self.block)

    def step(self, h: torch.Tensor, gain: float | None = None) -> torch.Tensor:
        """``W h`` for one step (``gain`` replaces ``1/sqrt(b)`` when given)."""
        return recurrent_step(h, self.sign().to(h.dtype), self.block, gain)

    def extra_repr(self) -> str:
        return f"hidden={self.hidden}, block={self.block}"


class QuantInput(nn.Module):
    """The input layer: ``v_t = U x_t`` with ``U`` quantized to p bits.

    Dense inputs are quantized to ``in_bits`` with the fixed scale ``s_x``; token ids are
    exact (``s_x = 1``). With an embedding, ``U`` acts on ``E[token]`` and the table
    ``U Eᵀ`` (``d × vocab``) is what gets quantized and exported.
    """

    def __init__(self, kind: InputKind, n_in: int, hidden: int, *, weight_bits: int,
                 pow2: bool = False, embed_dim: int = 0, in_bits: int = 8, in_signed: bool = True,
                 s_x: float = 1.0, grid: WeightGrid | str = WeightGrid.NARROW,
                 rounding: Rounding | str = Rounding.HALF_UP) -> None:
        super().__init__()
        self.kind = InputKind(kind)
        self.n_in = n_in
        self.hidden = hidden
        fan_in = embed_dim if self.kind is InputKind.EMBEDDING else n_in
        bound = math.sqrt(6.0 / (fan_in + hidden))
        self.weight = nn.Parameter(torch.empty(hidden, fan_in).uniform_(-bound, bound))
        if self.kind is InputKind.EMBEDDING:
            if embed_dim < 1:
                raise ValueError("embedding inputs need embed_dim >= 1")
            self.embedding = nn.Parameter(torch.randn(n_in, embed_dim))
        else:
            self.register_parameter("embedding", None)
        self.weight_quant = WeightQuantizer(weight_bits, pow2, grid, rounding)
        self.input_quant = InputQuantizer(in_bits, in_signed, s_x) if self.kind is InputKind.DENSE else None

    @property
    def tokens(self) -> bool:
        return self.kind is not InputKind.DENSE

    def table(self) -> torch.Tensor:
        """The float ``d × n_in`` matrix applied to a onehot/dense input (``U`` or ``U Eᵀ``)."""
        if self.kind is InputKind.EMBEDDING:
            return self.weight @ self.embedding.t()
        return self.weight

    def quant_table(self) -> QuantTensor:
        return self.weight_quant(self.table())

    def quant_x(self, x: torch.Tensor) -> QuantTensor | None:
        return None if self.tokens else self.input_quant(x)

    def forward(self, x: torch.Tensor, quantize: bool) -> torch.Tensor:
        """``v`` (``(batch, T, d)``) for inputs ``x`` (``(batch, T, n_in)`` or ``(batch, T)`` ids)."""
        if quantize:
            Uq = self.quant_table().value
            if self.tokens:
                return Uq.t()[x]
            return self.quant_x(x).value.to(Uq.dtype) @ Uq.t()
        if self.tokens:
            if self.kind is InputKind.EMBEDDING:
                return self.embedding[x] @ self.weight.t()
            return self.weight.t()[x]
        return x.to(self.weight.dtype) @ self.weight.t()


class QuantReadout(nn.Module):
    """``y = V relu(h) + c`` with ``V`` quantized to p bits."""

    def __init__(self, hidden: int, n_out: int, *, weight_bits: int, pow2: bool = False,
                 grid: WeightGrid | str = WeightGrid.NARROW, rounding: Rounding | str = Rounding.HALF_UP) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(hidden)
        self.weight = nn.Parameter(torch.empty(n_out, hidden).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.weight_quant = WeightQuantizer(weight_bits, pow2, grid, rounding)

    def forward(self, h: torch.Tensor, quantize: bool) -> torch.Tensor:
        V = self.weight_quant(self.weight).value if quantize else self.weight
        return torch.relu(h) @ V.t().to(h.dtype) + self.bias.to(h.dtype)
