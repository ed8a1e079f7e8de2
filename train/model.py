"""The full HadamRNN in PyTorch, in three quantization modes, and its integer constants.

``h_t = W h_{t-1} + U x_t + bias``, ``y_t = V relu(h_t) + c`` (SPEC §1).

- ``QuantMode.FLOAT`` — the float model; whole sequences in parallel (or step by step).
- ``QuantMode.WEIGHTS`` — ``U``, ``V`` and dense inputs fake-quantized; the state is still
  real, so the parallel scan applies.
- ``QuantMode.FULL`` — the hrnn-int/1 recurrence itself, step by step, in float64 holding
  exact integers (``z = A·sign·S h + B·v + C``, ``h = clamp(floor((z + 2^(F-1)) / 2^F))``),
  with straight-through gradients. Its read-out, times ``s_V·s_h``, is the logits; its
  integers are exactly what :func:`train.export.export_model` writes and what
  ``hadam_hw.golden.run_golden`` computes (the tests check this).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from hadam_hw.constants import recurrence_constant
from hadam_hw.golden import FLOAT64_EXACT

from .config import NetConfig, QuantMode, ScanMode
from .hadamard import hadamard_transform
from .layers import HadamardRecurrence, QuantInput, QuantReadout
from .quantizers import StateQuantizer
from .ste import floor_ste, round_half_up, round_half_up_ste

__all__ = ["HadamRNN", "IntegerPlan", "MIN_B"]

# Without power-of-two scales B = round(2^F s_U s_x / s_h) is a rounded ratio; F is raised
# until B >= MIN_B, so that rounding changes the input gain by at most 1/(2·MIN_B).
MIN_B = 256


@dataclass(frozen=True)
class IntegerPlan:
    """The integer constants and scales of ``hrnn-int/1`` for the current weights."""

    frac_bits: int
    A: int
    B: int
    s_x: float
    s_h: float
    s_U: float
    s_V: float


class HadamRNN(nn.Module):
    """HadamRNN / Block-HadamRNN with quantized inputs, weights and state."""

    def __init__(self, net: NetConfig) -> None:
        super().__init__()
        self.net = net
        self.recurrence = HadamardRecurrence(net.hidden, net.block)
        self.input = QuantInput(
            net.input_kind, net.n_in, net.hidden, weight_bits=net.weight_bits, pow2=net.pow2,
            embed_dim=net.embed_dim, in_bits=net.in_bits, in_signed=net.in_signed,
            s_x=_pow2_or(net.s_x, net.pow2), grid=net.weight_grid, rounding=net.weight_rounding,
        )
        bound = 1.0 / math.sqrt(net.hidden)
        self.bias = nn.Parameter(torch.empty(net.hidden).uniform_(-bound, bound))
        self.readout = QuantReadout(net.hidden, net.n_out, weight_bits=net.weight_bits, pow2=net.pow2,
                                    grid=net.weight_grid, rounding=net.weight_rounding)
        self.state_quant = StateQuantizer(net.state_bits, net.pow2)
        self.register_buffer("frac_bits", torch.tensor(net.frac_bits, dtype=torch.int64))

    # --- float paths ----------------------------------------------------------------------
    def states(self, x: torch.Tensor, quantize_weights: bool = False, scan: ScanMode | str = "parallel") -> torch.Tensor:
        """The real state ``h`` for every step, ``(batch, T, d)`` (state not quantized)."""
        v = self.input(x, quantize=quantize_weights) + self.bias
        return self.recurrence(v, scan=ScanMode(scan).value)

    def forward(self, x: torch.Tensor, mode: QuantMode | str = QuantMode.FLOAT,
                scan: ScanMode | str = "parallel") -> torch.Tensor:
        """Logits: ``(batch, T, n_out)`` every step, or ``(batch, n_out)`` for the last step."""
        mode = QuantMode(mode)
        if mode is QuantMode.FULL:
            y, _ = self.integer_units(x)
            p = self.plan()
            return (y * (p.s_V * p.s_h)).to(torch.float32)
        q = mode is QuantMode.WEIGHTS
        h = self.states(x, quantize_weights=q, scan=scan)
        if not self.net.every_step:
            h = h[:, -1]
        return self.readout(h, quantize=q)

    # --- the integer model ----------------------------------------------------------------
    def calibrate_state(self, max_abs: float, margin: float = 1.0) -> IntegerPlan:
        """Set the state scale from the largest ``|h|`` seen, then choose ``F`` (see MIN_B)."""
        self.state_quant.calibrate(max_abs, margin)
        s_U, s_x, s_h = self._scales()[:3]
        need = math.log2(s_h / (s_U * s_x))  # B = 2^(F - need)
        want = 2 if self.net.pow2 else math.log2(MIN_B)
        F = max(self.net.frac_bits, math.ceil(need + want), (self.net.block.bit_length() - 1 + 1) // 2)
        self.frac_bits.fill_(F)
        return self.plan()

    def _scales(self) -> tuple[float, float, float, float]:
        s_U = self.input.weight_quant.scale_of(self.input.table())
        s_x = float(self.input.input_quant.scale) if self.input.input_quant is not None else 1.0
        s_h = float(self.state_quant.scale)
        s_V = self.readout.weight_quant.scale_of(self.readout.weight)
        return s_U, s_x, s_h, s_V

    def plan(self) -> IntegerPlan:
        if not self.state_quant.calibrated:
            raise RuntimeError("the state scale is not calibrated yet (call calibrate_state)")
        s_U, s_x, s_h, s_V = self._scales()
        F = int(self.frac_bits)
        A = recurrence_constant(self.net.block, F).A
        B = max(1, int(round_half_up(torch.tensor(2.0**F * s_U * s_x / s_h, dtype=torch.float64))))
        return IntegerPlan(frac_bits=F, A=A, B=B, s_x=s_x, s_h=s_h, s_U=s_U, s_V=s_V)

    def integer_weights(self, plan: IntegerPlan | None = None) -> dict[str, torch.Tensor]:
        """The integer arrays (as exact float64 tensors, STE-differentiable): U, C, V, c, sign."""
        p = plan or self.plan()
        U = self.input.weight_quant(self.input.table()).code.to(torch.float64)
        V = self.readout.weight_quant(self.readout.weight).code.to(torch.float64)
        C = round_half_up_ste(self.bias.to(torch.float64) * (2.0**p.frac_bits / p.s_h))
        c = round_half_up_ste(self.readout.bias.to(torch.float64) / (p.s_V * p.s_h))
        sign = self.recurrence.sign().to(torch.float64)
        return {"U": U, "C": C, "V": V, "c": c, "sign": sign}

    def input_codes(self, x: torch.Tensor) -> torch.Tensor:
        """Integer inputs (int64): quantized dense inputs, or the token ids themselves."""
        if self.input.tokens:
            return x.to(torch.int64)
        return self.input.quant_x(x).int()

    def integer_units(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(y, h)`` of the hrnn-int/1 recurrence as exact float64 integers, with STE gradients.

        ``y``: ``(batch, T, n_out)`` or ``(batch, n_out)``; ``h``: ``(batch, T, d)``.
        """
        p = self.plan()
        w = self.integer_weights(p)
        net = self.net
        if self.input.tokens:
            v = w["U"].t()[x]
        else:
            v = self.input.quant_x(x).code.to(torch.float64) @ w["U"].t()
        half = float((1 << p.frac_bits) >> 1)
        drive = p.B * v + w["C"] + half
        bound = float(p.A) * net.block * 2 ** (net.state_bits - 1) + float(drive.detach().abs().max())
        if bound >= FLOAT64_EXACT:
            raise RuntimeError(f"|z| may reach 2^{math.log2(bound):.1f}: float64 is no longer exact")
        a_sign = p.A * w["sign"]
        lo, hi = self.state_quant.range
        scale = 2.0 ** -p.frac_bits
        h = torch.zeros_like(drive[:, 0])
        hs = []
        for d_t in drive.unbind(1):
            z = a_sign * hadamard_transform(h, net.block) + d_t
            h = torch.clamp(floor_ste(z * scale), lo, hi)  # ⌊z / 2^F⌋ (z already holds the half)
            hs.append(h)
        H = torch.stack(hs, dim=1)
        R = H if net.every_step else H[:, -1]
        y = torch.relu(R) @ w["V"].t() + w["c"]
        return y, H


def _pow2_or(s: float, pow2: bool) -> float:
    from .ste import ceil_pow2

    return ceil_pow2(s) if pow2 else s

