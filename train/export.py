"""Export: a trained :class:`train.model.HadamRNN` to a ``HadamModel`` and the artifact.

The arrays are those of ``QuantMode.FULL`` (the same code computes both), so the artifact
runs exactly like the quantization-aware model did:
``A = recurrence_constant(b, F).A`` (≈ 2^F/sqrt(b), rounded down for odd log2 b),
``B = round(2^F·s_U·s_x/s_h)``, ``C = round(2^F·bias/s_h)``, ``c = round(c_real/(s_V·s_h))``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from hadam_hw.artifact import save_artifact
from hadam_hw.config import InputMode, ModelConfig, OutputMode
from hadam_hw.errors import HadamHWError
from hadam_hw.model import HadamModel

from .config import InputKind
from .model import HadamRNN
from .runfiles import load_run_model

__all__ = ["export_model", "save_model_artifact", "export_run", "integer_inputs"]


def _ints(t: torch.Tensor) -> np.ndarray:
    return t.detach().round().to(torch.int64).cpu().numpy()


@torch.no_grad()
def export_model(model: HadamRNN, provenance: dict | None = None) -> HadamModel:
    """The hrnn-int/1 model of ``model``'s current weights (its state scale must be calibrated)."""
    net = model.net
    p = model.plan()
    w = model.integer_weights(p)
    onehot = net.input_kind is not InputKind.DENSE
    in_bits = max(1, (net.n_in - 1).bit_length()) if onehot else net.in_bits
    cfg = ModelConfig(
        hidden=net.hidden, block=net.block, n_in=net.n_in, n_out=net.n_out,
        input_mode=InputMode.ONEHOT if onehot else InputMode.DENSE,
        in_bits=in_bits, in_signed=False if onehot else net.in_signed,
        weight_bits=net.weight_bits, state_bits=net.state_bits, frac_bits=p.frac_bits,
        A=p.A, B=p.B, output=OutputMode.EVERY_STEP if net.every_step else OutputMode.LAST_STEP,
    )
    prov = {"input_kind": net.input_kind.value, "net": net.to_json(), **(provenance or {})}
    return HadamModel(
        config=cfg, sign=_ints(w["sign"]), U=_ints(w["U"]), C=_ints(w["C"]), V=_ints(w["V"]),
        c=_ints(w["c"]), scales={"s_x": p.s_x, "s_h": p.s_h, "s_U": p.s_U, "s_V": p.s_V},
        provenance=prov,
    )


def save_model_artifact(model: HadamRNN, path: str | os.PathLike, provenance: dict | None = None) -> Path:
    return save_artifact(export_model(model, provenance), path)


def integer_inputs(model: HadamRNN, x: torch.Tensor) -> np.ndarray:
    """The integer inputs the artifact expects for float inputs ``x`` (token ids pass through)."""
    return model.input_codes(x).cpu().numpy()


def export_run(run_dir: str | os.PathLike, out_path: str | os.PathLike) -> Path:
    """Write the artifact of a finished (or interrupted) run's best model to ``out_path``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise HadamHWError(f"run folder {run_dir} does not exist")
    model, provenance = load_run_model(run_dir)
    return save_model_artifact(model, out_path, provenance)
