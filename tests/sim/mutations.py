"""Deliberate defects for mutation testing: a testbench that passes these is blind.

Three kinds, each made robust to how ``rtl_gen`` happens to name things:

- a sign constant flipped: :func:`flip_model_sign` changes one entry of ``diag(u)`` in the
  model and the design is generated from that (works for every architecture); for the
  butterfly, :func:`flip_butterfly_add` also turns one first-stage ``a + b`` of the
  transform into ``a − b`` in the Verilog text;
- a pipeline register removed: :func:`remove_register` turns one clocked assignment into
  a combinational one; :func:`find_pipeline_registers` lists candidates (registers with
  no enable whose name follows the generator's adder-tree / butterfly-stage convention);
- the saturation removed: :func:`remove_saturation` replaces every comparison of a value
  with the state's bounds ``2^(sb−1) − 1`` / ``−2^(sb−1)`` by a constant false, so the
  state wraps instead of saturating.

Each text mutation returns the new text and how many places it changed, and raises when
it finds nothing, so a generator change cannot silently turn a mutation test into a no-op.
"""

from __future__ import annotations

import re

import numpy as np

from hadam_hw.model import HadamModel

__all__ = [
    "MutationError",
    "flip_model_sign",
    "flip_butterfly_add",
    "find_pipeline_registers",
    "remove_register",
    "remove_saturation",
]


class MutationError(RuntimeError):
    """The pattern a mutation needs is not in the Verilog (the generator changed)."""


def flip_model_sign(model: HadamModel, index: int) -> HadamModel:
    """The same model with ``sign[index]`` negated."""
    sign = model.sign.astype(np.int64).copy()
    sign[index] = -sign[index]
    return HadamModel(config=model.config, sign=sign, U=model.U, C=model.C, V=model.V, c=model.c,
                      scales=model.scales, provenance={**model.provenance, "mutation": f"sign[{index}] flipped"})


_BF_ADD = re.compile(r"(assign\s+s1_(\d+)\s*=\s*\$signed\([^;]*?\))\s*\+\s*(\$signed\([^;]*?\);)")


def flip_butterfly_add(text: str, lane: int = 0) -> tuple[str, int]:
    """Turn the butterfly's first-stage ``s1_<lane> = a + b`` into ``a - b``."""
    for m in _BF_ADD.finditer(text):
        if int(m.group(2)) == lane:
            return text[:m.start()] + f"{m.group(1)} - {m.group(3)}" + text[m.end():], 1
    raise MutationError(f"no first-stage butterfly addition 's1_{lane} = a + b' in the Verilog")


_CLOCKED = re.compile(r"always @\(posedge (\w+)\)\s*\n\s*(\\?[\w$.]+)\s*<=\s*([^;]+);")
# sum_tree registers are <tree>_r<level>_<index>; butterfly stage registers p<stage>_<lane>
_PIPE_NAME = re.compile(r"^(\w+_r\d+_\d+|p\d+_\d+)$")


def find_pipeline_registers(text: str) -> list[str]:
    """Free-running registers (one clocked assignment, no enable) named like pipeline stages."""
    out = []
    for m in _CLOCKED.finditer(text):
        name = m.group(2)
        if _PIPE_NAME.match(name):
            out.append(name)
    return out


def remove_register(text: str, name: str) -> tuple[str, int]:
    """Make register ``name`` combinational: its value arrives one cycle early."""
    for m in _CLOCKED.finditer(text):
        if m.group(2) == name:
            new = f"always @*\n    {name} = {m.group(3)};"
            return text[:m.start()] + new + text[m.end():], 1
    raise MutationError(f"no clocked assignment of register {name!r} in the Verilog")


def remove_saturation(text: str, state_bits: int) -> tuple[str, int]:
    """Replace ``$signed(z) > $signed(<sb>'h<max>)`` and ``< $signed(<sb>'h<min>)`` by ``1'h0``."""
    hi = (1 << (state_bits - 1)) - 1
    lo = 1 << (state_bits - 1)  # -2^(sb-1) as an sb-bit pattern
    n = 0

    def sub(op: str, const: int, t: str) -> str:
        nonlocal n
        pat = re.compile(r"\$signed\([^;()]*\)\s*" + re.escape(op) + r"\s*\$signed\(" + str(state_bits)
                         + r"'h0*" + format(const, "x") + r"\)")
        t, k = pat.subn("1'h0", t)
        n += k
        return t

    text = sub(">", hi, text)
    text = sub("<", lo, text)
    if n == 0:
        raise MutationError(f"no comparison with the {state_bits}-bit state bounds (saturation) in the Verilog")
    return text, n
