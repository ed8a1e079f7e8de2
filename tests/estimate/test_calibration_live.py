"""The analytic model against Yosys itself on the validation set (slow: synthesis, cached).

Cold, this synthesizes 12 configurations per target (minutes on ECP5, longer on iCE40);
with the estimate cache warm it takes seconds.
"""

import numpy as np
import pytest

from estimate.calibrate import VALIDATION_SET
from estimate.model import load_calibration, predict
from estimate.sweep import synth_points

from .test_model import LUT_BOUNDS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("target", sorted(LUT_BOUNDS))
def test_analytic_error_against_yosys(target):
    cal = load_calibration(target)
    results = synth_points(list(VALIDATION_SET), target, flow=cal.flow, flags=cal.flags)
    errs = []
    for p, r in zip(VALIDATION_SET, results, strict=True):
        est = predict(p.model(), p.hw(), target)
        assert est.latency_cycles == r["latency_cycles"] and est.cycles_per_step == r["cycles_per_step"]
        errs.append(est.luts / r["luts"] - 1)
    mean_bound, max_bound = LUT_BOUNDS[target]
    assert np.mean(np.abs(errs)) <= mean_bound
    assert np.max(np.abs(errs)) <= max_bound
