"""SST-2 and QQP from the GLUE TSV files, with the built-in word-level tokenizer.

Put the GLUE task folders in the data folder::

    <data-dir>/SST-2/train.tsv  SST-2/dev.tsv     (columns: sentence, label; header line)
    <data-dir>/QQP/train.tsv    QQP/dev.tsv       (id, qid1, qid2, question1, question2, is_duplicate)

GLUE's test files carry no labels, so the public ``dev.tsv`` is the test set here and 5%
of ``train.tsv`` (seeded) is the validation set. A QQP pair is encoded as
``question1 [SEP] question2``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import torch

from .common import DatasetMissingError, Split, TaskData, split_indices
from .text import SEP, Vocabulary, encode_fixed, tokenize

__all__ = ["load_glue", "GLUE_TASKS"]

GLUE_TASKS = {
    # name: (folder, text columns, label column, default max_len)
    "sst2": ("SST-2", ("sentence",), "label", 64),
    "qqp": ("QQP", ("question1", "question2"), "is_duplicate", 100),
}


def _read_tsv(path: Path, text_cols: tuple[str, ...], label_col: str) -> tuple[list[list[list[str]]], list[int]]:
    csv.field_size_limit(min(sys.maxsize, (1 << 31) - 1))
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [c for c in (*text_cols, label_col) if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetMissingError(f"{path} has no column(s) {', '.join(missing)} (header: {reader.fieldnames})")
        for row in reader:
            lab = row.get(label_col)
            if lab is None or lab.strip() not in ("0", "1"):
                continue  # QQP has a few malformed rows
            texts.append([tokenize(row[c] or "") for c in text_cols])
            labels.append(int(lab))
    return texts, labels


def load_glue(task: str, data_dir: str | Path, vocab: int = 10_000, max_len: int = 0, seed: int = 0) -> TaskData:
    if task not in GLUE_TASKS:
        raise DatasetMissingError(f"unknown GLUE task {task!r} (known: {', '.join(GLUE_TASKS)})")
    folder_name, cols, label_col, default_len = GLUE_TASKS[task]
    max_len = max_len or default_len
    data_dir = Path(data_dir)
    folder = next((p for p in (data_dir / folder_name, data_dir / "glue" / folder_name) if (p / "train.tsv").is_file()), None)
    if folder is None or not (folder / "dev.tsv").is_file():
        raise DatasetMissingError(
            f"{folder_name} not found: put GLUE's {folder_name}/train.tsv and {folder_name}/dev.tsv in {data_dir}/"
        )
    tr_texts, tr_y = _read_tsv(folder / "train.tsv", cols, label_col)
    te_texts, te_y = _read_tsv(folder / "dev.tsv", cols, label_col)
    if not tr_texts or not te_texts:
        raise DatasetMissingError(f"{folder} has no labelled rows in train.tsv or dev.tsv")
    voc = Vocabulary([w for parts in tr_texts for w in parts], vocab)

    def enc(texts):
        seqs = []
        for parts in texts:
            ids: list[int] = []
            for k, p in enumerate(parts):
                if k:
                    ids.append(SEP)
                ids.extend(voc.encode(p))
            seqs.append(ids)
        return encode_fixed(seqs, max_len)

    x_tr, y_tr = enc(tr_texts), torch.tensor(tr_y)
    x_te, y_te = enc(te_texts), torch.tensor(te_y)
    tr, va = split_indices(len(x_tr), (0.95, 0.05), seed)
    return TaskData(
        name=task, train=Split(x_tr[tr], y_tr[tr]), val=Split(x_tr[va], y_tr[va]), test=Split(x_te, y_te),
        n_in=vocab, n_out=2, tokens=True, every_step=False, seq_len=max_len, info={"source": str(folder)},
    )
