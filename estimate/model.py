"""The analytic cost model: resource features × per-target coefficients fitted against Yosys.

:func:`estimate.resources.resources` counts what the cell is made of (adder bits,
compressor bits, multiplexer bits, table LUTs, flip-flops …, per component). This module
weighs them with coefficients fitted per target by :mod:`estimate.calibrate` and
stored in ``calibration/<target>.json`` beside this file, with the flow, flags and Yosys
version they were fitted with and the Yosys figures they were fitted to (the baselines):

    LUTs = Σ_f c_f · feature_f  (f in alu, csa, mux, rom, mul, lutram, ctl) + c_0
    FFs  = c_ff · ff + c_z · ff_zero + c_0'      DSPs, block RAMs: counted by the target's mapping rules

``cycles_per_step`` and ``latency_cycles`` come from the schedule the RTL is built from, so
they are exact. No synthesis, no Amaranth: a prediction takes milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hadam_hw.config import HardwareConfig
from hadam_hw.errors import HadamHWError
from hadam_hw.model import HadamModel

__all__ = ["Calibration", "AnalyticEstimate", "load_calibration", "calibration_path", "predict",
           "predict_from_resources", "CALIBRATION_DIR"]

CALIBRATION_DIR = Path(__file__).with_name("calibration")


@dataclass(frozen=True)
class Calibration:
    """Fitted coefficients for one target and the Yosys baselines they came from."""

    target: str
    flow: str
    flags: tuple[str, ...]
    yosys_version: str
    lut: dict[str, float]  # feature -> LUT-equivalents per unit ("const": per design)
    ff: dict[str, float]
    stats: dict = field(default_factory=dict)
    calibration_points: list = field(default_factory=list)  # [{"point": {...}, "yosys": {...}}]
    validation_points: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "format": "hadam-hw-calibration/1", "target": self.target, "flow": self.flow,
            "flags": list(self.flags), "yosys_version": self.yosys_version,
            "coefficients": {"lut": self.lut, "ff": self.ff}, "stats": self.stats,
            "calibration_points": self.calibration_points, "validation_points": self.validation_points,
        }

    @classmethod
    def from_json(cls, obj: dict) -> Calibration:
        if obj.get("format") != "hadam-hw-calibration/1":
            raise HadamHWError(f"not a hadam-hw calibration file (format {obj.get('format')!r})")
        return cls(
            target=obj["target"], flow=obj["flow"], flags=tuple(obj["flags"]), yosys_version=obj["yosys_version"],
            lut=dict(obj["coefficients"]["lut"]), ff=dict(obj["coefficients"]["ff"]), stats=obj.get("stats", {}),
            calibration_points=obj.get("calibration_points", []), validation_points=obj.get("validation_points", []),
        )


def calibration_path(target: str, directory: Path | None = None) -> Path:
    return (directory or CALIBRATION_DIR) / f"{target}.json"


@lru_cache(maxsize=16)
def _load(path: str, mtime: float) -> Calibration:
    return Calibration.from_json(json.loads(Path(path).read_text()))


def load_calibration(target: str, directory: Path | None = None) -> Calibration:
    """The stored calibration of ``target`` (refit with ``hadam-hw estimate --calibrate``)."""
    p = calibration_path(target, directory)
    if not p.is_file():
        have = sorted(q.stem for q in (directory or CALIBRATION_DIR).glob("*.json"))
        raise HadamHWError(
            f"no analytic calibration for target {target} (have: {', '.join(have) or 'none'}); "
            f"run 'hadam-hw estimate --calibrate --target {target}'"
        )
    return _load(str(p), p.stat().st_mtime)


@dataclass
class AnalyticEstimate:
    target: str
    luts: float
    ffs: float
    dsps: int
    brams: int
    cycles_per_step: int
    latency_cycles: int
    set_by: str
    parts: dict  # cycles per step each part needs
    breakdown: list  # [{"name", "part", "luts", "ffs", "formula"}]
    by_part: dict  # part -> {"luts", "ffs"}
    facts: dict
    calibration: dict  # flow, flags, yosys version of the coefficients

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _weigh(features: dict[str, float], coef: dict[str, float]) -> float:
    return sum(coef.get(k, 0.0) * v for k, v in features.items())


def predict_from_resources(res, cal: Calibration) -> AnalyticEstimate:
    """Weigh a :class:`estimate.resources.Resources` with ``cal``'s coefficients."""
    from estimate.resources import FF_FEATURES

    breakdown, by_part = [], {}
    for c in res.components:
        lut = _weigh(c.features, cal.lut)
        ff = _weigh({k: c.features.get(k, 0.0) for k in FF_FEATURES}, cal.ff)
        breakdown.append({"name": c.name, "part": c.part, "luts": lut, "ffs": ff, "formula": c.formula,
                          "dsps": int(round(c.features.get("dsp", 0.0))), "brams": int(round(c.features.get("bram", 0.0)))})
        bp = by_part.setdefault(c.part, {"luts": 0.0, "ffs": 0.0})
        bp["luts"] += lut
        bp["ffs"] += ff
    t = res.totals()
    luts = _weigh(t, cal.lut) + cal.lut.get("const", 0.0)
    ffs = _weigh({k: t[k] for k in FF_FEATURES}, cal.ff) + cal.ff.get("const", 0.0)
    by_part.setdefault("control", {"luts": 0.0, "ffs": 0.0})
    by_part["control"]["luts"] += cal.lut.get("const", 0.0)
    by_part["control"]["ffs"] += cal.ff.get("const", 0.0)
    f = res.facts
    return AnalyticEstimate(
        target=res.target, luts=luts, ffs=ffs, dsps=int(round(t["dsp"])), brams=int(round(t["bram"])),
        cycles_per_step=f["cycles_per_step"], latency_cycles=f["latency_cycles"], set_by=f["set_by"],
        parts=f["parts"], breakdown=breakdown, by_part=by_part, facts=f,
        calibration={"flow": cal.flow, "flags": list(cal.flags), "yosys_version": cal.yosys_version,
                     "stats": cal.stats},
    )


def predict(model: HadamModel, hw: HardwareConfig, target: str, *, calibration: Calibration | None = None) -> AnalyticEstimate:
    """LUTs, FFs, DSPs, block RAMs and the exact timing of ``model`` built as ``hw`` on ``target``."""
    from estimate.interface import interface_components
    from estimate.resources import resources

    cal = calibration or load_calibration(target)
    res = resources(model, hw, target)
    res.components.extend(interface_components(model, hw, target))  # runtime weights: RAMs, AXI4-Lite
    return predict_from_resources(res, cal)
