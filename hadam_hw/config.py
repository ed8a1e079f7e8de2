"""Frozen, validated configurations: the model (``ModelConfig``) and the hardware (``HardwareConfig``).

Each has a short ``tag`` (used in pytest ids, build folders and file names) and a JSON round
trip. Validation happens in ``__post_init__``: an invalid configuration cannot exist.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from dataclasses import asdict, dataclass, fields
from typing import ClassVar

from .archs import Arch, arch_spec, interleaving_arch_names
from .errors import ConfigError
from .hadamard import is_power_of_two

__all__ = [
    "InputMode",
    "OutputMode",
    "Arch",
    "Interface",
    "Weights",
    "ModelConfig",
    "HardwareConfig",
    "MAX_STATE_BITS",
    "MAX_IN_BITS",
    "MAX_WEIGHT_BITS",
    "MAX_INTERLEAVE",
    "JsonConfig",
    "parse_enum",
    "check_int",
]

MAX_STATE_BITS = 32
MAX_IN_BITS = 32
MAX_WEIGHT_BITS = 16  # the artifact stores U and V as int8/int16
MAX_INTERLEAVE = 1024  # sequences sharing one datapath: states in one memory, a 10-bit id


class InputMode(str, enum.Enum):
    DENSE = "dense"  # n_in integers per step
    ONEHOT = "onehot"  # one token id per step; U x_t is the column U[:, token]


class OutputMode(str, enum.Enum):
    EVERY_STEP = "every_step"  # many-to-many (copy task)
    LAST_STEP = "last_step"  # many-to-one (MNIST, IMDB, ...)


class Interface(str, enum.Enum):
    STREAMS = "streams"  # bare lib.stream ports x/y/h, clk and rst (SPEC §4)
    AXIS = "axis"  # AXI4-Stream s_axis_*/m_axis_*, clock aclk, reset aresetn active low (SPEC §4.2)


class Weights(str, enum.Enum):
    BAKED = "baked"  # weights are ROM contents: one bitstream, one model
    RUNTIME = "runtime"  # weights in RAMs written through an AXI4-Lite slave (SPEC §4.2)


def check_int(obj, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """``obj`` if it is an integer (not a bool) in ``[lo, hi]``, else a ConfigError naming ``name``."""
    if isinstance(obj, bool) or not isinstance(obj, int):
        raise ConfigError(f"{name} must be an integer, not {obj!r}", field=name)
    if lo is not None and obj < lo:
        raise ConfigError(f"{name} must be at least {lo}, not {obj}", field=name)
    if hi is not None and obj > hi:
        raise ConfigError(f"{name} must be at most {hi}, not {obj}", field=name)
    return obj


def parse_enum(cls, value, name: str):
    """``cls(value)``, or a :class:`ConfigError` naming ``name`` and the choices."""
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise ConfigError(f"{name} must be one of {choices}, not {value!r}", field=name) from None


class JsonConfig:
    """JSON round trip for frozen config dataclasses (enums as their values, unknown keys refused)."""

    json_indent: ClassVar[int | None] = None  # how dumps() lays out (not a field)

    def to_json(self) -> dict:
        return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in asdict(self).items()}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=self.json_indent, sort_keys=True)

    def replace(self, **changes):
        """A copy with ``changes`` applied, validated again."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_json(cls, obj: dict):
        if not isinstance(obj, dict):
            raise ConfigError(f"{cls.__name__} JSON must be an object, not {type(obj).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(obj) - names)
        if unknown:
            raise ConfigError(f"unknown {cls.__name__} key(s): {', '.join(unknown)}", field=unknown[0])
        return cls(**obj)


@dataclass(frozen=True)
class ModelConfig(JsonConfig):
    """Sizes and number formats of one quantized HadamRNN (SPEC §1–2).

    ``A`` and ``B`` are the integer constants of ``z = A·sign·r + B·v + C``; ``frac_bits`` is
    the right shift (round half up) from ``z`` to the next state.
    """

    hidden: int
    block: int
    n_in: int
    n_out: int
    input_mode: InputMode = InputMode.DENSE
    in_bits: int = 8
    in_signed: bool = True
    weight_bits: int = 4
    state_bits: int = 12
    frac_bits: int = 12
    A: int = 1
    B: int = 1
    output: OutputMode = OutputMode.LAST_STEP

    def __post_init__(self) -> None:
        check_int(self.hidden, "hidden", 1)
        if not is_power_of_two(self.hidden):
            raise ConfigError(f"hidden must be a power of two, not {self.hidden}", field="hidden")
        check_int(self.block, "block", 1)
        if not is_power_of_two(self.block) or self.block > self.hidden:
            raise ConfigError(
                f"block must be a power of two dividing the hidden size {self.hidden}, not {self.block}",
                field="block",
            )
        check_int(self.n_in, "n_in", 1)
        check_int(self.n_out, "n_out", 1)
        object.__setattr__(self, "input_mode", parse_enum(InputMode, self.input_mode, "input_mode"))
        object.__setattr__(self, "output", parse_enum(OutputMode, self.output, "output"))
        check_int(self.in_bits, "in_bits", 1, MAX_IN_BITS)
        if not isinstance(self.in_signed, bool):
            raise ConfigError(f"in_signed must be true or false, not {self.in_signed!r}", field="in_signed")
        if self.in_signed and self.in_bits < 2:
            raise ConfigError("in_bits must be at least 2 for signed inputs", field="in_bits")
        if self.input_mode is InputMode.ONEHOT:
            if self.in_signed:
                raise ConfigError("in_signed must be false in onehot mode (token ids)", field="in_signed")
            if self.n_in > (1 << self.in_bits):
                raise ConfigError(
                    f"in_bits={self.in_bits} cannot hold token ids of a vocabulary of {self.n_in}",
                    field="in_bits",
                )
        check_int(self.weight_bits, "weight_bits", 2, MAX_WEIGHT_BITS)
        check_int(self.state_bits, "state_bits", 2, MAX_STATE_BITS)
        check_int(self.frac_bits, "frac_bits", 0, 48)
        check_int(self.A, "A", 1)
        check_int(self.B, "B", 1)

    # --- derived facts -------------------------------------------------------------------
    @property
    def vocab(self) -> int | None:
        return self.n_in if self.input_mode is InputMode.ONEHOT else None

    @property
    def n_blocks(self) -> int:
        return self.hidden // self.block

    @property
    def sparsity(self) -> float:
        """Fraction of zeros of the recurrent matrix, ``1 − b/d``."""
        return 1.0 - self.block / self.hidden

    @property
    def x_range(self) -> tuple[int, int]:
        """The integer range of one input lane (dense) or of a token id (onehot)."""
        if self.input_mode is InputMode.ONEHOT:
            return 0, self.n_in - 1
        if self.in_signed:
            return -(1 << (self.in_bits - 1)), (1 << (self.in_bits - 1)) - 1
        return 0, (1 << self.in_bits) - 1

    @property
    def h_range(self) -> tuple[int, int]:
        return -(1 << (self.state_bits - 1)), (1 << (self.state_bits - 1)) - 1

    @property
    def w_range(self) -> tuple[int, int]:
        return -(1 << (self.weight_bits - 1)), (1 << (self.weight_bits - 1)) - 1

    @property
    def gain(self) -> float:
        """Gain of the integer recurrence against the orthogonal one, ``A·sqrt(b)/2^F``."""
        return self.A * self.block**0.5 / 2**self.frac_bits

    @property
    def tag(self) -> str:
        mode = "oh" if self.input_mode is InputMode.ONEHOT else "x"
        out = "all" if self.output is OutputMode.EVERY_STEP else "last"
        return (
            f"d{self.hidden}b{self.block}-{mode}{self.n_in}o{self.n_out}"
            f"-w{self.weight_bits}s{self.state_bits}f{self.frac_bits}-{out}"
        )


@dataclass(frozen=True)
class HardwareConfig(JsonConfig):
    """How one model is built in hardware (SPEC §4–5).

    ``lanes``: output rows per cycle (``adder_tree``, ``dense``) or elements per cycle
    (``sdf``); the whole vector for ``butterfly``. ``pipeline``: a register after every
    ``pipeline`` adder levels/stages of the datapath; in the row-serial architectures any
    ``pipeline >= 1`` is the registered design that runs at the FPGA's own clock (the
    default, 1); 0 is the minimal-latency, purely combinational design.
    ``interface``: bare streams (default) or AXI4-Stream ports; ``weights``: baked into the
    Verilog (default) or loaded at run time through AXI4-Lite (needs the AXI interface).
    ``interleave``: independent sequences sharing the datapath (SPEC §4.1), their states in
    the same memories and an ``id`` field on every stream when more than one; the
    architectures whose registry entry lists the option, in the registered design only.
    ``addsub`` (``sdf`` only): how the SDF's add/subtract units are built, ``generic`` Amaranth
    arithmetic (any target, simulation) or a target's primitive form (``ccu2c``: ECP5 carry
    cells); ``hadam-hw estimate`` takes it from ``--target`` (the registry's ``Target.addsub``).
    """

    arch: Arch = Arch.BUTTERFLY
    lanes: int = 1
    pipeline: int = 1
    expose_state: bool = False
    top: str = "hadamrnn"
    interface: Interface = Interface.STREAMS
    weights: Weights = Weights.BAKED
    interleave: int = 1
    addsub: str = "generic"  # the SDF's add/subtract units: hadam_hw.targets.ADDSUB_FORMS

    def __post_init__(self) -> None:
        object.__setattr__(self, "arch", parse_enum(Arch, self.arch, "arch"))
        check_int(self.lanes, "lanes", 1)
        check_int(self.pipeline, "pipeline", 0)
        if not isinstance(self.expose_state, bool):
            raise ConfigError(f"expose_state must be true or false, not {self.expose_state!r}", field="expose_state")
        if not isinstance(self.top, str) or not self.top.isidentifier():
            raise ConfigError(f"top must be a Verilog identifier, not {self.top!r}", field="top")
        object.__setattr__(self, "interface", parse_enum(Interface, self.interface, "interface"))
        object.__setattr__(self, "weights", parse_enum(Weights, self.weights, "weights"))
        check_int(self.interleave, "interleave", 1, MAX_INTERLEAVE)
        if self.interleave > 1:
            if "interleave" not in arch_spec(self.arch).options:
                raise ConfigError(f"interleave {self.interleave} is not supported by the {self.arch.value} "
                                  f"architecture (only by {', '.join(interleaving_arch_names())})", field="interleave")
            if self.pipeline < 1:
                raise ConfigError(f"interleave {self.interleave} needs the registered design (pipeline >= 1), "
                                  f"not pipeline {self.pipeline}", field="interleave")
        from .targets import ADDSUB_FORMS

        if self.addsub not in ADDSUB_FORMS:
            raise ConfigError(f"addsub must be one of {', '.join(ADDSUB_FORMS)}, not {self.addsub!r}", field="addsub")
        if self.addsub != "generic" and self.arch is not Arch.SDF:
            raise ConfigError(f"addsub {self.addsub!r} is a form of the SDF's add/subtract units: it needs arch "
                              f"'sdf', not {self.arch.value!r}", field="addsub")

    def check_top(self) -> None:
        """Refuse a configuration that cannot be a top level: runtime weights are loaded
        through AXI4-Lite, which comes with the AXI interface (the bare-stream cell inside an
        AXI top carries ``weights: runtime`` with ``interface: streams``)."""
        if self.weights is Weights.RUNTIME and self.interface is not Interface.AXIS:
            raise ConfigError("weights 'runtime' are loaded through AXI4-Lite: they need interface 'axis', "
                              f"not {self.interface.value!r}", field="weights")

    def check_against(self, model: ModelConfig) -> None:
        """Refuse a hardware configuration that cannot build ``model``."""
        if model.hidden % self.lanes:
            raise ConfigError(
                f"lanes must divide the hidden size {model.hidden}, not {self.lanes}", field="lanes"
            )
        spec = arch_spec(self.arch)
        if "lanes" not in spec.options and self.lanes != 1:
            raise ConfigError(
                f"lanes must be 1 for the {spec.name} architecture ({spec.summary}), not {self.lanes}",
                field="lanes",
            )

    @property
    def tag(self) -> str:
        s = f"{self.arch.value}-l{self.lanes}-p{self.pipeline}"
        s += "-h" if self.expose_state else ""
        s += "-axis" if self.interface is Interface.AXIS else ""
        s += "-rw" if self.weights is Weights.RUNTIME else ""
        s += f"-i{self.interleave}" if self.interleave > 1 else ""
        return s + ("" if self.addsub == "generic" else f"-{self.addsub}")
