"""Explicit fixed-point formats, integer intervals and signed-digit constants.

Rounding and saturation are enums, never implied by a bit width (hls4ml's
``FixedPrecisionType`` style). :class:`Interval` carries exact integer bounds through the
recurrence so every derived width is proven, not guessed. :func:`csd` writes a constant
as canonical signed digits, the shift-and-add form the RTL uses for constant multipliers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

__all__ = [
    "Rounding",
    "Saturation",
    "FixedPoint",
    "Interval",
    "signed_width",
    "unsigned_width",
    "round_shift",
    "csd",
    "csd_value",
]


class Rounding(enum.Enum):
    """How a right shift by ``frac`` bits rounds."""

    TRUNCATE = "truncate"  # floor(z / 2^F)
    HALF_UP = "half_up"  # floor((z + 2^(F-1)) / 2^F): the hrnn-int/1 rule


class Saturation(enum.Enum):
    """What happens to a value outside the format's range."""

    WRAP = "wrap"
    SATURATE = "saturate"


def signed_width(lo: int, hi: int) -> int:
    """Smallest two's complement width holding every integer in ``[lo, hi]``."""
    lo, hi = int(lo), int(hi)
    if lo > hi:
        raise ValueError(f"empty interval [{lo}, {hi}]")
    w = 1
    while not (-(1 << (w - 1)) <= lo and hi <= (1 << (w - 1)) - 1):
        w += 1
    return w


def unsigned_width(hi: int) -> int:
    """Smallest unsigned width holding ``0 … hi`` (at least 1)."""
    if hi < 0:
        raise ValueError(f"negative bound {hi} for an unsigned width")
    return max(1, int(hi).bit_length())


def round_shift(z: np.ndarray | int, frac: int, rounding: Rounding = Rounding.HALF_UP):
    """``floor((z + 2^(frac-1)) / 2^frac)`` (HALF_UP) or ``floor(z / 2^frac)`` (TRUNCATE).

    Exact on Python ints and numpy integer arrays (arithmetic shift = floor division).
    """
    if frac < 0:
        raise ValueError("frac must be >= 0")
    half = (1 << frac) >> 1 if rounding is Rounding.HALF_UP else 0
    return (z + half) >> frac


@dataclass(frozen=True)
class FixedPoint:
    """A fixed-point format: ``width`` bits, ``frac`` of them fractional."""

    width: int
    frac: int = 0
    signed: bool = True
    rounding: Rounding = Rounding.HALF_UP
    saturation: Saturation = Saturation.SATURATE

    def __post_init__(self) -> None:
        if not isinstance(self.width, int) or not 1 <= self.width <= 64:
            raise ConfigError(f"Fixed-point width must be an integer in 1..64, not {self.width!r}")
        if self.signed and self.width < 2:
            raise ConfigError("A signed fixed-point format needs at least 2 bits")

    @property
    def min(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    def contains(self, values) -> bool:
        v = np.asarray(values)
        return bool(v.size == 0 or (v.min() >= self.min and v.max() <= self.max))

    def quantize(self, z, shift: int = 0):
        """Shift ``z`` right by ``shift`` bits with this rounding, then saturate or wrap."""
        q = round_shift(z, shift, self.rounding)
        if self.saturation is Saturation.SATURATE:
            return np.clip(q, self.min, self.max)
        span = 1 << self.width
        return ((q - self.min) % span) + self.min

    def to_json(self) -> dict:
        return {
            "width": self.width,
            "frac": self.frac,
            "signed": self.signed,
            "rounding": self.rounding.value,
            "saturation": self.saturation.value,
        }

    @classmethod
    def from_json(cls, obj: dict) -> FixedPoint:
        return cls(
            width=int(obj["width"]),
            frac=int(obj["frac"]),
            signed=bool(obj["signed"]),
            rounding=Rounding(obj["rounding"]),
            saturation=Saturation(obj["saturation"]),
        )


@dataclass(frozen=True)
class Interval:
    """A closed integer interval ``[lo, hi]`` with exact interval arithmetic."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "lo", int(self.lo))
        object.__setattr__(self, "hi", int(self.hi))
        if self.lo > self.hi:
            raise ValueError(f"empty interval [{self.lo}, {self.hi}]")

    @classmethod
    def of(cls, values) -> Interval:
        v = np.asarray(values)
        return cls(int(v.min()), int(v.max())) if v.size else cls(0, 0)

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def scale(self, k: int) -> Interval:
        a, b = self.lo * k, self.hi * k
        return Interval(min(a, b), max(a, b))

    def union(self, other: Interval) -> Interval:
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    @property
    def magnitude(self) -> int:
        return max(abs(self.lo), abs(self.hi))

    @property
    def width(self) -> int:
        """Two's complement width of the interval (signed, even if ``lo >= 0``)."""
        return signed_width(self.lo, self.hi)


def csd(n: int) -> list[tuple[int, int]]:
    """Canonical signed-digit form of ``n``: ``[(shift, ±1), ...]`` with no two adjacent digits.

    ``sum(s << k for k, s in csd(n)) == n`` and the number of digits is minimal, so a
    constant multiplier costs ``len(csd(n)) - 1`` adders.
    """
    n = int(n)
    digits: list[tuple[int, int]] = []
    k = 0
    while n != 0:
        if n & 1:
            d = 2 - (n & 3)  # +1 when n ≡ 1 (mod 4), -1 when n ≡ 3 (mod 4)
            digits.append((k, d))
            n -= d
        n >>= 1
        k += 1
    return digits


def csd_value(digits: list[tuple[int, int]]) -> int:
    """Inverse of :func:`csd`."""
    return sum(s << k for k, s in digits)
