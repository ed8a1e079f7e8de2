"""Cost estimates: real synthesis (YoWASP Yosys, nextpnr) and a calibrated analytic model.

- :func:`synthesize` (``synth``): Yosys per target, LUT-equivalents, FFs, BRAM, DSP, Fmax, cached;
- :func:`predict` (``model``): the analytic model, features from :mod:`estimate.resources`
  weighed with the per-target coefficients in ``calibration/<target>.json``;
- :func:`estimate` (``report``): one configuration with the dense baseline at the same
  throughput and the adder lower bound (what ``hadam-hw estimate`` prints);
- :func:`run_sweep` (``sweep``): a grid of design points, parallel and cached, CSV/Markdown/plots;
- :func:`calibrate` (``calibrate``): refit a target's coefficients against Yosys.

Nothing here imports Amaranth at module level; generating RTL imports ``rtl_gen`` lazily.
"""

from rtl_gen.cache import generate_cached

from .bounds import AdderBound, adder_lower_bound
from .calibrate import CALIBRATION_SET, VALIDATION_SET, calibrate
from .model import AnalyticEstimate, Calibration, load_calibration, predict
from .points import DesignPoint
from .report import dense_match, estimate, format_report
from .sweep import Grid, SweepResult, run_sweep
from .synth import TARGETS, SynthResult, Target, synthesize

__all__ = [
    "TARGETS", "SynthResult", "Target", "synthesize", "AdderBound", "adder_lower_bound", "AnalyticEstimate",
    "Calibration", "load_calibration", "predict", "DesignPoint", "generate_cached", "dense_match", "estimate",
    "format_report", "Grid", "SweepResult", "run_sweep", "calibrate", "CALIBRATION_SET", "VALIDATION_SET",
]
