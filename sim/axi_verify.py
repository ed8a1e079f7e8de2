"""Verification of AXI designs (``interface: "axis"``) with the cocotbext-axi testbench.

:func:`verify_axi` generates the design of the first model (the one whose weights the
memories start with, or are baked), builds it once, and plays :mod:`sim.axi_testbench`:
with runtime weights every model is loaded in turn over AXI4-Lite into the same simulated
design and checked against the golden model; with baked weights the one model is checked.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

from hadam_hw.artifact import save_artifact
from hadam_hw.config import HardwareConfig, Interface, Weights
from hadam_hw.errors import HadamHWError
from hadam_hw.manifest import load_manifest
from hadam_hw.model import HadamModel
from hadam_hw.regmap import weight_writes

from .runner import SIMULATORS, build_design, run_plan
from .verify import _as_model, design_dir, generate

__all__ = ["AxiResult", "verify_axi"]


@dataclass
class AxiResult:
    passed: bool
    checks: list[str] = field(default_factory=list)
    failure: str | None = None
    wall_s: float = 0.0
    sim_wall_s: float = 0.0
    run_dir: str = ""
    report: dict = field(default_factory=dict)

    def summary(self) -> str:
        head = "PASS" if self.passed else "FAIL"
        lines = [f"{head}: {len(self.checks)} checks in {self.wall_s:.1f} s (simulation {self.sim_wall_s:.1f} s)"]
        lines += [f"  - {c}" for c in self.checks]
        if self.failure:
            lines.append(f"  first failure: {self.failure} (run folder {self.run_dir})")
        return "\n".join(lines)


def verify_axi(models: list[HadamModel | str | os.PathLike], hw: HardwareConfig, *, simulator: str = "icarus",
               sequences: int = 3, seq_len: int = 12, seed: int = 0, pauses: str = "bursty",
               build_dir: str | os.PathLike | None = None, timeout_us: float = 2000.0) -> AxiResult:
    """Generate the AXI design of ``models[0]`` built as ``hw`` and check every model on it."""
    if hw.interface is not Interface.AXIS:
        raise HadamHWError(f"verify_axi checks AXI designs; {hw.tag} has interface {hw.interface.value!r}")
    if simulator not in SIMULATORS:
        raise HadamHWError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    try:
        import cocotbext.axi  # noqa: F401 - the testbench's drivers
    except ImportError:
        raise HadamHWError("AXI designs are verified with cocotbext-axi: pip install cocotbext-axi "
                           "(or the project's test extra)") from None
    if hw.weights is Weights.BAKED and len(models) != 1:
        raise HadamHWError("a baked-weights design holds one model: pass exactly one")
    t0 = time.perf_counter()
    loaded = [_as_model(m) for m in models]
    ddir = design_dir(loaded[0], hw, build_dir)
    manifest_path = generate(loaded[0], hw, ddir / "rtl")
    manifest = load_manifest(manifest_path)
    for m in loaded:
        manifest.check_model(m)
        if manifest.regmap is not None:
            weight_writes(m, manifest.regmap)  # refuses another shape, in one message, before simulating
    build = build_design(manifest, simulator, ddir / f"{simulator}-axi")
    run_dir = ddir / f"{simulator}-axi" / f"run-seed{seed}"
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, m in enumerate(loaded):
        p = run_dir / f"model{i}.hrnn.npz"
        save_artifact(m, p)
        paths.append(str(p.resolve()))
    plan = {"manifest": str(manifest.path.resolve()), "models": paths, "sequences": sequences, "seq_len": seq_len,
            "seed": seed, "pauses": pauses, "timeout_us": timeout_us,
            "report": str((run_dir / "report.json").resolve())}
    (run_dir / "plan.json").write_text(json.dumps(plan, indent=2))
    rep = run_plan(build, run_dir / "plan.json", run_dir / "report.json", run_dir, seed=seed,
                   test_module="sim.axi_testbench", plan_env="HADAM_AXI_PLAN")
    return AxiResult(passed=bool(rep["ok"]), checks=list(rep["checks"]), failure=rep.get("failure"),
                     wall_s=time.perf_counter() - t0, sim_wall_s=float(rep.get("sim_wall_s", 0.0)),
                     run_dir=str(run_dir), report=rep)
