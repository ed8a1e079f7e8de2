"""From a :class:`TrainConfig` and a task's data to a network: sizes, formats, initialisation.

Initialisations (``TrainConfig.init``):

- ``default`` — ours: Xavier-uniform ``U`` and latent sign vector, ``V`` uniform in
  ``±1/sqrt(d)``, bias uniform in ``±1/sqrt(d)``, read-out bias 0;
- ``official`` — the official code's (deel-ai-papers/hadamRNN): Xavier-uniform ``U``, ``V``
  and latent sign vector, the two biases as PyTorch's ``nn.Linear`` (uniform in
  ``±1/sqrt(fan_in)``);
- ``copy`` / ``copy-levels`` — the copy task's analytic start (:mod:`train.copy_init`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hadam_hw.errors import ConfigError

from .config import InputKind, NetConfig, TrainConfig
from .data.common import TaskData
from .model import HadamRNN

__all__ = ["build_net", "build_model", "official_init"]


def _nearest_pow2(x: float) -> float:
    return 2.0 ** round(math.log2(x))


def build_net(cfg: TrainConfig, task: TaskData) -> NetConfig:
    if task.tokens:
        kind = InputKind.EMBEDDING if cfg.embed_dim else InputKind.ONEHOT
    else:
        if cfg.embed_dim:
            raise ConfigError(f"task {task.name} has dense inputs: embed_dim applies to token inputs only",
                              field="embed_dim")
        kind = InputKind.DENSE
    s_x = _nearest_pow2(task.s_x) if (cfg.pow2 and not task.tokens) else task.s_x
    return NetConfig(
        hidden=cfg.hidden, block=cfg.block_size, n_in=task.n_in, n_out=task.n_out, input_kind=kind,
        embed_dim=cfg.embed_dim, in_bits=cfg.in_bits or task.in_bits, in_signed=task.in_signed, s_x=s_x,
        weight_bits=cfg.weight_bits, state_bits=cfg.state_bits, frac_bits=cfg.frac_bits, pow2=cfg.pow2,
        every_step=task.every_step, weight_grid=cfg.weight_grid, weight_rounding=cfg.weight_rounding,
    )


@torch.no_grad()
def official_init(model: HadamRNN) -> None:
    """The official code's initialisation: ``nn.init.xavier_uniform_`` on ``U``, ``V`` and the
    latent sign vector (as a ``1 × d`` matrix), ``nn.Linear``'s default for the biases."""
    nn.init.xavier_uniform_(model.input.weight)
    nn.init.xavier_uniform_(model.readout.weight)
    nn.init.xavier_uniform_(model.recurrence.latent.view(1, -1))
    d = model.net.hidden
    fan_in = model.input.weight.shape[1]
    nn.init.uniform_(model.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
    nn.init.uniform_(model.readout.bias, -1 / math.sqrt(d), 1 / math.sqrt(d))


def build_model(cfg: TrainConfig, task: TaskData) -> HadamRNN:
    model = HadamRNN(build_net(cfg, task))
    if cfg.init == "official":
        official_init(model)
    elif cfg.init in ("copy", "copy-levels"):
        if task.name != "copy":
            raise ConfigError(f"init {cfg.init!r} is the copy task's analytic start, not one for {task.name}",
                              field="init")
        from .copy_init import copy_task_init

        copy_task_init(model, task.seq_len, seed=cfg.seed, recall=task.recall,
                       code="levels" if cfg.init == "copy-levels" else "binary")
    if not cfg.recurrent_bias:
        # W is orthogonal, so the part of a constant bias along its eigenvalue-1 directions
        # grows like T·bias: over 784 pixels it drowns the input-driven state
        with torch.no_grad():
            model.bias.zero_()
        model.bias.requires_grad_(False)
    return model
