"""Straight-through estimators: small pure functions, nothing stateful (Brevitas' first layer).

Each returns the quantized value forward and passes the gradient through unchanged
(``x + (q(x) - x).detach()``); clamping is left to ``torch.clamp``, whose gradient is zero
outside the range (the "clipped" straight-through estimator).
"""

from __future__ import annotations

import torch

__all__ = ["round_half_up", "round_half_up_ste", "round_half_even_ste", "floor_ste", "sign_ste", "ceil_pow2"]


def round_half_up(x: torch.Tensor) -> torch.Tensor:
    """``floor(x + 1/2)``: the hrnn-int/1 rounding (``torch.round`` rounds half to even)."""
    return torch.floor(x + 0.5)


def round_half_up_ste(x: torch.Tensor) -> torch.Tensor:
    """:func:`round_half_up` forward, identity backward."""
    return x + (round_half_up(x) - x).detach()


def round_half_even_ste(x: torch.Tensor) -> torch.Tensor:
    """``torch.round`` (half to even, the official code's weight rounding) forward, identity backward."""
    return x + (torch.round(x) - x).detach()


def floor_ste(x: torch.Tensor) -> torch.Tensor:
    """``floor(x)`` forward, identity backward."""
    return x + (torch.floor(x) - x).detach()


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """±1 (``sign(0) = +1``) forward, identity backward: the latent vector's estimator."""
    return x + (torch.where(x >= 0, 1.0, -1.0).to(x.dtype) - x).detach()


def ceil_pow2(x: float) -> float:
    """The smallest power of two ``>= x`` (``x > 0``), for power-of-two scales."""
    import math

    if not (x > 0 and math.isfinite(x)):
        raise ValueError(f"a scale must be a positive finite number, not {x!r}")
    m, e = math.frexp(x)  # x = m · 2^e, 0.5 <= m < 1
    return 2.0 ** (e - 1) if m == 0.5 else 2.0**e
