"""The recurrence constant ``A ≈ 2^F / sqrt(b)`` and its cost (SPEC §6).

For ``log2 b`` even, ``A`` is an exact power of two (a shift in hardware). For ``log2 b``
odd, ``sqrt(b)`` is irrational: the policy rounds ``A`` **down** (the recurrence becomes
slightly contractive, so it stays stable over long sequences) and can limit it to a few
canonical signed digits, each digit past the first costing one adder per lane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .errors import ConfigError
from .fixedpoint import csd
from .hadamard import log2_exact

__all__ = ["RecurrenceConstant", "recurrence_constant", "round_down_to_digits", "is_power_of_two_constant"]


def is_power_of_two_constant(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


@lru_cache(maxsize=4096)
def _below(n: int, k: int) -> int:
    """Largest value <= n (n >= 0) that is a sum of at most k signed powers of two."""
    if n == 0 or k == 0:
        return 0
    p = n.bit_length() - 1
    best = (1 << p) + _below(n - (1 << p), k - 1)
    above = _above((1 << (p + 1)) - n, k - 1)
    if above is not None:
        best = max(best, (1 << (p + 1)) - above)
    return best


@lru_cache(maxsize=4096)
def _above(n: int, k: int) -> int | None:
    """Smallest value >= n (n >= 0) that is a sum of at most k signed powers of two."""
    if n == 0:
        return 0
    if k == 0:
        return None
    p = (n - 1).bit_length()  # 2^p >= n
    best = (1 << p) - _below((1 << p) - n, k - 1)
    if p >= 1:
        rest = _above(n - (1 << (p - 1)), k - 1)
        if rest is not None:
            best = min(best, (1 << (p - 1)) + rest)
    return best


def round_down_to_digits(n: int, max_digits: int) -> int:
    """Largest integer ``<= n`` whose canonical signed-digit form has at most ``max_digits`` digits."""
    if max_digits < 1:
        raise ConfigError(f"max_digits must be at least 1, not {max_digits}")
    if n <= 0:
        raise ConfigError(f"constant must be positive, not {n}")
    return _below(int(n), int(max_digits))


@dataclass(frozen=True)
class RecurrenceConstant:
    A: int
    block: int
    frac_bits: int

    @property
    def gain(self) -> float:
        """``A·sqrt(b)/2^F``: 1 is exactly orthogonal, below 1 is contractive."""
        return self.A * math.sqrt(self.block) / 2**self.frac_bits

    def gain_over(self, steps: int) -> float:
        """How much a state component shrinks over ``steps`` steps (``gain^steps``)."""
        return self.gain**steps

    @property
    def digits(self) -> int:
        return len(csd(self.A))

    @property
    def exact(self) -> bool:
        return self.A * self.A * self.block == 1 << (2 * self.frac_bits)

    @property
    def shift_only(self) -> bool:
        return is_power_of_two_constant(self.A)

    @property
    def adders_per_lane(self) -> int:
        """Adders a constant multiplier by ``A`` costs per lane (0 for a power of two)."""
        return self.digits - 1


def recurrence_constant(block: int, frac_bits: int, max_digits: int | None = None) -> RecurrenceConstant:
    """``A = floor(2^F / sqrt(b))`` (exact when ``log2 b`` is even), optionally limited to
    ``max_digits`` canonical signed digits, rounding down."""
    m = log2_exact(block, "block size")
    if m % 2 == 0:
        if frac_bits < m // 2:
            raise ConfigError(f"frac_bits must be at least {m // 2} for block {block}, not {frac_bits}")
        return RecurrenceConstant(1 << (frac_bits - m // 2), block, frac_bits)
    A = math.isqrt((1 << (2 * frac_bits)) // block)  # floor(2^F / sqrt(b)), exactly
    if A < 1:
        raise ConfigError(f"frac_bits={frac_bits} is too small for block {block}: A would be 0")
    if max_digits is not None:
        A = round_down_to_digits(A, max_digits)
    return RecurrenceConstant(A, block, frac_bits)
