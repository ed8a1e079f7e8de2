"""sim: cocotb verification of the generated HadamRNN Verilog against the golden model.

Public API (imported lazily, so ``import sim`` stays light):

- :func:`verify` (model or artifact path, :class:`~hadam_hw.config.HardwareConfig`) → :class:`VerifyResult`
- :func:`simulate` (an already generated ``manifest.json`` and its model) → :class:`VerifyResult`
- :func:`run_soak` → :class:`~sim.soak.SoakResult`
- :func:`simulator_available` (``"icarus"`` / ``"verilator"``) → ``(ok, reason)``
- :func:`load_manifest` → :class:`~hadam_hw.manifest.Manifest`
"""

from __future__ import annotations

import importlib

__all__ = ["verify", "simulate", "VerifyResult", "run_soak", "SoakResult", "simulator_available",
           "load_manifest", "SIMULATORS"]

_WHERE = {
    "verify": "verify", "simulate": "verify", "VerifyResult": "verify",
    "run_soak": "soak", "SoakResult": "soak",
    "simulator_available": "runner", "SIMULATORS": "runner",
    "load_manifest": "manifest",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
