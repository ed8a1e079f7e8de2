"""The jobs of a co-design sweep: what runs on a worker (a local process or a Ray task).

Each is a module-level function of plain data (JSON text, artifact bytes), so any backend
can ship it, and returns an :class:`~estimate.backends.JobOutput` whose files the driver
writes atomically into its caches: nothing here writes outside a private temporary folder.

- :func:`train_job`: one training run → ``model.hrnn.npz``, ``metrics.json`` (last: its
  presence marks a complete entry) and ``train.log``;
- :func:`estimate_job`: the analytic estimate, and Yosys (optionally nextpnr) figures of one
  design on one target → ``<key>.json``;
- :func:`verify_job`: a short cocotb run of one design against the golden model → ``<key>.json``.

Heavy packages (torch, Amaranth, cocotb) are imported inside, on the worker.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

from estimate.backends import JobOutput

__all__ = ["train_job", "estimate_job", "verify_job", "model_from_bytes", "train_summary"]


def model_from_bytes(data: bytes):
    """The :class:`~hadam_hw.model.HadamModel` of an artifact's bytes (checked as a file would be)."""
    from hadam_hw.artifact import load_artifact

    with tempfile.TemporaryDirectory(prefix="hadam-codesign-") as tmp:
        path = Path(tmp) / "model.hrnn.npz"
        path.write_bytes(data)
        return load_artifact(path)


def train_summary(metrics: dict) -> dict:
    """The figures of a training run a co-design table shows."""
    test = metrics.get("final", {}).get("test", {})
    return {"accuracy": test.get("integer", {}).get("accuracy"), "accuracy_float": test.get("float", {}).get("accuracy"),
            "seq_len": metrics.get("seq_len"), "train_seconds": metrics.get("train_seconds")}


def train_job(cfg_json: str) -> JobOutput:
    """Train one :class:`~train.TrainConfig` (its JSON) in a private folder; its files as bytes."""
    from train import TrainConfig, run_training

    cfg = TrainConfig.from_json(json.loads(cfg_json))
    log = io.StringIO()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hadam-train-") as tmp:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            run_dir = run_training(cfg, run_dir=Path(tmp) / "run")
        metrics = (run_dir / "metrics.json").read_bytes()
        model = (run_dir / "model.hrnn.npz").read_bytes()
    log.write(f"trained {cfg.tag} in {time.perf_counter() - t0:.1f} s\n")
    summary = train_summary(json.loads(metrics))
    return JobOutput(summary, {"model.hrnn.npz": model, "train.log": log.getvalue().encode(),
                               "metrics.json": metrics})


def estimate_job(artifact: bytes, hw_json: str, target: str, *, fast: bool, pnr: bool, flow: str,
                 freq_mhz: float, cache_dir: str | None, out_name: str) -> JobOutput:
    """The analytic figures of one design (always), and Yosys/nextpnr ones unless ``fast``."""
    from estimate.report import estimate
    from hadam_hw.config import HardwareConfig

    model = model_from_bytes(artifact)
    hw = HardwareConfig.from_json(json.loads(hw_json))
    hw.check_against(model.config)
    t0 = time.perf_counter()
    ana = estimate(model, hw, target, fast=True, baseline=True)
    fig = {"analytic_luts": ana["luts"], "analytic_ffs": ana["ffs"], "dense_luts": ana["dense"]["luts"],
           "luts_vs_dense": ana["luts_vs_dense"], "cycles_per_step": ana["cycles_per_step"],
           "latency_cycles": ana["latency_cycles"], "set_by": ana["set_by"], "source": "analytic",
           "luts": ana["luts"], "ffs": ana["ffs"], "dsps": ana["dsps"], "brams": ana["brams"], "fmax_mhz": None,
           "yosys_command": None}
    if not fast:
        rep = estimate(model, hw, target, fast=False, pnr=pnr, flow=flow, freq_mhz=freq_mhz, baseline=False,
                       cache_dir=Path(cache_dir) if cache_dir else None)
        fig.update({"source": "yosys+nextpnr" if pnr else "yosys", "luts": rep["luts"], "ffs": rep["ffs"],
                    "dsps": rep["dsps"], "brams": rep["brams"], "fmax_mhz": rep.get("fmax_mhz"),
                    "yosys_command": rep["command"], "yosys_version": rep["yosys_version"],
                    "synth_cached": rep["cached"]})
    fig["seconds"] = round(time.perf_counter() - t0, 2)
    return JobOutput(fig, {out_name: (json.dumps(fig, indent=1) + "\n").encode()})


def verify_job(artifact: bytes, hw_json: str, *, simulator: str, sequences: int, seq_len: int, seed: int,
               out_name: str) -> JobOutput:
    """A short cocotb run of one design against the golden model (build in a private folder)."""
    from hadam_hw.config import HardwareConfig
    from sim.verify import verify

    model = model_from_bytes(artifact)
    hw = HardwareConfig.from_json(json.loads(hw_json))
    with tempfile.TemporaryDirectory(prefix="hadam-verify-") as tmp:
        res = verify(model, hw, simulator=simulator, sequences=sequences, seq_len=seq_len, seed=seed,
                     build_dir=tmp)
        summary = res.summary()
        if not res.passed and res.log and Path(res.log).is_file():  # the build folder goes: keep the log's end
            tail = Path(res.log).read_text(errors="replace").splitlines()[-40:]
            summary += "\n--- simulator log, last 40 lines ---\n" + "\n".join(tail)
    out = {"passed": res.passed, "simulator": simulator, "steps_checked": res.steps_checked, "cycles": res.cycles,
           "first_failure": res.first_failure, "wall_s": round(res.wall_s, 2), "summary": summary}
    return JobOutput(out, {out_name: (json.dumps(out, indent=1) + "\n").encode()})
