"""The block Hadamard transform ``(I_{d/b} ⊗ S_b) x`` in torch: a fast path and a dense one.

The fast path is the Walsh–Hadamard butterfly (``log2 b`` add/subtract stages, O(d log b)
per vector); the dense path is one batched matrix product with ``S_b`` (O(d b), but a
single BLAS call). For the small blocks of this project the dense product usually wins on
a CPU; :func:`hadamard_transform` picks by size (``FWHT_MIN_BLOCK``). Both are exact for
integer tensors, which the integer mode relies on.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from hadam_hw.hadamard import check_hidden_block, sylvester

__all__ = ["fwht", "dense_hadamard", "hadamard_transform", "sylvester_tensor", "FWHT_MIN_BLOCK"]

# Blocks at least this large use the butterfly for floats (measured on a 2-core CPU:
# below it one BLAS call beats the log2(b) Python-level stages).
FWHT_MIN_BLOCK = 512


@lru_cache(maxsize=32)
def _sylvester_cached(block: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(sylvester(block).astype("int64")).to(dtype)


def sylvester_tensor(block: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``S_b`` as a ``b × b`` tensor (symmetric, entries ±1)."""
    return _sylvester_cached(block, dtype)


def fwht(x: torch.Tensor, block: int) -> torch.Tensor:
    """``(I ⊗ S_block) x`` over the last axis with ``log2(block)`` butterfly stages."""
    d = x.shape[-1]
    check_hidden_block(d, block)
    batch = x.shape[:-1]
    y = x.reshape(*batch, d // block, block)
    h = 1
    while h < block:
        y = y.reshape(*batch, d // block, block // (2 * h), 2, h)
        a, c = y.select(-2, 0), y.select(-2, 1)
        y = torch.stack((a + c, a - c), dim=-2)
        h *= 2
    return y.reshape(*batch, d)


def dense_hadamard(x: torch.Tensor, block: int) -> torch.Tensor:
    """``(I ⊗ S_block) x`` over the last axis as one (batched) matrix product."""
    d = x.shape[-1]
    check_hidden_block(d, block)
    S = sylvester_tensor(block, x.dtype)
    if block == d:
        return x @ S  # S is symmetric: x S = (S x^T)^T
    batch = x.shape[:-1]
    return (x.reshape(*batch, d // block, block) @ S).reshape(*batch, d)


def hadamard_transform(x: torch.Tensor, block: int, method: str = "auto") -> torch.Tensor:
    """``(I ⊗ S_block) x``; ``method`` is ``"fwht"``, ``"dense"`` or ``"auto"`` (by size).

    Integer tensors always take the butterfly (BLAS has no exact int64 product path that
    is faster, and the butterfly's ``log2 b`` growth is what :mod:`hadam_hw.widths` proves).
    """
    if method == "auto":
        method = "fwht" if (block >= FWHT_MIN_BLOCK or not x.is_floating_point()) else "dense"
    if method == "fwht":
        return fwht(x, block)
    if method == "dense":
        return dense_hadamard(x, block)
    raise ValueError(f"method must be 'auto', 'fwht' or 'dense', not {method!r}")
