"""Human Activity Recognition (UCI HAR, Anguita et al. 2013) from the standard folder.

Extract "UCI HAR Dataset.zip" into the data folder, giving::

    <data-dir>/UCI HAR Dataset/train/Inertial Signals/body_acc_x_train.txt … (9 files)
    <data-dir>/UCI HAR Dataset/train/y_train.txt
    <data-dir>/UCI HAR Dataset/test/Inertial Signals/body_acc_x_test.txt …
    <data-dir>/UCI HAR Dataset/test/y_test.txt

9 inertial channels × 128 steps, 6 classes. Each channel is standardized with the
training set's mean and deviation, then coded as 8-bit signed integers with ``s_x = 1/32``
(±4 deviations). ``har2`` is the 2-class variant used with FastGRNN: moving (walking,
upstairs, downstairs) against static (sitting, standing, lying) — our reading of that
benchmark; the 6-class labels are kept in ``info``. 10% of the training windows (seeded)
are the validation set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .common import DatasetMissingError, Split, TaskData, split_indices

__all__ = ["load_har", "HAR_CHANNELS", "HAR_FOLDER"]

HAR_FOLDER = "UCI HAR Dataset"
HAR_CHANNELS = (
    "body_acc_x", "body_acc_y", "body_acc_z",
    "body_gyro_x", "body_gyro_y", "body_gyro_z",
    "total_acc_x", "total_acc_y", "total_acc_z",
)
_S_X = 1 / 32
_BITS = 8


def _read_part(root: Path, part: str) -> tuple[np.ndarray, np.ndarray]:
    chans = []
    for ch in HAR_CHANNELS:
        p = root / part / "Inertial Signals" / f"{ch}_{part}.txt"
        if not p.is_file():
            raise DatasetMissingError(f"HAR file missing: {p}")
        chans.append(np.loadtxt(p, dtype=np.float64, ndmin=2))
    shapes = {c.shape for c in chans}
    if len(shapes) != 1:
        raise DatasetMissingError(f"HAR {part} channels have different shapes: {sorted(shapes)}")
    x = np.stack(chans, axis=-1)  # (N, 128, 9)
    yp = root / part / f"y_{part}.txt"
    if not yp.is_file():
        raise DatasetMissingError(f"HAR file missing: {yp}")
    y = np.loadtxt(yp, dtype=np.int64, ndmin=1).reshape(-1)
    if len(y) != len(x) or y.min() < 1 or y.max() > 6:
        raise DatasetMissingError(f"{yp}: {len(y)} labels in 1..6 expected for {len(x)} windows")
    return x, y - 1


def load_har(data_dir: str | Path, two_class: bool = False, seed: int = 0) -> TaskData:
    data_dir = Path(data_dir)
    root = next((p for p in (data_dir / HAR_FOLDER, data_dir / "har" / HAR_FOLDER, data_dir)
                 if (p / "train" / "Inertial Signals").is_dir()), None)
    if root is None:
        raise DatasetMissingError(
            f"HAR not found: extract 'UCI HAR Dataset.zip' into {data_dir}/ (giving "
            f"'{data_dir}/{HAR_FOLDER}/train/Inertial Signals/*.txt', train/y_train.txt and the same under test/)"
        )
    x_tr, y_tr = _read_part(root, "train")
    x_te, y_te = _read_part(root, "test")
    mean = x_tr.mean(axis=(0, 1))
    std = x_tr.std(axis=(0, 1)) + 1e-8
    lo, hi = -(1 << (_BITS - 1)), (1 << (_BITS - 1)) - 1

    def code(x: np.ndarray) -> torch.Tensor:
        q = np.floor((x - mean) / std / _S_X + 0.5)
        return torch.from_numpy(np.clip(q, lo, hi).astype(np.int8))

    if two_class:
        y_tr, y_te = (y_tr <= 2).astype(np.int64), (y_te <= 2).astype(np.int64)
    tr, va = split_indices(len(x_tr), (0.9, 0.1), seed)
    xt, yt = code(x_tr), torch.from_numpy(y_tr)
    return TaskData(
        name="har2" if two_class else "har", train=Split(xt[tr], yt[tr]), val=Split(xt[va], yt[va]),
        test=Split(code(x_te), torch.from_numpy(y_te)), n_in=len(HAR_CHANNELS), n_out=2 if two_class else 6,
        tokens=False, every_step=False, in_bits=_BITS, in_signed=True, s_x=_S_X, seq_len=x_tr.shape[1],
        info={"source": str(root), "classes": "moving/static" if two_class else "6 activities"},
    )
