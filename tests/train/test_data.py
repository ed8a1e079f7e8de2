"""Every loader on small files written here in the dataset's real layout; missing data errors."""

import gzip
import struct

import numpy as np
import pytest
import torch

from train.data.common import DatasetMissingError
from train.data.copy_task import copy_batch, load_copy
from train.data.digits import load_digits_task
from train.data.glue import load_glue
from train.data.har import HAR_CHANNELS, HAR_FOLDER, load_har
from train.data.imdb import load_imdb
from train.data.mnist import load_mnist, read_idx
from train.data.text import PAD, SEP, UNK, Vocabulary, encode_fixed, tokenize


# --- copy task --------------------------------------------------------------------------------
def test_copy_batch_layout():
    x, y = copy_batch(50, 30, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (50, 30)
    assert ((x[:, :10] >= 1) & (x[:, :10] <= 8)).all()
    assert (x[:, 20] == 9).all() and (x[:, 10:20] == 0).all() and (x[:, 21:] == 0).all()
    assert (y[:, :20] == 0).all() and torch.equal(y[:, 20:], x[:, :10])


def test_copy_task_baseline_and_fixed_eval_sets():
    t = load_copy(seq_len=100, n_train=1000, n_val=20, n_test=20, seed=3)
    assert t.baseline_loss == pytest.approx(10 * np.log(8) / 100)
    assert torch.equal(t.val.x, load_copy(seq_len=100, n_val=20, n_test=20, seed=3).val.x)
    a = t.train.draw(8, epoch=2, step=5)[0]
    assert torch.equal(a, t.train.draw(8, epoch=2, step=5)[0])
    assert not torch.equal(a, t.train.draw(8, epoch=2, step=6)[0])
    with pytest.raises(ValueError):
        copy_batch(1, 20, torch.Generator())


# --- digits -----------------------------------------------------------------------------------
def test_digits_sequential_and_permuted():
    s = load_digits_task()
    p = load_digits_task(permuted=True, permute_seed=1)
    assert s.train.x.shape[1:] == (64, 1) and s.n_out == 10 and s.s_x == 1 / 16
    assert len(s.train) + len(s.val) + len(s.test) == 1797
    assert int(s.train.x.max()) == 16
    assert torch.equal(s.train.y, p.train.y)
    assert torch.equal(s.train.x.sort(dim=1).values, p.train.x.sort(dim=1).values)
    assert not torch.equal(s.train.x, p.train.x)


# --- MNIST ------------------------------------------------------------------------------------
def _idx(arr: np.ndarray) -> bytes:
    return struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def _write_mnist(folder, n_train=30, n_test=7, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    parts = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, arr in parts.items():
        if gz:
            with gzip.open(folder / (name + ".gz"), "wb") as f:
                f.write(_idx(arr))
        else:
            (folder / name).write_bytes(_idx(arr))
    return parts


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_mnist_idx_files(tmp_path, gz):
    parts = _write_mnist(tmp_path / "mnist", gz=gz)
    t = load_mnist(tmp_path)
    assert t.train.x.shape == (24, 784, 1) and len(t.val) == 6 and len(t.test) == 7
    assert np.array_equal(t.train.x[0, :, 0].numpy(), parts["train-images-idx3-ubyte"][0].reshape(-1))
    assert np.array_equal(t.test.y.numpy(), parts["t10k-labels-idx1-ubyte"])
    p = load_mnist(tmp_path, permuted=True, permute_seed=5)
    perm = np.random.default_rng(5).permutation(784)
    assert np.array_equal(p.train.x[0, :, 0].numpy(), parts["train-images-idx3-ubyte"][0].reshape(-1)[perm])


def test_mnist_missing_and_corrupt(tmp_path):
    with pytest.raises(DatasetMissingError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)
    bad = tmp_path / "x-idx"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DatasetMissingError, match="bad magic"):
        read_idx(bad)


# --- text -------------------------------------------------------------------------------------
def test_tokenizer_vocabulary_and_padding():
    assert tokenize("Great movie!<br /><br />Didn't LIKE it.") == ["great", "movie", "!", "didn't", "like", "it", "."]
    voc = Vocabulary([["a", "b", "a"], ["c", "a", "b"]], vocab=5)
    assert voc.encode(["a", "b", "c", "zzz"]) == [3, 4, UNK, UNK]  # only 2 words fit beside 3 reserved ids
    x = encode_fixed([[5, 6, 7], [8]], 2)
    assert x.tolist() == [[6, 7], [PAD, 8]]


def _write_imdb(root):
    texts = {
        ("train", "pos"): ["A great, great film.", "Loved it<br />really"],
        ("train", "neg"): ["Awful film.", "boring and bad"],
        ("test", "pos"): ["great"],
        ("test", "neg"): ["bad film"],
    }
    for (part, lab), ts in texts.items():
        d = root / "aclImdb" / part / lab
        d.mkdir(parents=True)
        for i, t in enumerate(ts):
            (d / f"{i}_7.txt").write_text(t)


def test_imdb_folder(tmp_path):
    _write_imdb(tmp_path)
    t = load_imdb(tmp_path, vocab=8, max_len=6)
    assert t.tokens and t.n_in == 8 and t.seq_len == 6
    assert len(t.train) + len(t.val) == 4 and len(t.test) == 2
    assert t.test.x.shape == (2, 6) and int(t.test.x.max()) < 8
    assert t.test.y.tolist() == [1, 0]
    assert (t.test.x[1, :4] == PAD).all()  # "bad film": two tokens, left-padded


def test_imdb_npz(tmp_path):
    seqs = np.empty(3, dtype=object)
    seqs[:] = [[1, 14, 22, 16], [1, 9999, 5], [1, 3]]
    np.savez(tmp_path / "imdb.npz", x_train=seqs, y_train=np.array([1, 0, 1]), x_test=seqs[:2], y_test=np.array([0, 1]))
    t = load_imdb(tmp_path, vocab=20, max_len=3)
    assert t.test.x.tolist() == [[14, 2, 16], [1, 2, 5]]  # last 3 tokens; ids >= vocab become 2
    assert t.test.y.tolist() == [0, 1]


def test_imdb_missing(tmp_path):
    with pytest.raises(DatasetMissingError, match="aclImdb"):
        load_imdb(tmp_path)


def _write_glue(root):
    (root / "SST-2").mkdir()
    (root / "SST-2" / "train.tsv").write_text("sentence\tlabel\n" + "".join(
        f"{s}\t{lab}\n" for s, lab in [("a fine film", 1), ("dull ", 0), ("fine fine", 1), ("bad", 0)] * 5))
    (root / "SST-2" / "dev.tsv").write_text("sentence\tlabel\nfine\t1\nbad film\t0\n")
    (root / "QQP").mkdir()
    head = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
    rows = "".join(f"{i}\t1\t2\tHow do I cook?\tHow to cook?\t{i % 2}\n" for i in range(20))
    (root / "QQP" / "train.tsv").write_text(head + rows + "99\t1\t2\tbroken row\n")
    (root / "QQP" / "dev.tsv").write_text(head + "1\t3\t4\tWhy?\tWhy not?\t0\n")


def test_glue_sst2_and_qqp(tmp_path):
    _write_glue(tmp_path)
    s = load_glue("sst2", tmp_path, vocab=10, max_len=4)
    assert len(s.train) + len(s.val) == 20 and s.test.y.tolist() == [1, 0]
    assert s.test.x.shape == (2, 4)
    q = load_glue("qqp", tmp_path, vocab=30, max_len=12)
    assert len(q.train) + len(q.val) == 20  # the malformed row is skipped
    assert (q.test.x == SEP).sum() == 1
    with pytest.raises(DatasetMissingError, match="QQP/train.tsv"):
        load_glue("qqp", tmp_path / "nowhere")


# --- HAR --------------------------------------------------------------------------------------
def _write_har(root, n_train=12, n_test=5, T=128):
    rng = np.random.default_rng(1)
    for part, n in (("train", n_train), ("test", n_test)):
        d = root / HAR_FOLDER / part / "Inertial Signals"
        d.mkdir(parents=True)
        for ch in HAR_CHANNELS:
            np.savetxt(d / f"{ch}_{part}.txt", rng.normal(size=(n, T)), fmt="%.7e")
        np.savetxt(root / HAR_FOLDER / part / f"y_{part}.txt", rng.integers(1, 7, n), fmt="%d")


@pytest.mark.parametrize("two", [False, True], ids=["har", "har2"])
def test_har_folder(tmp_path, two):
    _write_har(tmp_path)
    t = load_har(tmp_path, two_class=two)
    assert t.train.x.shape[1:] == (128, 9) and t.train.x.dtype == torch.int8
    assert len(t.train) + len(t.val) == 12 and len(t.test) == 5
    assert t.n_out == (2 if two else 6) and int(t.test.y.max()) < t.n_out
    assert t.in_signed and t.in_bits == 8


def test_har_missing(tmp_path):
    with pytest.raises(DatasetMissingError, match="UCI HAR Dataset"):
        load_har(tmp_path)


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_mnist_dot_spelling(tmp_path, gz):
    parts = _write_mnist(tmp_path / "raw", gz=gz)
    for p in (tmp_path / "raw").iterdir():  # train-images-idx3-ubyte -> train-images.idx3-ubyte
        p.rename(tmp_path / p.name.replace("-idx", ".idx"))
    t = load_mnist(tmp_path)
    assert np.array_equal(t.test.y.numpy(), parts["t10k-labels-idx1-ubyte"])


def test_mnist_official_permutation(tmp_path):
    parts = _write_mnist(tmp_path, gz=False)
    p = load_mnist(tmp_path, permuted=True, permutation="official", permute_seed=3)
    perm = np.random.RandomState(92916).permutation(784)  # deel-ai-papers/hadamRNN's pMNIST
    assert np.array_equal(p.test.x[1, :, 0].numpy(), parts["t10k-images-idx3-ubyte"][1].reshape(-1)[perm])
    with pytest.raises(ValueError, match="permutation"):
        load_mnist(tmp_path, permuted=True, permutation="shuffled")
