"""Sequential and permuted MNIST from the standard IDX files (``.gz`` or not).

Put in the data folder (``--data-dir``, default ``data/``), directly or under ``mnist/``
(``hadam-hw data fetch mnist`` does it)::

    train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
    t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]

The other common spelling (``train-images.idx3-ubyte``, with a dot) is accepted too.

784 steps of one pixel (8-bit unsigned codes, ``s_x = 1/255``), row by row or in a fixed
permutation (``permute_seed``). The last 5,000 training images are the validation set.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import torch

from .common import DatasetMissingError, Split, TaskData

__all__ = ["read_idx", "load_mnist", "locate_mnist", "mnist_permutation", "MNIST_FILES", "OFFICIAL_PERMUTATION_SEED"]

MNIST_FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}
OFFICIAL_PERMUTATION_SEED = 92916  # deel-ai-papers/hadamRNN, src/dataset_tools/permuted_mnist.py
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (``.gz`` or raw); refuses a malformed one naming the file."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DatasetMissingError(f"{path} is not an IDX file (bad magic number)")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    count = int(np.prod(dims)) if dims else 1
    body = data[4 + 4 * ndim :]
    if len(body) != count * dtype.itemsize:
        raise DatasetMissingError(f"{path} is truncated: {len(body)} bytes of data for shape {dims}")
    return np.frombuffer(body, dtype=dtype).reshape(dims).copy()


def locate_mnist(data_dir: str | Path, stem: str) -> Path | None:
    """Where the file ``stem`` (e.g. ``train-images-idx3-ubyte``) is: in ``data_dir``,
    ``data_dir/mnist`` or ``data_dir/MNIST/raw``, either spelling, gzipped or not."""
    data_dir = Path(data_dir)
    spellings = (stem, stem.replace("-idx", ".idx"))
    for folder in (data_dir, data_dir / "mnist", data_dir / "MNIST" / "raw"):
        for base in spellings:
            for name in (base, base + ".gz"):
                if (folder / name).is_file():
                    return folder / name
    return None


def mnist_permutation(permutation: str = "seeded", permute_seed: int = 0) -> np.ndarray:
    """The pixel order of permuted MNIST: ``seeded`` (numpy ``default_rng(permute_seed)``) or
    ``official`` (the authors' ``np.random.RandomState(92916)``; ``permute_seed`` ignored)."""
    if permutation == "official":
        return np.random.RandomState(OFFICIAL_PERMUTATION_SEED).permutation(28 * 28)
    if permutation != "seeded":
        raise ValueError(f"permutation must be seeded or official, not {permutation!r}")
    return np.random.default_rng(permute_seed).permutation(28 * 28)


def load_mnist(data_dir: str | Path, permuted: bool = False, permute_seed: int = 0, n_val: int = 5000,
               permutation: str = "seeded") -> TaskData:
    data_dir = Path(data_dir)
    paths = {k: locate_mnist(data_dir, v) for k, v in MNIST_FILES.items()}
    missing = [MNIST_FILES[k] for k, p in paths.items() if p is None]
    if missing:
        raise DatasetMissingError(
            f"MNIST not found: put {', '.join(f + '[.gz]' for f in MNIST_FILES.values())} "
            f"in {data_dir}/ or {data_dir}/mnist/ (missing: {', '.join(missing)}; "
            f"`hadam-hw data fetch mnist --data-dir {data_dir}` obtains them)"
        )
    arr = {k: read_idx(p) for k, p in paths.items()}
    for part in ("train", "test"):
        xs, ys = arr[f"{part}_x"], arr[f"{part}_y"]
        if xs.ndim != 3 or ys.ndim != 1 or len(xs) != len(ys):
            raise DatasetMissingError(f"MNIST {part} files disagree: images {xs.shape}, labels {ys.shape}")
    perm = mnist_permutation(permutation, permute_seed) if permuted else None

    def seq(images: np.ndarray) -> torch.Tensor:
        flat = images.reshape(len(images), -1)
        if perm is not None:
            flat = flat[:, perm]
        return torch.from_numpy(np.ascontiguousarray(flat)).to(torch.uint8).unsqueeze(-1)

    x_tr, y_tr = seq(arr["train_x"]), torch.from_numpy(arr["train_y"].astype(np.int64))
    x_te, y_te = seq(arr["test_x"]), torch.from_numpy(arr["test_y"].astype(np.int64))
    n_val = min(n_val, len(x_tr) // 5)
    cut = len(x_tr) - n_val
    return TaskData(
        name="pmnist" if permuted else "smnist",
        train=Split(x_tr[:cut], y_tr[:cut]), val=Split(x_tr[cut:], y_tr[cut:]), test=Split(x_te, y_te),
        n_in=1, n_out=10, tokens=False, every_step=False, in_bits=8, in_signed=False, s_x=1 / 255,
        seq_len=x_tr.shape[1],
        info={"permutation": permutation if permuted else None, "permute_seed": permute_seed if permuted else None},
    )
