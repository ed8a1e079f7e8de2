"""Design points (a random model's sizes × a hardware configuration) and cached generation.

A :class:`DesignPoint` names one configuration of a sweep or a calibration set without a
trained artifact: the model is :func:`hadam_hw.artifact.random_model` with a recorded seed,
so the same point always gives the same weights, the same Verilog and the same figures.
Its Verilog comes from the one RTL cache, :mod:`rtl_gen.cache`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache

from hadam_hw.config import Arch, HardwareConfig, InputMode, OutputMode
from hadam_hw.errors import ConfigError
from hadam_hw.model import HadamModel

__all__ = ["DesignPoint", "parse_point", "cpu_count"]


@dataclass(frozen=True)
class DesignPoint:
    """A random model of these sizes built as ``arch``/``lanes``/``pipeline`` (block 0 = hidden)."""

    hidden: int
    block: int = 0
    arch: str = "adder_tree"
    lanes: int = 1
    pipeline: int = 0
    n_in: int = 10
    n_out: int = 9
    state_bits: int = 12
    in_bits: int = 8
    weight_bits: int = 4
    input_mode: str = "dense"
    output: str = "last_step"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.block == 0:
            object.__setattr__(self, "block", self.hidden)
        for cls, name in ((Arch, "arch"), (InputMode, "input_mode"), (OutputMode, "output")):
            try:
                cls(getattr(self, name))
            except ValueError:
                choices = ", ".join(m.value for m in cls)
                raise ConfigError(f"{name} must be one of {choices}, not {getattr(self, name)!r}") from None

    @property
    def tag(self) -> str:
        s = f"d{self.hidden}b{self.block}-{self.arch}-l{self.lanes}-p{self.pipeline}-s{self.state_bits}"
        if (self.n_in, self.n_out) != (10, 9):
            s += f"-i{self.n_in}o{self.n_out}"
        if self.input_mode != "dense":
            s += "-oh"
        if self.output != "last_step":
            s += "-all"
        if (self.in_bits, self.weight_bits) != (8, 4):
            s += f"-x{self.in_bits}w{self.weight_bits}"
        if self.seed:
            s += f"-r{self.seed}"
        return s

    def model(self) -> HadamModel:
        return _model(self.hidden, self.block, self.n_in, self.n_out, self.state_bits, self.in_bits,
                      self.weight_bits, self.input_mode, self.output, self.seed)

    def hw(self) -> HardwareConfig:
        return HardwareConfig(arch=self.arch, lanes=self.lanes, pipeline=self.pipeline)

    def with_hw(self, **kw) -> DesignPoint:
        return replace(self, **kw)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict) -> DesignPoint:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(obj) - names)
        if unknown:
            raise ConfigError(f"unknown design point key(s): {', '.join(unknown)}")
        return cls(**obj)


@lru_cache(maxsize=64)
def _model(hidden, block, n_in, n_out, state_bits, in_bits, weight_bits, input_mode, output, seed) -> HadamModel:
    from hadam_hw.artifact import random_model

    return random_model(hidden, block, n_in, n_out, input_mode=input_mode, output=output, in_bits=in_bits,
                        weight_bits=weight_bits, state_bits=state_bits, seed=seed)


def parse_point(text: str) -> DesignPoint:
    """``key=value,...`` (e.g. ``hidden=64,block=16,arch=sdf,lanes=2``) as a :class:`DesignPoint`."""
    kw: dict = {}
    types = {f.name: f.type for f in fields(DesignPoint)}
    for item in filter(None, text.split(",")):
        k, _, v = item.partition("=")
        k = k.strip().replace("-", "_")
        if k not in types:
            raise ConfigError(f"unknown design point key {k!r} in {text!r}")
        kw[k] = v.strip() if types[k] == "str" else int(v)
    return DesignPoint(**kw)


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
