"""The task registry: a task name and a :class:`TrainConfig` → the task's data.

=========  =====================================================  ==========  =========
task       data                                                   inputs      read-out
=========  =====================================================  ==========  =========
copy       generated (10 symbols, marker, recall at the end)      tokens 10   every step
sdigits    scikit-learn's 8×8 digits, 64 pixels in order          dense 1     last step
pdigits    the same, pixels in a fixed permutation                dense 1     last step
smnist     MNIST IDX files, 784 pixels in order                   dense 1     last step
pmnist     the same, permuted                                     dense 1     last step
imdb       aclImdb/ folder or imdb.npz, last 500 tokens           tokens      last step
sst2, qqp  GLUE TSV files                                         tokens      last step
har, har2  "UCI HAR Dataset" folder, 9 channels × 128 steps       dense 9     last step
=========  =====================================================  ==========  =========
"""

from __future__ import annotations

from hadam_hw.errors import ConfigError

from .config import TASKS, TrainConfig
from .data.common import TaskData

__all__ = ["TASKS", "load_task"]


def load_task(cfg: TrainConfig) -> TaskData:
    """Load (or generate) the data of ``cfg.task``; a missing dataset raises one clear error."""
    t = cfg.task
    if t == "copy":
        from .data.copy_task import load_copy

        return load_copy(seq_len=cfg.seq_len or 1000, n_train=cfg.n_train or 512_000,
                         n_val=cfg.n_val or 2000, n_test=cfg.n_test or 2000, seed=cfg.seed)
    if t in ("sdigits", "pdigits"):
        from .data.digits import load_digits_task

        return load_digits_task(permuted=t == "pdigits", permute_seed=cfg.permute_seed)
    if t in ("smnist", "pmnist"):
        from .data.mnist import load_mnist

        return load_mnist(cfg.data_dir, permuted=t == "pmnist", permute_seed=cfg.permute_seed,
                          permutation=cfg.permutation.value)
    if t == "imdb":
        from .data.imdb import load_imdb

        return load_imdb(cfg.data_dir, vocab=cfg.vocab, max_len=cfg.seq_len or 500)
    if t in ("sst2", "qqp"):
        from .data.glue import load_glue

        return load_glue(t, cfg.data_dir, vocab=cfg.vocab, max_len=cfg.seq_len)
    if t in ("har", "har2"):
        from .data.har import load_har

        return load_har(cfg.data_dir, two_class=t == "har2")
    raise ConfigError(f"unknown task {t!r}; known tasks: {', '.join(TASKS)}", field="task")
