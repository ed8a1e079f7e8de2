"""IMDB sentiment (Maas et al. 2011) from the standard ``aclImdb/`` folder, or ``imdb.npz``.

Either the extracted archive::

    <data-dir>/aclImdb/train/pos/*.txt  aclImdb/train/neg/*.txt
    <data-dir>/aclImdb/test/pos/*.txt   aclImdb/test/neg/*.txt

tokenized by :mod:`train.data.text` with a vocabulary from the training reviews; or the
common ``<data-dir>/imdb.npz`` of token ids (``x_train``, ``y_train``, ``x_test``,
``y_test``; id 1 starts a review, 2 is out-of-vocabulary, words from 3 by frequency), whose
ids at or above ``vocab`` become 2. The paper's recipe keeps the last 500 tokens of a
vocabulary of 10,000. 10% of the training reviews (seeded) are the validation set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .common import DatasetMissingError, Split, TaskData, split_indices
from .text import Vocabulary, encode_fixed, tokenize

__all__ = ["load_imdb"]


def _read_folder(root: Path, part: str) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for label, sub in ((1, "pos"), (0, "neg")):
        folder = root / part / sub
        for f in sorted(folder.glob("*.txt")):
            texts.append(f.read_text(encoding="utf-8", errors="replace"))
            labels.append(label)
    return texts, labels


def _from_npz(path: Path, vocab: int, max_len: int):
    try:
        # the common imdb.npz stores ragged lists as object arrays: pickle is needed to read them
        with np.load(path, allow_pickle=True) as z:
            parts = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except (KeyError, ValueError, OSError) as e:
        raise DatasetMissingError(f"{path} is not an IMDB token archive (x_train, y_train, x_test, y_test): {e}") from None

    def enc(xs) -> torch.Tensor:
        seqs = [[int(t) if int(t) < vocab else 2 for t in s] for s in xs]
        return encode_fixed(seqs, max_len)

    return (enc(parts["x_train"]), torch.as_tensor(np.asarray(parts["y_train"], dtype=np.int64)),
            enc(parts["x_test"]), torch.as_tensor(np.asarray(parts["y_test"], dtype=np.int64)))


def load_imdb(data_dir: str | Path, vocab: int = 10_000, max_len: int = 500, seed: int = 0) -> TaskData:
    data_dir = Path(data_dir)
    folder = next((p for p in (data_dir / "aclImdb", data_dir) if (p / "train" / "pos").is_dir()), None)
    npz = next((p for p in (data_dir / "imdb.npz", data_dir / "imdb" / "imdb.npz") if p.is_file()), None)
    if folder is not None:
        tr_texts, tr_y = _read_folder(folder, "train")
        te_texts, te_y = _read_folder(folder, "test")
        if not tr_texts or not te_texts:
            raise DatasetMissingError(f"{folder} has no reviews under train/{{pos,neg}} or test/{{pos,neg}}")
        tr_tok = [tokenize(t) for t in tr_texts]
        voc = Vocabulary(tr_tok, vocab)
        x_tr = encode_fixed([voc.encode(t) for t in tr_tok], max_len)
        x_te = encode_fixed([voc.encode(tokenize(t)) for t in te_texts], max_len)
        y_tr, y_te = torch.tensor(tr_y), torch.tensor(te_y)
        source = str(folder)
    elif npz is not None:
        x_tr, y_tr, x_te, y_te = _from_npz(npz, vocab, max_len)
        source = str(npz)
    else:
        raise DatasetMissingError(
            f"IMDB not found: extract aclImdb_v1.tar.gz into {data_dir}/ (giving {data_dir}/aclImdb/train/pos/*.txt, "
            f"train/neg, test/pos, test/neg), or put the token archive imdb.npz in {data_dir}/"
        )
    tr, va = split_indices(len(x_tr), (0.9, 0.1), seed)
    return TaskData(
        name="imdb", train=Split(x_tr[tr], y_tr[tr]), val=Split(x_tr[va], y_tr[va]), test=Split(x_te, y_te),
        n_in=vocab, n_out=2, tokens=True, every_step=False, seq_len=max_len, info={"source": source},
    )
