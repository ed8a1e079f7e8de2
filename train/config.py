"""Frozen, validated configurations of the training side.

- :class:`NetConfig` — one network: sizes, input kind, number formats (what the layers need).
- :class:`TrainConfig` — one training run: the task, the network sizes and formats, the
  optimization and the schedule. Its fields are the ``hadam-hw train`` flags one for one.

Both have a short ``tag`` and a JSON round trip (unknown keys are refused, naming them).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path

from hadam_hw.config import MAX_STATE_BITS, MAX_WEIGHT_BITS, JsonConfig, check_int, parse_enum
from hadam_hw.errors import ConfigError
from hadam_hw.hadamard import is_power_of_two

__all__ = ["NetConfig", "TrainConfig", "QuantMode", "ScanMode", "InputKind", "WeightGrid", "Rounding", "Permutation",
           "INITS", "TASKS"]

# the task names (see train.tasks for what each one is)
TASKS = ("copy", "sdigits", "pdigits", "smnist", "pmnist", "imdb", "sst2", "qqp", "har", "har2")


class InputKind(str, enum.Enum):
    DENSE = "dense"  # n_in real values per step
    ONEHOT = "onehot"  # a token id per step; U x_t = U[:, token]
    EMBEDDING = "embedding"  # a token id through an embedding E, then U: exported as the table U Eᵀ


class WeightGrid(str, enum.Enum):
    """The p-bit code range of ``U`` and ``V`` (both inside the hrnn-int/1 p-bit contract)."""

    NARROW = "narrow"  # ±(2^(p-1)-1), scale = max|w| / (2^(p-1)-1): symmetric, max|w| is a code
    FULL = "full"  # [-2^(p-1), 2^(p-1)-1], scale = max|w| / 2^(p-1): the official code's grid


class Rounding(str, enum.Enum):
    """How a weight is rounded to its code."""

    HALF_UP = "half_up"  # floor(x + 1/2), the same rounding as the state's
    HALF_EVEN = "half_even"  # torch.round: the official code's


class Permutation(str, enum.Enum):
    """The pixel order of permuted MNIST."""

    SEEDED = "seeded"  # numpy default_rng(permute_seed).permutation(784)
    OFFICIAL = "official"  # the authors' permutation: numpy RandomState(92916).permutation(784)


# initialisations: Xavier-uniform U and latent (ours: "default"), the official code's Xavier
# U, V and latent ("official"), the copy task's analytic start (binary code; "copy-levels":
# its first, amplitude-coded version)
INITS = ("default", "official", "copy", "copy-levels")


class QuantMode(str, enum.Enum):
    """How much of the model is quantized in a forward pass."""

    FLOAT = "float"  # nothing: the float model of the paper
    WEIGHTS = "weights"  # U, V (and dense inputs) fake-quantized; the state stays real (parallel scan)
    FULL = "full"  # also the state, step by step: exactly the integer model (with STE gradients)


class ScanMode(str, enum.Enum):
    """How the float recurrence runs over a sequence (all give the same values)."""

    PARALLEL = "parallel"  # the whole sequence at once (Schur rotation form, cumulative sums)
    FUSED = "fused"  # one matrix product per step, the whole loop one autograd node
    SEQUENTIAL = "sequential"  # one step at a time, plain autograd


def _float(v, name: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{name} must be a number, not {v!r}", field=name)
    v = float(v)
    if v != v or (lo is not None and (v <= lo if lo_open else v < lo)) or (hi is not None and v > hi):
        rng = f"{'(' if lo_open else '['}{lo}, {hi if hi is not None else '∞'}]"
        raise ConfigError(f"{name} must be in {rng}, not {v}", field=name)
    return v


def _bool(v, name: str) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{name} must be true or false, not {v!r}", field=name)
    return v


class _Json(JsonConfig):
    json_indent = 2  # run folders keep a readable config.json


def _check_sizes(hidden: int, block: int) -> None:
    check_int(hidden, "hidden", 1)
    if not is_power_of_two(hidden):
        raise ConfigError(f"hidden must be a power of two, not {hidden}", field="hidden")
    check_int(block, "block", 1)
    if not is_power_of_two(block) or block > hidden:
        raise ConfigError(f"Block size must be a power of two dividing the hidden size {hidden}, not {block}",
                          field="block")


@dataclass(frozen=True)
class NetConfig(_Json):
    """One HadamRNN: sizes, input kind and number formats.

    ``s_x`` is the dense input scale (``x ≈ s_x · x_int``); token inputs ignore it.
    ``frac_bits`` is the smallest ``F`` the exporter may use (it raises ``F`` when ``B``
    would lose precision). ``pow2`` makes every scale a power of two.
    """

    hidden: int
    block: int
    n_in: int
    n_out: int
    input_kind: InputKind = InputKind.DENSE
    embed_dim: int = 0
    in_bits: int = 8
    in_signed: bool = True
    s_x: float = 1.0 / 128
    weight_bits: int = 4
    state_bits: int = 12
    frac_bits: int = 12
    pow2: bool = False
    every_step: bool = False
    weight_grid: WeightGrid = WeightGrid.NARROW
    weight_rounding: Rounding = Rounding.HALF_UP

    def __post_init__(self) -> None:
        _check_sizes(self.hidden, self.block)
        check_int(self.n_in, "n_in", 1)
        check_int(self.n_out, "n_out", 1)
        object.__setattr__(self, "input_kind", parse_enum(InputKind, self.input_kind, "input_kind"))
        check_int(self.embed_dim, "embed_dim", 0)
        if self.input_kind is InputKind.EMBEDDING and self.embed_dim < 1:
            raise ConfigError("embedding inputs need embed_dim of at least 1", field="embed_dim")
        check_int(self.in_bits, "in_bits", 1, 16)
        _bool(self.in_signed, "in_signed")
        if self.input_kind is InputKind.DENSE and self.in_signed and self.in_bits < 2:
            raise ConfigError("in_bits must be at least 2 for signed inputs", field="in_bits")
        _float(self.s_x, "s_x", 0.0, lo_open=True)
        check_int(self.weight_bits, "weight_bits", 2, min(8, MAX_WEIGHT_BITS))
        check_int(self.state_bits, "state_bits", 2, min(24, MAX_STATE_BITS))
        check_int(self.frac_bits, "frac_bits", 0, 40)
        _bool(self.pow2, "pow2")
        _bool(self.every_step, "every_step")
        object.__setattr__(self, "weight_grid", parse_enum(WeightGrid, self.weight_grid, "weight_grid"))
        object.__setattr__(self, "weight_rounding", parse_enum(Rounding, self.weight_rounding, "weight_rounding"))

    @property
    def tag(self) -> str:
        kind = {"dense": "x", "onehot": "oh", "embedding": "emb"}[self.input_kind.value]
        return (f"d{self.hidden}b{self.block}-{kind}{self.n_in}o{self.n_out}-w{self.weight_bits}"
                f"s{self.state_bits}{'-p2' if self.pow2 else ''}-{'all' if self.every_step else 'last'}")


@dataclass(frozen=True)
class TrainConfig(_Json):
    """One training run. ``0`` means "the task's default" for ``seq_len`` and ``n_train``.

    Schedule: ``float_epochs`` of float training (parallel scan, weights quantized when
    ``qat_weights``), then calibration of the state scale, then ``qat_epochs`` of exact
    quantization-aware fine-tuning (step by step). The model that is exported and whose
    integer accuracy is reported is the best on the validation set.
    """

    task: str = "copy"
    data_dir: str = "data"
    seq_len: int = 0
    n_train: int = 0
    n_val: int = 0
    n_test: int = 0
    vocab: int = 10000
    permute_seed: int = 0
    permutation: Permutation = Permutation.SEEDED
    hidden: int = 64
    block: int = 0  # 0: block = hidden (HadamRNN)
    embed_dim: int = 0
    in_bits: int = 0  # 0: the task's default
    weight_bits: int = 4
    state_bits: int = 14
    frac_bits: int = 12
    pow2: bool = False
    weight_grid: WeightGrid = WeightGrid.NARROW
    weight_rounding: Rounding = Rounding.HALF_UP
    batch_size: int = 128
    lr: float = 1e-3
    sign_lr: float = 1.0  # the latent sign vector's learning rate, as a factor of lr (0 freezes W)
    sign_clamp: bool = True  # keep the latent vector in [-1, 1] after each step (official: no clamp)
    recurrent_bias: bool = True  # False: the bias of h is fixed at 0 (long sequences: no drift T·bias)
    qat_lr: float = 0.0  # 0: lr / 10
    lr_gamma: float = 0.99
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    float_epochs: int = 10
    qat_epochs: int = 1
    qat_weights: bool = True
    scan: ScanMode = ScanMode.PARALLEL
    state_margin: float = 1.25
    init: str = "default"
    steps_per_epoch: int = 0  # 0: one pass over the training set
    qat_steps: int = 0  # batches per QAT epoch (0: as steps_per_epoch)
    eval_batches: int = 0  # 0: the whole validation/test set
    seed: int = 0
    threads: int = 2
    out_dir: str = "runs"
    run_name: str = ""
    progress: bool = True

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"unknown task {self.task!r}; known tasks: {', '.join(TASKS)}", field="task")
        if not isinstance(self.data_dir, str):
            raise ConfigError("data_dir must be a path", field="data_dir")
        for k in ("seq_len", "n_train", "n_val", "n_test", "permute_seed", "embed_dim", "in_bits",
                  "steps_per_epoch", "qat_steps", "eval_batches", "float_epochs", "qat_epochs", "seed"):
            check_int(getattr(self, k), k, 0)
        check_int(self.vocab, "vocab", 2)
        check_int(self.hidden, "hidden", 1)
        check_int(self.block, "block", 0)
        _check_sizes(self.hidden, self.block or self.hidden)
        check_int(self.weight_bits, "weight_bits", 2, 8)
        check_int(self.state_bits, "state_bits", 2, 24)
        check_int(self.frac_bits, "frac_bits", 0, 40)
        _bool(self.pow2, "pow2")
        object.__setattr__(self, "weight_grid", parse_enum(WeightGrid, self.weight_grid, "weight_grid"))
        object.__setattr__(self, "weight_rounding", parse_enum(Rounding, self.weight_rounding, "weight_rounding"))
        object.__setattr__(self, "permutation", parse_enum(Permutation, self.permutation, "permutation"))
        _bool(self.sign_clamp, "sign_clamp")
        _bool(self.recurrent_bias, "recurrent_bias")
        check_int(self.batch_size, "batch_size", 1)
        _float(self.lr, "lr", 0.0, lo_open=True)
        _float(self.qat_lr, "qat_lr", 0.0)
        _float(self.sign_lr, "sign_lr", 0.0)
        _float(self.lr_gamma, "lr_gamma", 0.0, 1.0, lo_open=True)
        _float(self.weight_decay, "weight_decay", 0.0)
        _float(self.grad_clip, "grad_clip", 0.0)
        if self.float_epochs + self.qat_epochs < 1:
            raise ConfigError("float_epochs + qat_epochs must be at least 1", field="float_epochs")
        _bool(self.qat_weights, "qat_weights")
        object.__setattr__(self, "scan", parse_enum(ScanMode, self.scan, "scan"))
        _float(self.state_margin, "state_margin", 1.0)
        if self.init not in INITS:
            raise ConfigError(f"init must be one of {', '.join(INITS)}, not {self.init!r}", field="init")
        check_int(self.threads, "threads", 1, 64)
        for k in ("out_dir", "run_name"):
            if not isinstance(getattr(self, k), str):
                raise ConfigError(f"{k} must be a string", field=k)
        _bool(self.progress, "progress")

    @property
    def block_size(self) -> int:
        return self.block or self.hidden

    @property
    def tag(self) -> str:
        t = f"{self.task}-d{self.hidden}b{self.block_size}"
        if self.seq_len:
            t += f"-T{self.seq_len}"
        return t + f"-w{self.weight_bits}s{self.state_bits}{'-p2' if self.pow2 else ''}-seed{self.seed}"

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        p = Path(path)
        try:
            obj = json.loads(p.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {p} does not exist") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"config file {p} is not valid JSON ({e.msg} at line {e.lineno})") from None
        return cls.from_json(obj)
