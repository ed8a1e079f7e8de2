"""The quantized model in integers: a :class:`ModelConfig` plus its weight arrays.

This is what the artifact stores, what the golden model runs and what the RTL bakes in.
Construction validates every array against the configuration and names the offending
field, so a ``HadamModel`` in memory is always consistent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .config import InputMode, ModelConfig
from .errors import ConfigError

__all__ = ["HadamModel", "SCALE_KEYS", "ARRAY_KEYS"]

SCALE_KEYS = ("s_x", "s_h", "s_U", "s_V")
ARRAY_KEYS = ("sign", "U", "C", "V", "c")


def _check_int_array(name: str, a, shape: tuple[int, ...], lo: int | None = None, hi: int | None = None) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise ConfigError(f"{name} must hold integers, not dtype {a.dtype}", field=name)
    if a.shape != shape:
        raise ConfigError(f"{name} must have shape {shape}, not {a.shape}", field=name)
    if a.size and lo is not None and hi is not None:
        bad = (a < lo) | (a > hi)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ConfigError(
                f"{name}{list(idx)} = {int(a[idx])} is outside [{lo}, {hi}]", field=name
            )
    return a


@dataclass(frozen=True, eq=False)
class HadamModel:
    """One quantized HadamRNN in the ``hrnn-int/1`` integer semantics."""

    config: ModelConfig
    sign: np.ndarray
    U: np.ndarray
    C: np.ndarray
    V: np.ndarray
    c: np.ndarray
    scales: dict = field(default_factory=lambda: {k: 1.0 for k in SCALE_KEYS})
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        cfg = self.config
        if not isinstance(cfg, ModelConfig):
            raise ConfigError("config must be a ModelConfig")
        d = cfg.hidden
        wlo, whi = cfg.w_range
        sign = _check_int_array("sign", self.sign, (d,))
        if not np.isin(sign, (-1, 1)).all():
            bad = int(np.argwhere(~np.isin(sign, (-1, 1)))[0][0])
            raise ConfigError(f"sign[{bad}] = {int(sign[bad])}: signs must be ±1", field="sign")
        U = _check_int_array("U", self.U, (d, cfg.n_in), wlo, whi)
        C = _check_int_array("C", self.C, (d,))
        V = _check_int_array("V", self.V, (cfg.n_out, d), wlo, whi)
        c = _check_int_array("c", self.c, (cfg.n_out,))
        for name, arr in (("C", C), ("c", c)):
            if arr.size and max(abs(int(arr.min())), abs(int(arr.max()))) >= 1 << 62:
                raise ConfigError(f"{name} has values beyond ±2^62", field=name)
        wdtype = np.int8 if cfg.weight_bits <= 8 else np.int16
        object.__setattr__(self, "sign", sign.astype(np.int8))
        object.__setattr__(self, "U", U.astype(wdtype))
        object.__setattr__(self, "C", C.astype(np.int64))
        object.__setattr__(self, "V", V.astype(wdtype))
        object.__setattr__(self, "c", c.astype(np.int64))
        scales = dict(self.scales)
        for k in SCALE_KEYS:
            v = scales.get(k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ConfigError(f"{k} must be a positive finite number, not {v!r}", field=k)
            scales[k] = float(v)
        object.__setattr__(self, "scales", scales)
        if not isinstance(self.provenance, dict):
            raise ConfigError("provenance must be a JSON object", field="provenance")
        for a in ARRAY_KEYS:
            getattr(self, a).setflags(write=False)

    # --- derived figures -------------------------------------------------------------------
    @property
    def onehot(self) -> bool:
        return self.config.input_mode is InputMode.ONEHOT

    def additions_per_step(self) -> dict[str, int]:
        """Additions of the recurrence ``S h`` per step for each way of computing it."""
        d, b = self.config.hidden, self.config.block
        return {
            "dense": d * (d - 1),  # a generic d×d ±1/0 matrix, zeros included
            "adder_tree": d * (b - 1),  # b-input trees, zeros skipped
            "butterfly": d * (b.bit_length() - 1),  # log2(b) add/subtract stages
        }
