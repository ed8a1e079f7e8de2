"""hadam-hw training: quantization-aware HadamRNN in PyTorch, exported to hrnn-int/1.

The layers are Brevitas-shaped: straight-through functions (:mod:`train.ste`), quantizers
returning integer codes and a scale (:mod:`train.quantizers`), quantized layers
(:mod:`train.layers`, :mod:`train.model`) and one export function (:mod:`train.export`).

Public API (imported lazily, so ``import train`` does not load torch)::

    from train import TrainConfig, preset, run_training, export_run
    run_dir = run_training(preset("demo", out_dir="runs"))
    export_run(run_dir, "model.hrnn.npz")
"""

from __future__ import annotations

import importlib

__all__ = [
    "TrainConfig", "NetConfig", "QuantMode", "PRESETS", "preset", "run_training", "export_run",
    "export_model", "load_run_model", "HadamRNN", "IntegerModel", "load_task", "TASKS",
]

_LAZY = {
    "TrainConfig": "train.config", "NetConfig": "train.config", "QuantMode": "train.config",
    "PRESETS": "train.presets", "preset": "train.presets",
    "run_training": "train.loop", "load_run_model": "train.runfiles",
    "export_run": "train.export", "export_model": "train.export",
    "HadamRNN": "train.model", "IntegerModel": "train.integer",
    "load_task": "train.tasks", "TASKS": "train.tasks",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'train' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
