"""rtl_gen: Amaranth hardware for HadamRNN, written out as Verilog with a manifest.

Public API (imported lazily, so ``import rtl_gen`` and the CLI stay instant):

- :func:`build_cell` ``(model, hw) -> HadamRNNCell`` — the Amaranth component;
- :func:`generate` ``(model, hw, out_dir, *, artifact_sha256=None) -> dict`` — writes
  ``<top>.v`` and ``manifest.json`` atomically and returns the manifest;
- :func:`render` ``(model, hw) -> (verilog_text, manifest)`` — the same, in memory;
- the datapaths :class:`SignFlipAdderTree`, :class:`ButterflyFWHT`,
  :class:`SDFButterfly`, :class:`DenseTernaryMatVec`, each with ``model()`` and ``latency``.
"""

from __future__ import annotations

import importlib

__all__ = [
    "build_cell", "generate", "render", "make_manifest", "HadamRNNCell", "SignFlipAdderTree", "ButterflyFWHT", "SDFButterfly",
    "DenseTernaryMatVec", "FORMAT",
]

_WHERE = {
    "build_cell": "writer", "generate": "writer", "render": "writer", "make_manifest": "writer",
    "FORMAT": "writer", "HadamRNNCell": "cell", "SignFlipAdderTree": "datapaths.sign_flip_adder_tree",
    "ButterflyFWHT": "datapaths.butterfly", "SDFButterfly": "datapaths.sdf",
    "DenseTernaryMatVec": "datapaths.dense_matvec",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'rtl_gen' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
