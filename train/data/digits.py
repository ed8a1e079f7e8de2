"""Sequential and permuted digits: scikit-learn's bundled 8×8 digits, one pixel per step.

``sklearn.datasets.load_digits`` ships with scikit-learn (no download): 1,797 images of
8×8 pixels with values 0–16. Read as 64 steps of one pixel (row by row), or in a fixed
random order (permuted). Pixels are 5-bit unsigned codes, ``s_x = 1/16``. The split is a
seeded, fixed partition: 70% training, 10% validation, 20% test.
"""

from __future__ import annotations

import numpy as np
import torch

from .common import Split, TaskData, split_indices

__all__ = ["load_digits_task"]


def load_digits_task(permuted: bool = False, permute_seed: int = 0, split_seed: int = 0) -> TaskData:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.images.reshape(len(d.images), 64).astype(np.int64)  # values 0..16
    y = d.target.astype(np.int64)
    if permuted:
        x = x[:, np.random.default_rng(permute_seed).permutation(64)]
    tr, va, te = split_indices(len(x), (0.7, 0.1, 0.2), split_seed)
    xt = torch.from_numpy(x).to(torch.uint8).unsqueeze(-1)  # (N, 64, 1)
    yt = torch.from_numpy(y)
    name = "pdigits" if permuted else "sdigits"
    return TaskData(
        name=name, train=Split(xt[tr], yt[tr]), val=Split(xt[va], yt[va]), test=Split(xt[te], yt[te]),
        n_in=1, n_out=10, tokens=False, every_step=False, in_bits=5, in_signed=False, s_x=1 / 16,
        seq_len=64, info={"permute_seed": permute_seed if permuted else None},
    )
