"""Cost estimates: real synthesis (YoWASP Yosys, nextpnr) and a calibrated analytic model."""

from .synth import TARGETS, SynthResult, Target, synthesize

__all__ = ["TARGETS", "SynthResult", "Target", "synthesize"]
