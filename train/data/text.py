"""A small built-in word-level tokenizer and a capped vocabulary (for IMDB, SST-2, QQP).

Lower-case, HTML line breaks removed, words and single punctuation marks as tokens.
Ids: 0 padding, 1 unknown, 2 separator (sentence pairs), then words by decreasing
frequency in the training texts (ties alphabetical), up to ``vocab`` ids in all.
Sequences keep their **last** ``max_len`` tokens and are left-padded with 0, so the
read-out at the last step always follows the text's end.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import torch

__all__ = ["tokenize", "Vocabulary", "PAD", "UNK", "SEP", "encode_fixed"]

PAD, UNK, SEP = 0, 1, 2
_RESERVED = 3
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(_BR.sub(" ", text).lower())


class Vocabulary:
    """Word → id for the ``vocab − 3`` most frequent training words."""

    def __init__(self, texts: Iterable[list[str]], vocab: int) -> None:
        if vocab < _RESERVED + 1:
            raise ValueError(f"vocabulary must hold at least {_RESERVED + 1} ids, not {vocab}")
        counts = Counter(w for t in texts for w in t)
        words = sorted(counts, key=lambda w: (-counts[w], w))[: vocab - _RESERVED]
        self.ids = {w: i + _RESERVED for i, w in enumerate(words)}
        self.size = vocab

    def encode(self, tokens: list[str]) -> list[int]:
        return [self.ids.get(w, UNK) for w in tokens]


def encode_fixed(seqs: list[list[int]], max_len: int) -> torch.Tensor:
    """Keep the last ``max_len`` ids of each sequence, left-pad with :data:`PAD`."""
    out = torch.zeros(len(seqs), max_len, dtype=torch.int64)
    for i, s in enumerate(seqs):
        s = s[-max_len:]
        if s:
            out[i, max_len - len(s) :] = torch.tensor(s, dtype=torch.int64)
    return out
