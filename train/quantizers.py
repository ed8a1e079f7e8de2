"""Quantizers: modules that turn a float tensor into integer codes plus a scale.

``value = scale · code`` with ``code`` an integer held in a float tensor (exact), and the
gradient passed straight through to the float tensor (see :mod:`train.ste`). Each
quantizer states its range and rounding explicitly; none of them wraps.

- :class:`WeightQuantizer` — p-bit per-tensor, scale from the largest magnitude, for ``U``
  and ``V``: narrow range ``±(2^(p-1)-1)`` rounded half up (ours), or the official code's
  full range ``[-2^(p-1), 2^(p-1)-1]`` with ``scale = max|w| / 2^(p-1)`` rounded half to
  even. Both are inside the p-bit contract.
- :class:`StateQuantizer` — ``state_bits`` two's complement with a calibrated scale
  (the state saturates; it never wraps).
- :class:`InputQuantizer` — ``in_bits`` signed or unsigned with a fixed scale, for dense
  inputs (token ids need none).

``pow2=True`` rounds every scale up to a power of two, so the exported constants ``B``
(and ``A`` when ``log2 b`` is even) become shifts in hardware.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .config import Rounding, WeightGrid
from .ste import ceil_pow2, round_half_even_ste, round_half_up, round_half_up_ste

__all__ = ["QuantTensor", "WeightQuantizer", "StateQuantizer", "InputQuantizer"]


@dataclass(frozen=True)
class QuantTensor:
    """Integer codes (held exactly in a float tensor, STE-differentiable) and their scale."""

    code: torch.Tensor
    scale: float

    @property
    def value(self) -> torch.Tensor:
        return self.code * self.scale

    def int(self) -> torch.Tensor:
        return self.code.detach().round().to(torch.int64)


class WeightQuantizer(nn.Module):
    """p-bit per-tensor quantizer: ``code = clamp(round(w / s), qmin, qmax)``.

    ``grid`` narrow: ``qmin = -qmax = -(2^(p-1)-1)``, ``s = max|w| / qmax``; full (official):
    ``[-2^(p-1), 2^(p-1)-1]``, ``s = max|w| / 2^(p-1)`` (so ``+max|w|`` saturates at
    ``2^(p-1)-1`` and ``-max|w|`` reaches ``-2^(p-1)``). ``rounding``: half up or half to even.
    """

    def __init__(self, bits: int, pow2: bool = False, grid: WeightGrid | str = WeightGrid.NARROW,
                 rounding: Rounding | str = Rounding.HALF_UP) -> None:
        super().__init__()
        if bits < 2:
            raise ValueError(f"weight bits must be at least 2, not {bits}")
        self.bits = bits
        self.pow2 = pow2
        self.grid = WeightGrid(grid)
        self.rounding = Rounding(rounding)

    @property
    def qmax(self) -> int:
        return (1 << (self.bits - 1)) - 1

    @property
    def qmin(self) -> int:
        return -self.qmax if self.grid is WeightGrid.NARROW else -(1 << (self.bits - 1))

    def scale_of(self, w: torch.Tensor) -> float:
        m = float(w.detach().abs().max())
        s = (m if m > 0 else 1.0) / (self.qmax if self.grid is WeightGrid.NARROW else -self.qmin)
        return ceil_pow2(s) if self.pow2 else s

    def forward(self, w: torch.Tensor) -> QuantTensor:
        s = self.scale_of(w)
        rnd = round_half_up_ste if self.rounding is Rounding.HALF_UP else round_half_even_ste
        code = torch.clamp(rnd(w / s), self.qmin, self.qmax)
        return QuantTensor(code, s)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, pow2={self.pow2}, grid={self.grid.value}, rounding={self.rounding.value}"


class StateQuantizer(nn.Module):
    """``state_bits`` two's complement codes of the state; the scale is calibrated, not learned.

    :meth:`calibrate` sets the scale so that the largest magnitude seen (times ``margin``)
    maps to the largest code; until then the quantizer refuses to run.
    """

    def __init__(self, bits: int, pow2: bool = False) -> None:
        super().__init__()
        self.bits = bits
        self.pow2 = pow2
        self.register_buffer("scale", torch.zeros((), dtype=torch.float64))

    @property
    def range(self) -> tuple[int, int]:
        return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1

    @property
    def calibrated(self) -> bool:
        return float(self.scale) > 0

    def calibrate(self, max_abs: float, margin: float = 1.0) -> float:
        s = max(float(max_abs), 1e-12) * margin / self.range[1]
        s = ceil_pow2(s) if self.pow2 else s
        self.scale.fill_(s)
        return s

    def forward(self, h: torch.Tensor) -> QuantTensor:
        if not self.calibrated:
            raise RuntimeError("the state quantizer is used before calibration")
        s = float(self.scale)
        lo, hi = self.range
        return QuantTensor(torch.clamp(round_half_up_ste(h / s), lo, hi), s)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, pow2={self.pow2}, scale={float(self.scale):.6g}"


class InputQuantizer(nn.Module):
    """``in_bits`` codes of dense inputs with a fixed scale ``s_x`` (no gradient needed)."""

    def __init__(self, bits: int, signed: bool, scale: float) -> None:
        super().__init__()
        self.bits = bits
        self.signed = signed
        self.register_buffer("scale", torch.tensor(float(scale), dtype=torch.float64))

    @property
    def range(self) -> tuple[int, int]:
        if self.signed:
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1

    def forward(self, x: torch.Tensor) -> QuantTensor:
        s = float(self.scale)
        lo, hi = self.range
        return QuantTensor(torch.clamp(round_half_up(x.detach() / s), lo, hi), s)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, signed={self.signed}, scale={float(self.scale):.6g}"
