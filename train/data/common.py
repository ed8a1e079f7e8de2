"""Shared data structures of the task loaders."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from hadam_hw.errors import HadamHWError

__all__ = ["DatasetMissingError", "Split", "GeneratedSplit", "TaskData", "split_indices", "find_file"]


class DatasetMissingError(HadamHWError):
    """A dataset's files are not where the loader looks; the message says what to put where."""


@dataclass
class Split:
    """An in-memory split: ``x`` integer codes ``(N, T, n_in)`` (dense) or token ids ``(N, T)``,
    ``y`` labels ``(N,)`` (last step) or ``(N, T)`` (every step)."""

    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} samples but y has {len(self.y)}")

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[index], self.y[index]

    def batches(self, batch_size: int, order: torch.Tensor | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self)
        order = torch.arange(n) if order is None else order
        for i in range(0, n, batch_size):
            yield self.batch(order[i : i + batch_size])

    def subset(self, n: int) -> Split:
        return Split(self.x[:n], self.y[:n])


@dataclass
class GeneratedSplit:
    """A synthetic training split drawn afresh for every batch from ``(seed, epoch, step)``,
    so that a resumed run sees exactly the batches an uninterrupted one would."""

    n: int
    make: Callable[[int, torch.Generator], tuple[torch.Tensor, torch.Tensor]]
    seed: int

    def __len__(self) -> int:
        return self.n

    def draw(self, batch_size: int, epoch: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        state = np.random.SeedSequence([self.seed, epoch, step]).generate_state(2, dtype=np.uint32)
        g = torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))
        return self.make(batch_size, g)


@dataclass
class TaskData:
    """One task's splits and the facts the network is built from."""

    name: str
    train: Split | GeneratedSplit
    val: Split
    test: Split
    n_in: int  # features per step (dense) or vocabulary size (tokens)
    n_out: int
    tokens: bool  # token ids (onehot/embedding) instead of dense vectors
    every_step: bool
    in_bits: int = 8
    in_signed: bool = False
    s_x: float = 1.0
    seq_len: int = 0
    recall: int = 0  # copy task: the number of recalled symbols at the end (accuracy is on those)
    baseline_loss: float | None = None  # copy task: the memoryless cross-entropy
    info: dict = field(default_factory=dict)

    def model_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the float model is fed: token ids as they are, dense codes times ``s_x``."""
        return x if self.tokens else x.to(torch.float32) * self.s_x

    def steps_per_epoch(self, batch_size: int) -> int:
        return max(1, math.ceil(len(self.train) / batch_size))


def split_indices(n: int, fractions: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """A seeded random partition of ``range(n)`` into parts of the given fractions (the last
    part takes the rest)."""
    perm = np.random.default_rng(seed).permutation(n)
    out, start = [], 0
    for f in fractions[:-1]:
        k = int(round(f * n))
        out.append(np.sort(perm[start : start + k]))
        start += k
    out.append(np.sort(perm[start:]))
    return out


def find_file(root: Path, names: list[str]) -> Path | None:
    """The first of ``names`` (relative to ``root``) that exists."""
    for name in names:
        p = root / name
        if p.is_file():
            return p
    return None
