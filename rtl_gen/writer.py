"""The Verilog writer: one model artifact × one hardware configuration → ``NAME.v`` + ``manifest.json``.

Everything is validated (and the cell elaborated and converted) before the first byte is
written; both files are then written atomically (temporary file, then ``os.replace``), the
Verilog first, so a manifest on disk always describes the Verilog beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from hadam_hw import __version__
from hadam_hw.artifact import artifact_bytes, atomic_write_bytes
from hadam_hw.config import HardwareConfig
from hadam_hw.constants import RecurrenceConstant
from hadam_hw.errors import ConfigError
from hadam_hw.fixedpoint import csd
from hadam_hw.fusesoc import fusesoc_core
from hadam_hw.model import HadamModel

from .lint import VERILATOR_WAIVERS
from .schedule import check_hardware

__all__ = ["FORMAT", "build_cell", "convert_cell", "make_manifest", "generate", "render"]

FORMAT = "hrnn-rtl/1"


def build_cell(model: HadamModel, hw: HardwareConfig):
    """The Amaranth component (:class:`rtl_gen.cell.HadamRNNCell`) for ``model`` built as ``hw``."""
    from .cell import HadamRNNCell

    return HadamRNNCell(model, hw)


def convert_cell(cell) -> str:
    """Verilog text of an (unelaborated) cell; the top module is named ``cell.hw.top``."""
    from amaranth.back import verilog

    return verilog.convert(cell, name=cell.hw.top, emit_src=False, strip_internal_attrs=True)


def _ports(cell) -> dict[str, dict[str, str]]:
    """Verilog port names of each stream member, as ``verilog.convert`` derives them."""
    ports: dict[str, dict[str, str]] = {}
    for path, _member, _value in cell.signature.flatten(cell):
        name = "__".join(map(str, path))
        ports.setdefault(str(path[0]), {})[str(path[-1])] = name
    return ports


def _constant(k: int) -> dict:
    digits = csd(k)
    return {
        "value": k,
        "shift_only": k & (k - 1) == 0,
        "signed_digits": len(digits),
        "csd": [[s, d] for s, d in digits],
    }


def make_manifest(cell, *, artifact_sha256: str) -> dict:
    """The ``hrnn-rtl/1`` manifest of a cell that has been converted (elaborated)."""
    model, hw, S = cell.model, cell.hw, cell.schedule
    cfg = model.config
    w = cell.widths
    ports = _ports(cell)
    x_data = cfg.in_bits if model.onehot else cfg.n_in * cfg.in_bits
    wy = w.width("y")
    streams = {
        "x": {
            **ports["x"], "direction": "in", "per": "step", "width": x_data + 2,
            "fields": {
                "data": ({"offset": 0, "width": x_data, "lanes": 1, "lane_width": cfg.in_bits, "signed": False,
                          "kind": "token"} if model.onehot else
                         {"offset": 0, "width": x_data, "lanes": cfg.n_in, "lane_width": cfg.in_bits,
                          "signed": cfg.in_signed}),
                "first": {"offset": x_data, "width": 1},
                "last": {"offset": x_data + 1, "width": 1},
            },
        },
        "y": {
            **ports["y"], "direction": "out", "per": "step" if cfg.output.value == "every_step" else "sequence",
            "width": cfg.n_out * wy + 1, "latency_cycles": S.latency_cycles,
            "fields": {
                "data": {"offset": 0, "width": cfg.n_out * wy, "lanes": cfg.n_out, "lane_width": wy, "signed": True},
                "last": {"offset": cfg.n_out * wy, "width": 1},
            },
        },
    }
    if hw.expose_state:
        hd = cfg.hidden * cfg.state_bits
        streams["h"] = {
            **ports["h"], "direction": "out", "per": "step", "width": hd + 1,
            "latency_cycles": S.latency_cycles_h,
            "fields": {
                "data": {"offset": 0, "width": hd, "lanes": cfg.hidden, "lane_width": cfg.state_bits, "signed": True},
                "last": {"offset": hd, "width": 1},
            },
        }
    widths = dict(w.to_json())
    widths.update({f"rtl.{k}": v for k, v in sorted(cell.internal_widths.items())})
    rc = RecurrenceConstant(cfg.A, cfg.block, cfg.frac_bits)
    manifest = {
        "format": FORMAT,
        "top": hw.top,
        "verilog": f"{hw.top}.v",
        "artifact_sha256": artifact_sha256,
        "arch": hw.arch.value,
        "params": {
            "lanes": hw.lanes,
            "pipeline": hw.pipeline,
            "expose_state": hw.expose_state,
            "rows_per_cycle": S.lanes,
            "cycles_per_window": S.groups,
        },
        "clock": "clk",
        "reset": "rst",
        "reset_polarity": "active_high_synchronous",
        "streams": streams,
        "widths": widths,
        "cycles_per_step": S.cycles_per_step,
        "latency_cycles": S.latency_cycles,
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
    return manifest


def render(model: HadamModel, hw: HardwareConfig, *, artifact_sha256: str | None = None) -> tuple[str, dict]:
    """Build, convert and describe the cell in memory: ``(verilog_text, manifest)``."""
    check_hardware(model, hw)
    if artifact_sha256 is None:
        artifact_sha256 = hashlib.sha256(artifact_bytes(model)).hexdigest()
    cell = build_cell(model, hw)
    text = convert_cell(cell)
    return text, make_manifest(cell, artifact_sha256=artifact_sha256)


def generate(model: HadamModel, hw: HardwareConfig, out_dir: str | os.PathLike, *,
             artifact_sha256: str | None = None) -> dict:
    """Write ``out_dir/<top>.v``, ``out_dir/manifest.json`` and a FuseSoC ``<top>.core``.

    Returns the manifest. The ``.core`` file lets FPGA flows pull the design in
    (``fusesoc library add hadam out_dir``).

    ``artifact_sha256`` names the artifact file the model came from (default: the hash of
    the bytes :func:`hadam_hw.artifact.save_artifact` would write for ``model``). Nothing is
    written unless the whole design was built.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output directory {out} exists and is not a directory")
    text, manifest = render(model, hw, artifact_sha256=artifact_sha256)
    atomic_write_bytes(out / manifest["verilog"], text.encode())
    atomic_write_bytes(out / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
    atomic_write_bytes(out / f"{manifest['top']}.core", fusesoc_core(manifest, VERILATOR_WAIVERS).encode())
    return manifest
