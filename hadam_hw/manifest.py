"""The hardware interface, format ``hrnn-rtl/1`` (SPEC §4): its one home.

:func:`stream_specs` derives every stream, field and width of a design from ``(model,
hardware config)``; :func:`make_manifest` writes the whole ``manifest.json`` from them and
the schedule. The Amaranth signature (``rtl_gen``), the Verilog writer, the simulator's
reader (:func:`load_manifest`) and the test harnesses all use these, so they cannot drift.

The manifest is the only description of the generated design a testbench trusts: port
names, payload field layout (lane 0 in the least significant bits), signedness, and the two
timing figures it asserts. Packing and unpacking payloads is numpy only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import HadamHWError

__all__ = ["MANIFEST_FORMAT", "FieldSpec", "StreamSpec", "Manifest", "load_manifest", "ManifestError",
           "stream_specs", "make_manifest", "port_name", "axis_port", "clock_reset", "AXIS_PREFIX"]

MANIFEST_FORMAT = "hrnn-rtl/1"


class ManifestError(HadamHWError):
    """A ``manifest.json`` is missing, malformed or inconsistent with the model."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a stream payload: ``lanes`` lanes of ``lane_width`` bits from ``offset``."""

    name: str
    offset: int
    width: int
    lanes: int = 1
    lane_width: int = 0  # 0: the whole field is one lane
    signed: bool = False
    kind: str | None = None  # "token": a onehot input's id

    def __post_init__(self) -> None:
        if self.lane_width == 0:
            object.__setattr__(self, "lane_width", self.width)
        if self.lanes * self.lane_width != self.width:
            raise ManifestError(
                f"field '{self.name}': {self.lanes} lanes of {self.lane_width} bits do not make "
                f"its width {self.width}"
            )

    def to_json(self) -> dict:
        if self.name != "data":
            return {"offset": self.offset, "width": self.width}
        out = {"offset": self.offset, "width": self.width, "lanes": self.lanes, "lane_width": self.lane_width,
               "signed": self.signed}
        if self.kind:
            out["kind"] = self.kind
        return out

    @property
    def lane_range(self) -> tuple[int, int]:
        w = self.lane_width
        return (-(1 << (w - 1)), (1 << (w - 1)) - 1) if self.signed else (0, (1 << w) - 1)

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.offset

    def pack(self, values) -> int:
        """Lane values (ints) to this field's bits, already shifted to ``offset``."""
        vals = np.atleast_1d(np.asarray(values, dtype=object))
        if vals.size != self.lanes:
            raise ManifestError(f"field '{self.name}' has {self.lanes} lanes, not {vals.size} values")
        lo, hi = self.lane_range
        lane_mask = (1 << self.lane_width) - 1
        out = 0
        for i, v in enumerate(vals.tolist()):
            v = int(v)
            if not lo <= v <= hi:
                raise ManifestError(
                    f"field '{self.name}' lane {i}: {v} does not fit {self.lane_width} "
                    f"{'signed' if self.signed else 'unsigned'} bits"
                )
            out |= (v & lane_mask) << (i * self.lane_width)
        return out << self.offset

    def pack_array(self, values: np.ndarray) -> np.ndarray:
        """``(N, lanes)`` (or ``(N,)``) integers to ``(N, width)`` bits, lane 0 first (LSB first).

        Vectorized so that a million steps pack in seconds; every value is range-checked.
        """
        v = np.asarray(values, dtype=np.int64).reshape(len(values), -1)
        if v.shape[1] != self.lanes:
            raise ManifestError(f"field '{self.name}' has {self.lanes} lanes, not {v.shape[1]} values per step")
        lo, hi = self.lane_range
        bad = (v < lo) | (v > hi)
        if bad.any():
            n, lane = (int(i) for i in np.argwhere(bad)[0])
            raise ManifestError(
                f"field '{self.name}' lane {lane}: {int(v[n, lane])} (item {n}) does not fit "
                f"{self.lane_width} {'signed' if self.signed else 'unsigned'} bits"
            )
        if self.lane_width > 63:
            raise ManifestError(f"field '{self.name}': lanes wider than 63 bits are not supported")
        bits = (v[:, :, None] >> np.arange(self.lane_width, dtype=np.int64)) & 1
        return bits.reshape(len(v), self.width).astype(np.uint8)

    def unpack(self, payload: int) -> list[int]:
        """This field's lanes from a whole payload integer, sign-extended when signed."""
        bits = (payload >> self.offset) & ((1 << self.width) - 1)
        w = self.lane_width
        lane_mask = (1 << w) - 1
        sign = 1 << (w - 1)
        out = []
        for i in range(self.lanes):
            v = (bits >> (i * w)) & lane_mask
            if self.signed and v & sign:
                v -= 1 << w
            out.append(v)
        return out


@dataclass(frozen=True)
class StreamSpec:
    """One stream: its port names, payload width and fields."""

    name: str
    valid: str
    ready: str
    payload: str
    width: int
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    latency_cycles: int | None = None  # per-stream override of the top-level figure, if given
    direction: str = ""  # "in" / "out", as written by the generator
    per: str = ""  # "step" / "sequence": how often an item passes
    # AXI4-Stream (SPEC §4.2): flags carried on their own ports beside tdata, name -> port
    sideband: dict[str, str] = field(default_factory=dict)
    sideband_width: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        out = {"valid": self.valid, "ready": self.ready, "payload": self.payload, "direction": self.direction,
               "per": self.per, "width": self.width}
        if self.latency_cycles is not None:
            out["latency_cycles"] = self.latency_cycles
        out["fields"] = {n: f.to_json() for n, f in self.fields.items()}
        if self.sideband:
            out["sideband"] = dict(self.sideband)
            out["sideband_width"] = {n: self.sideband_width.get(n, 1) for n in self.sideband}
        return out

    @property
    def data(self) -> FieldSpec:
        return self.fields["data"]

    def has(self, name: str) -> bool:
        """Whether the stream carries the flag or field ``name`` (in the payload or beside it)."""
        return name in self.fields or name in self.sideband

    @property
    def known_mask(self) -> int:
        """The payload bits the testbench compares: every field the manifest names."""
        m = 0
        for f in self.fields.values():
            m |= f.mask
        return m

    def pack(self, **values) -> int:
        """A whole payload from field values (``data=lanes, first=0/1, last=0/1``)."""
        out = 0
        for name, v in values.items():
            if name in self.fields:
                out |= self.fields[name].pack(v)
        return out

    def pack_rows(self, **arrays) -> list[int]:
        """One payload integer per step from per-step field arrays (``data=(N, lanes)``, ``last=(N,)``).

        Fields the manifest lacks are ignored; fields not given are zero.
        """
        n = len(next(iter(arrays.values())))
        bits = np.zeros((n, self.width), dtype=np.uint8)
        for name, arr in arrays.items():
            if name in self.fields:
                f = self.fields[name]
                bits[:, f.offset:f.offset + f.width] = f.pack_array(np.asarray(arr))
        packed = np.packbits(bits, axis=1, bitorder="little")
        return [int.from_bytes(row.tobytes(), "little") for row in packed]

    def unpack(self, payload: int) -> dict[str, list[int] | int]:
        out: dict[str, list[int] | int] = {}
        for name, f in self.fields.items():
            lanes = f.unpack(payload)
            out[name] = lanes if name == "data" else lanes[0]
        return out


@dataclass(frozen=True)
class Manifest:
    """A parsed ``manifest.json``; ``path`` is where it was read from."""

    raw: dict
    path: Path
    top: str
    verilog: Path
    arch: str
    params: dict
    clock: str
    reset: str
    streams: dict[str, StreamSpec]
    cycles_per_step: int
    latency_cycles: int
    artifact_sha256: str | None
    reset_active: str = "high"  # "low": aresetn (AXI)
    interface: str = "streams"
    interleave: int = 1  # sequences sharing the design, told apart by the streams' id (SPEC §4.1)

    @property
    def regmap(self) -> dict | None:
        """The AXI4-Lite register map of a runtime-weights design (SPEC §4.2), else None."""
        return self.raw.get("regmap")

    def latency(self, stream: str) -> int:
        """Cycles from an input handshake to the output on ``stream`` being valid.

        ``latency_cycles`` unless the manifest gives the stream its own figure, as
        ``streams.<s>.latency_cycles`` or a top-level ``latency_cycles_<s>`` (rtl_gen writes
        ``latency_cycles_h``: the state is ready before the output head has run).
        """
        s = self.streams[stream]
        if s.latency_cycles is not None:
            return s.latency_cycles
        own = self.raw.get(f"latency_cycles_{stream}")
        if stream != "x" and isinstance(own, int) and not isinstance(own, bool):
            return own
        return self.latency_cycles

    @property
    def has_state(self) -> bool:
        return "h" in self.streams

    def check_model(self, model) -> None:
        """Refuse a design whose stream layout cannot carry this model's values."""
        cfg = model.config
        x, y = self.streams["x"], self.streams["y"]
        want_in = 1 if model.onehot else cfg.n_in
        if x.data.lanes != want_in:
            raise ManifestError(f"{self.path}: x data has {x.data.lanes} lanes, the model needs {want_in}")
        if not model.onehot and x.data.signed != cfg.in_signed:
            raise ManifestError(f"{self.path}: x data signedness {x.data.signed} differs from the model's in_signed")
        xlo, xhi = cfg.x_range
        if xlo < x.data.lane_range[0] or xhi > x.data.lane_range[1]:
            raise ManifestError(f"{self.path}: x lanes of {x.data.lane_width} bits cannot hold the input range [{xlo}, {xhi}]")
        if y.data.lanes != cfg.n_out:
            raise ManifestError(f"{self.path}: y data has {y.data.lanes} lanes, the model has {cfg.n_out} outputs")
        if self.has_state and self.streams["h"].data.lanes != cfg.hidden:
            raise ManifestError(
                f"{self.path}: h data has {self.streams['h'].data.lanes} lanes, the model's hidden size is {cfg.hidden}"
            )
        for need in ("first", "last"):
            if not x.has(need):
                raise ManifestError(f"{self.path}: x payload has no '{need}' field")


def _req(obj: dict, key: str, where: str):
    if not isinstance(obj, dict) or key not in obj:
        raise ManifestError(f"{where}: missing key '{key}'")
    return obj[key]


def _int_field(obj: dict, key: str, where: str, lo: int = 0) -> int:
    v = _req(obj, key, where)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise ManifestError(f"{where}.{key} must be an integer >= {lo}, not {v!r}")
    return v


def _stream(name: str, obj: dict, where: str) -> StreamSpec:
    w = f"{where}.streams.{name}"
    fields_raw = _req(obj, "fields", w)
    if not isinstance(fields_raw, dict) or "data" not in fields_raw:
        raise ManifestError(f"{w}.fields must be an object with a 'data' field")
    width = _int_field(obj, "width", w, 1)
    fields: dict[str, FieldSpec] = {}
    for fname, f in fields_raw.items():
        fw = f"{w}.fields.{fname}"
        fs = FieldSpec(
            name=fname,
            offset=_int_field(f, "offset", fw),
            width=_int_field(f, "width", fw, 1),
            lanes=int(f.get("lanes", 1)),
            lane_width=int(f.get("lane_width", 0)),
            signed=bool(f.get("signed", False)),
            kind=f.get("kind"),
        )
        if fs.offset + fs.width > width:
            raise ManifestError(f"{fw} (bits {fs.offset}..{fs.offset + fs.width - 1}) lies outside the {width}-bit payload")
        for other in fields.values():
            if fs.mask & other.mask:
                raise ManifestError(f"{fw} overlaps field '{other.name}'")
        fields[fname] = fs
    lat = obj.get("latency_cycles")
    side = obj.get("sideband", {})
    if not isinstance(side, dict) or not all(isinstance(v, str) for v in side.values()):
        raise ManifestError(f"{w}.sideband must map flags to port names")
    for n in side:
        if n in fields:
            raise ManifestError(f"{w}: '{n}' is both a payload field and a sideband port")
    side_w = {n: int(obj.get("sideband_width", {}).get(n, 1)) for n in side}
    return StreamSpec(
        name=name,
        valid=str(_req(obj, "valid", w)),
        ready=str(_req(obj, "ready", w)),
        payload=str(_req(obj, "payload", w)),
        width=width,
        fields=fields,
        latency_cycles=None if lat is None else int(lat),
        direction=str(obj.get("direction", "")),
        per=str(obj.get("per", "")),
        sideband=dict(side),
        sideband_width=side_w,
    )


def load_manifest(path: str | os.PathLike) -> Manifest:
    """Read and validate a ``manifest.json`` (or the folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "manifest.json"
    if not path.is_file():
        raise ManifestError(f"{path}: no such manifest")
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ManifestError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    where = str(path)
    fmt = raw.get("format") if isinstance(raw, dict) else None
    if fmt != MANIFEST_FORMAT:
        raise ManifestError(f"{where}: format must be {MANIFEST_FORMAT!r}, not {fmt!r}")
    streams_raw = _req(raw, "streams", where)
    for need in ("x", "y"):
        _req(streams_raw, need, f"{where}.streams")
    streams = {n: _stream(n, s, where) for n, s in streams_raw.items() if n in ("x", "y", "h")}
    verilog = path.parent / str(_req(raw, "verilog", where))
    if not verilog.is_file():
        raise ManifestError(f"{where}: the Verilog file {verilog} it names does not exist")
    return Manifest(
        raw=raw,
        path=path,
        top=str(_req(raw, "top", where)),
        verilog=verilog,
        arch=str(raw.get("arch", "?")),
        params=dict(raw.get("params", {})),
        clock=str(raw.get("clock", "clk")),
        reset=str(raw.get("reset", "rst")),
        streams=streams,
        cycles_per_step=_int_field(raw, "cycles_per_step", where, 1),
        latency_cycles=_int_field(raw, "latency_cycles", where, 0),
        artifact_sha256=raw.get("artifact_sha256"),
        reset_active=_reset_active(raw, where),
        interface=str(raw.get("interface", "streams")),
        interleave=_interleave(raw, streams, where),
    )


def _interleave(raw: dict, streams: dict[str, StreamSpec], where: str) -> int:
    """``interleave`` (1 when absent); with C > 1 every stream must carry an ``id`` wide enough."""
    from .schedule import ceil_log2

    c = raw.get("interleave", 1)
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        raise ManifestError(f"{where}.interleave must be an integer >= 1, not {c!r}")
    for name, s in streams.items():
        width = s.fields["id"].width if "id" in s.fields else s.sideband_width.get("id", 0) if "id" in s.sideband \
            else 0
        if c > 1 and width < ceil_log2(c):
            raise ManifestError(f"{where}.streams.{name}: interleave {c} needs an id field of {ceil_log2(c)} bits, "
                                f"not {width}")
        if c == 1 and width:
            raise ManifestError(f"{where}.streams.{name} has an id field but interleave is 1")
    return c


def _reset_active(raw: dict, where: str) -> str:
    v = raw.get("reset_active", "high")
    if v not in ("high", "low"):
        raise ManifestError(f"{where}.reset_active must be 'high' or 'low', not {v!r}")
    return v


# --- deriving the interface from (model, hardware config) ------------------------------------

def port_name(stream: str, member: str) -> str:
    """The Verilog port of a stream member, as Amaranth's ``verilog.convert`` names it."""
    return f"{stream}__{member}"


# AXI4-Stream port prefixes of each stream (the state stream is a second master)
AXIS_PREFIX = {"x": "s_axis", "y": "m_axis", "h": "m_axis_h"}
# where each flag of a stream goes on an AXI4-Stream port (SPEC §4.2): first is tuser
_AXIS_SIDEBAND = {"first": "tuser", "last": "tlast", "id": "tid"}


def axis_port(stream: str, signal: str) -> str:
    """The AXI4-Stream port of ``signal`` (``tdata``, ``tvalid``, ``tlast`` …) of a stream."""
    return f"{AXIS_PREFIX[stream]}_{signal}"


def clock_reset(hw) -> dict:
    """The clock and reset ports of a design and the reset's polarity (manifest keys)."""
    from .config import Interface

    if hw.interface is Interface.AXIS:
        return {"clock": "aclk", "reset": "aresetn", "reset_active": "low",
                "reset_polarity": "active_low_synchronous"}
    return {"clock": "clk", "reset": "rst", "reset_active": "high", "reset_polarity": "active_high_synchronous"}


def _spec(name: str, direction: str, per: str, data: FieldSpec, flags: tuple[str, ...],
          latency_cycles: int | None = None, *, axis: bool = False, id_width: int = 0) -> StreamSpec:
    """One stream: bare (``data`` then the flags, then ``id``, in one payload) or AXI4-Stream
    (``data`` alone in a byte-aligned ``tdata``, the flags and ``id`` on sideband ports)."""
    flags = (*flags, "id") if id_width else flags
    fw = {f: (id_width if f == "id" else 1) for f in flags}
    if axis:
        return StreamSpec(name=name, valid=axis_port(name, "tvalid"), ready=axis_port(name, "tready"),
                          payload=axis_port(name, "tdata"), width=-(-data.width // 8) * 8, fields={"data": data},
                          latency_cycles=latency_cycles, direction=direction, per=per,
                          sideband={f: axis_port(name, _AXIS_SIDEBAND[f]) for f in flags}, sideband_width=fw)
    fields = {"data": data}
    off = data.width
    for flag in flags:
        fields[flag] = FieldSpec(flag, off, fw[flag])
        off += fw[flag]
    return StreamSpec(name=name, valid=port_name(name, "valid"), ready=port_name(name, "ready"),
                      payload=port_name(name, "payload"), width=off, fields=fields,
                      latency_cycles=latency_cycles, direction=direction, per=per)


def stream_specs(model, hw, schedule=None) -> dict[str, StreamSpec]:
    """The ``x``, ``y`` (and, with ``hw.expose_state``, ``h``) streams of the design of
    ``model`` built as ``hw``: port names, payload widths and fields (SPEC §4). With a
    ``schedule`` the output streams carry their latencies."""
    from .config import Interface, OutputMode
    from .schedule import ceil_log2
    from .widths import design_widths

    cfg = model.config
    axis = hw.interface is Interface.AXIS
    idw = ceil_log2(hw.interleave)  # SPEC §4.1: an id field of ceil(log2 C) bits when C > 1
    if model.onehot:
        x_data = FieldSpec("data", 0, cfg.in_bits, 1, cfg.in_bits, False, kind="token")
    else:
        x_data = FieldSpec("data", 0, cfg.n_in * cfg.in_bits, cfg.n_in, cfg.in_bits, cfg.in_signed)
    wy = design_widths(model, hw).width("y")
    every = cfg.output is OutputMode.EVERY_STEP
    kw = {"axis": axis, "id_width": idw}
    out = {
        "x": _spec("x", "in", "step", x_data, ("first", "last"), **kw),
        "y": _spec("y", "out", "step" if every else "sequence",
                   FieldSpec("data", 0, cfg.n_out * wy, cfg.n_out, wy, True), ("last",),
                   None if schedule is None else schedule.latency_cycles, **kw),
    }
    if hw.expose_state:
        out["h"] = _spec("h", "out", "step",
                         FieldSpec("data", 0, cfg.hidden * cfg.state_bits, cfg.hidden, cfg.state_bits, True),
                         ("last",), None if schedule is None else schedule.latency_cycles_h, **kw)
    return out


def _constant(k: int) -> dict:
    from .fixedpoint import csd

    digits = csd(k)
    return {"value": k, "shift_only": k & (k - 1) == 0, "signed_digits": len(digits),
            "csd": [[s, d] for s, d in digits]}


def make_manifest(model, hw, *, artifact_sha256: str, internal_widths: dict[str, int] | None = None) -> dict:
    """The whole ``hrnn-rtl/1`` manifest of ``model`` built as ``hw`` (``internal_widths``:
    the widths of the RTL's own registers, recorded as ``widths["rtl.<name>"]``)."""
    from . import __version__
    from .config import Interface, Weights
    from .constants import RecurrenceConstant
    from .schedule import make_schedule
    from .widths import design_widths

    cfg = model.config
    S = make_schedule(model, hw)
    widths = dict(design_widths(model, hw).to_json())
    widths.update({f"rtl.{k}": v for k, v in sorted((internal_widths or {}).items())})
    rc = RecurrenceConstant(cfg.A, cfg.block, cfg.frac_bits)
    manifest = {
        "format": MANIFEST_FORMAT,
        "top": hw.top,
        "verilog": f"{hw.top}.v",
        "artifact_sha256": artifact_sha256,
        "arch": hw.arch.value,
        "params": {
            "lanes": hw.lanes,
            "pipeline": hw.pipeline,
            "expose_state": hw.expose_state,
            "addsub": hw.addsub,
            "rows_per_cycle": S.lanes,
            "cycles_per_window": S.groups,
        },
        **clock_reset(hw),
        "interface": hw.interface.value,
        "weights": hw.weights.value,
        "streams": {n: s.to_json() for n, s in stream_specs(model, hw, S).items()},
        "widths": widths,
        "interleave": hw.interleave,
        "cycles_per_step": S.cycles_per_step,
        "latency_cycles": S.latency_cycles,
        "loop_cycles": S.loop_cycles,
        "latency_cycles_h": S.latency_cycles_h if hw.expose_state else None,
        "cycles_per_step_set_by": S.set_by,
        "cycles_per_step_parts": dict(S.parts),
        "schedule": S.to_json(),
        "constants": {"A": {**_constant(cfg.A), "gain": rc.gain, "exact": rc.exact}, "B": _constant(cfg.B)},
        "model": cfg.to_json(),
        "model_tag": cfg.tag,
        "hardware": hw.to_json(),
        "hardware_tag": hw.tag,
        "tag": f"{cfg.tag}-{hw.tag}",
        "generator": {"package": "hadam-hw", "version": __version__, "module": "rtl_gen"},
    }
    if hw.weights is Weights.RUNTIME:
        from .regmap import design_regmap

        manifest["regmap"] = design_regmap(model, hw).to_json()
    assert hw.interface is Interface.AXIS or "regmap" not in manifest
    return manifest
