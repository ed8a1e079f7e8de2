"""The copy task (Hochreiter & Schmidhuber; Arjovsky et al.), in the HadamRNN paper's layout.

``T`` steps in all: ``K = 10`` symbols drawn from 1–8, blanks (0), the marker 9 at step
``T − K``, then blanks; the target is blank everywhere except the last ``K`` steps, which
recall the symbols in order. A memoryless model that outputs blanks and then guesses
uniformly reaches the cross-entropy ``K·ln 8 / T`` (the baseline); accuracy is measured on
the recalled symbols only.
"""

from __future__ import annotations

import math

import torch

from .common import GeneratedSplit, Split, TaskData

__all__ = ["copy_batch", "load_copy", "COPY_SYMBOLS", "COPY_RECALL"]

COPY_SYMBOLS = 8  # symbols 1..8; 0 is the blank, 9 the marker
COPY_RECALL = 10


def copy_batch(n: int, T: int, g: torch.Generator, recall: int = COPY_RECALL) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences: inputs ``(n, T)`` token ids and targets ``(n, T)`` classes 0–8."""
    if T < 2 * recall + 1:
        raise ValueError(f"the copy task needs at least {2 * recall + 1} steps, not {T}")
    sym = torch.randint(1, COPY_SYMBOLS + 1, (n, recall), generator=g)
    x = torch.zeros(n, T, dtype=torch.int64)
    x[:, :recall] = sym
    x[:, T - recall] = COPY_SYMBOLS + 1
    y = torch.zeros(n, T, dtype=torch.int64)
    y[:, T - recall :] = sym
    return x, y


def load_copy(seq_len: int = 1000, n_train: int = 512_000, n_val: int = 2000, n_test: int = 2000,
              seed: int = 0) -> TaskData:
    """The copy task over ``seq_len`` steps; training batches are drawn afresh, validation
    and test sets are fixed (seeded apart from the training stream)."""
    def make(n: int, g: torch.Generator):
        return copy_batch(n, seq_len, g)

    val = Split(*copy_batch(n_val, seq_len, torch.Generator().manual_seed(1_000_003 + seed)))
    test = Split(*copy_batch(n_test, seq_len, torch.Generator().manual_seed(2_000_003 + seed)))
    return TaskData(
        name="copy", train=GeneratedSplit(n_train, make, seed), val=val, test=test,
        n_in=COPY_SYMBOLS + 2, n_out=COPY_SYMBOLS + 1, tokens=True, every_step=True,
        seq_len=seq_len, recall=COPY_RECALL, baseline_loss=COPY_RECALL * math.log(COPY_SYMBOLS) / seq_len,
    )
