"""The Verilog writer: one model artifact × one hardware configuration → ``NAME.v`` + ``manifest.json``.

Everything is validated (and the cell elaborated and converted) before the first byte is
written; both files are then written atomically (temporary file, then ``os.replace``), the
Verilog first, so a manifest on disk always describes the Verilog beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from hadam_hw.artifact import artifact_bytes, atomic_write_bytes
from hadam_hw.config import HardwareConfig, Interface, Weights
from hadam_hw.errors import ConfigError
from hadam_hw.fusesoc import fusesoc_core
from hadam_hw.manifest import MANIFEST_FORMAT as FORMAT
from hadam_hw.manifest import make_manifest as kernel_manifest
from hadam_hw.model import HadamModel
from hadam_hw.schedule import check_hardware

from .lint import VERILATOR_WAIVERS

__all__ = ["FORMAT", "build_cell", "convert_cell", "make_manifest", "generate", "render", "evaluate_comb_at_time_zero"]


def build_cell(model: HadamModel, hw: HardwareConfig):
    """The Amaranth top component for ``model`` built as ``hw``: the
    :class:`rtl_gen.cell.HadamRNNCell` itself with bare streams, or the cell inside
    :class:`rtl_gen.axi_stream.HadamRNNAxi` with the AXI interface (and, with runtime
    weights, a :class:`rtl_gen.weight_store.WeightStore` the cell reads its tables from)."""
    from .cell import HadamRNNCell

    hw.check_top()
    if hw.interface is not Interface.AXIS:
        return HadamRNNCell(model, hw)
    from .axi_stream import HadamRNNAxi

    inner = hw.replace(interface=Interface.STREAMS)
    if hw.weights is Weights.RUNTIME:
        from hadam_hw.regmap import design_regmap

        from .weight_store import WeightStore

        rm = design_regmap(model, hw)
        store = WeightStore(model, rm)
        return HadamRNNAxi(HadamRNNCell(model, inner, tables=store), hw, store=store, regmap=rm)
    return HadamRNNAxi(HadamRNNCell(model, inner), hw)


# Yosys writes every combinational process as an ``always @*`` block that also reads a
# per-module dummy, ``reg \$auto$verilog_backend.cc:N:dump_module$K = 0;``, so that simulators
# run the block once at time zero (YosysHQ/yosys#2271). Under SystemVerilog rules, which Icarus
# follows with ``-g2012`` (how cocotb runs it), a declaration's initial value is set before any
# process starts and is no event: a block whose inputs all keep their initial values (a
# multiplexer selecting block 0 of a state that is still 0) is never run and stays X, which
# Verilator (2-state, evaluates everything at start) and Amaranth's simulator never show. An
# ``initial`` assignment sets the same value as an event, after the always blocks have started
# waiting (Icarus runs initial processes last at time zero).
_TIME_ZERO_TRIGGER = re.compile(r"^(?P<indent>[ \t]*)reg (?P<name>\\\$auto\$verilog_backend\.cc:\d+:dump_module\$\d+)"
                                r"\s+= 0;$", re.MULTILINE)


def evaluate_comb_at_time_zero(text: str) -> str:
    """Yosys-written Verilog ``text`` with each module's time-zero trigger of its ``always @*``
    blocks set by an ``initial`` assignment instead of the declaration's initial value, so that
    every combinational block runs at time zero in every simulator (Icarus in SystemVerilog mode
    included). The logic is unchanged; synthesis reads the same initial value."""
    return _TIME_ZERO_TRIGGER.sub(lambda mo: f"{mo['indent']}reg {mo['name']} ;\n"
                                             f"{mo['indent']}initial {mo['name']}  = 1'h0;", text)


def convert_cell(cell) -> str:
    """Verilog text of an (unelaborated) cell; the top module is named ``cell.hw.top``."""
    from amaranth.back import verilog

    return evaluate_comb_at_time_zero(verilog.convert(cell, name=cell.hw.top, emit_src=False,
                                                      strip_internal_attrs=True))


def _ports(cell) -> set[str]:
    """Verilog port names of the top, as ``verilog.convert`` derives them from the signature."""
    return {"__".join(map(str, path)) for path, _member, _value in cell.signature.flatten(cell)}


def make_manifest(cell, *, artifact_sha256: str) -> dict:
    """The ``hrnn-rtl/1`` manifest of a cell that has been converted (elaborated), from
    :func:`hadam_hw.manifest.make_manifest`; refuses a cell whose ports differ from it."""
    manifest = kernel_manifest(cell.model, cell.hw, artifact_sha256=artifact_sha256,
                               internal_widths=dict(cell.internal_widths.items()))
    ports = _ports(cell)
    for name, spec in manifest["streams"].items():
        want = [spec[k] for k in ("valid", "ready", "payload")] + list(spec.get("sideband", {}).values())
        missing = [p for p in want if p not in ports]
        if missing:
            raise ConfigError(f"the design has no port {', '.join(missing)} of the manifest's {name} stream")
    for key in ("clock", "reset"):
        if manifest["interface"] == "axis" and manifest[key] not in ports:
            raise ConfigError(f"the design has no {key} port {manifest[key]}")
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
