"""Idle and back-pressure inserters: seeded per-cycle pause patterns (cocotbext-axi style).

A pattern is an iterator of booleans, one per cycle, ``True`` meaning "pause this cycle"
(the source offers nothing new / the sink holds ready low). Pauses come in bursts from a
two-state Markov chain, so a design sees both single-cycle bubbles and long stalls.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

__all__ = ["never", "bursty_pauses"]


def never() -> Iterator[bool]:
    """Full throughput: never pause."""
    return itertools.repeat(False)


def bursty_pauses(probability: float, seed: int, mean_burst: float = 3.0, chunk: int = 4096) -> Iterator[bool]:
    """Pause with long-run frequency ``probability``, in bursts of mean length ``mean_burst``.

    Deterministic for a given seed. ``probability`` 0 is :func:`never`; 1 pauses forever.
    """
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"pause probability must be within [0, 1], not {probability}")
    if probability == 0.0:
        return never()
    if probability == 1.0:
        return itertools.repeat(True)
    # leave a pause with probability 1/mean_burst; enter one at the rate that gives `probability`
    # (high probabilities need longer bursts: entering cannot be more likely than certain)
    leave = min(1.0 / max(mean_burst, 1.0), (1.0 - probability) / probability)
    enter = min(1.0, probability * leave / (1.0 - probability))
    rng = np.random.default_rng(seed)

    def gen() -> Iterator[bool]:
        paused = False
        while True:
            u = rng.random(chunk)
            for v in u.tolist():
                paused = (v >= leave) if paused else (v < enter)
                yield paused

    return gen()
