"""Sylvester Hadamard matrices, their block-diagonal form and the exact integer FWHT.

``S_b[r][c] = (-1)^popcount(r & c)`` for ``b = 2^m``. HadamRNN's recurrent matrix is
``W = diag(u) · (I_{d/b} ⊗ S_b) / sqrt(b)``; ``b = d`` is the binary HadamRNN and ``b < d``
the block-sparse ternary Block-HadamRNN.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError

__all__ = [
    "is_power_of_two",
    "log2_exact",
    "check_hidden_block",
    "sylvester_entry",
    "sylvester",
    "block_hadamard",
    "fwht",
    "recurrent_matrix",
    "is_orthogonal",
]


def is_power_of_two(n: int) -> bool:
    """True for 1, 2, 4, 8, ... (Python or numpy integers; bools are refused)."""
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 and (n & (n - 1)) == 0


def log2_exact(n: int, what: str = "size") -> int:
    """``log2(n)`` for a power of two, or a :class:`ConfigError` naming ``what``."""
    if not is_power_of_two(n):
        raise ConfigError(f"{what.capitalize()} must be a power of two, not {n!r}")
    return int(n).bit_length() - 1


def check_hidden_block(hidden: int, block: int) -> None:
    """Validate a hidden size and a block size (both powers of two, block divides hidden)."""
    log2_exact(hidden, "hidden size")
    if not is_power_of_two(block) or block > hidden:
        raise ConfigError(
            f"Block size must be a power of two dividing the hidden size {hidden}, not {block!r}"
        )


def sylvester_entry(r: int, c: int) -> int:
    """``S[r][c] = (-1)^popcount(r & c)``, independent of the matrix size."""
    return -1 if bin(int(r) & int(c)).count("1") & 1 else 1


def sylvester(b: int) -> np.ndarray:
    """The ``b × b`` Sylvester Hadamard matrix as int8."""
    log2_exact(b, "block size")
    idx = np.arange(b, dtype=np.int64)
    anded = idx[:, None] & idx[None, :]
    parity = np.zeros_like(anded)
    while anded.any():
        parity ^= anded & 1
        anded >>= 1
    return (1 - 2 * parity).astype(np.int8)


def block_hadamard(hidden: int, block: int) -> np.ndarray:
    """``I_{hidden/block} ⊗ S_block`` as an int8 ``hidden × hidden`` matrix."""
    check_hidden_block(hidden, block)
    return np.kron(np.eye(hidden // block, dtype=np.int8), sylvester(block)).astype(np.int8)


def fwht(x: np.ndarray, block: int | None = None) -> np.ndarray:
    """Exact fast Walsh–Hadamard transform over the last axis, block by block.

    Returns ``x @ (I ⊗ S_block).T`` (Sylvester order) computed with ``log2(block)``
    add/subtract stages in the input's integer dtype (or float dtype), for any batch shape.
    ``block`` defaults to the whole last axis. Integer inputs must leave headroom for a
    growth of ``block``: the caller proves the bound (see :mod:`hadam_hw.widths`).
    """
    x = np.asarray(x)
    n = x.shape[-1]
    block = n if block is None else block
    check_hidden_block(n, block)
    y = np.array(x, copy=True)  # butterflies run in place on this copy
    lead = y.shape[:-1]
    h = 1
    while h < block:
        # the last axis as (n / 2h) groups of two halves of length h: one butterfly stage
        v = y.reshape(*lead, n // (2 * h), 2, h)
        a, c = v[..., 0, :], v[..., 1, :]
        diff = a - c
        a += c
        c[...] = diff
        h *= 2
    return y


def recurrent_matrix(sign: np.ndarray, block: int) -> np.ndarray:
    """The real recurrent matrix ``W = diag(sign) (I ⊗ S_b) / sqrt(b)`` as float64."""
    sign = np.asarray(sign)
    if sign.ndim != 1 or not np.isin(sign, (-1, 1)).all():
        raise ConfigError("Sign vector must be one-dimensional with values ±1")
    hidden = sign.shape[0]
    return sign[:, None].astype(np.float64) * block_hadamard(hidden, block) / np.sqrt(block)


def is_orthogonal(w: np.ndarray, atol: float = 1e-12) -> bool:
    """True when ``W Wᵀ = I`` to within ``atol`` (float round-off of ``1/sqrt(b)`` only)."""
    w = np.asarray(w, dtype=np.float64)
    return w.ndim == 2 and w.shape[0] == w.shape[1] and np.allclose(w @ w.T, np.eye(len(w)), atol=atol, rtol=0)
