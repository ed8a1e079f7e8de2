"""Which design to pick: every configuration of a model that meets a throughput and fits a
device, smallest first.

Candidates are every architecture of the registry (:mod:`hadam_hw.archs`) with each
option that applies to it (lanes: powers of two dividing the hidden size; pipelining 0
and 1), estimated with the calibrated analytic model (milliseconds each). A design fits
when its LUT-equivalents, flip-flops, DSPs and block RAMs are within the device's
capacities (:data:`hadam_hw.targets.DEVICES`); where the design's synthesis is cached, its
Yosys figure stands beside the model's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hadam_hw.archs import ARCH_SPECS
from hadam_hw.config import HardwareConfig
from hadam_hw.errors import HadamHWError
from hadam_hw.model import HadamModel
from hadam_hw.targets import get_device, get_target

__all__ = ["Candidate", "candidates", "recommend", "format_recommendation"]

PIPELINES = (0, 1)
_NAMES = {"luts": "LUTs", "ffs": "flip-flops", "dsps": "DSPs", "brams": "block RAMs"}


@dataclass(frozen=True)
class Candidate:
    hw: HardwareConfig
    cycles_per_step: int
    latency_cycles: int
    luts: int
    ffs: int
    dsps: int
    brams: int
    synth_luts: int | None  # Yosys, where this design's synthesis is cached
    use: dict  # resource -> fraction of the device
    fits: bool

    def to_json(self) -> dict:
        return {"arch": self.hw.arch.value, "lanes": self.hw.lanes, "pipeline": self.hw.pipeline,
                "cycles_per_step": self.cycles_per_step, "latency_cycles": self.latency_cycles,
                "luts": self.luts, "ffs": self.ffs, "dsps": self.dsps, "brams": self.brams,
                "synth_luts": self.synth_luts, "use": self.use, "fits": self.fits}


def candidates(model: HadamModel) -> list[HardwareConfig]:
    """Every hardware configuration the registry offers for ``model``."""
    d = model.config.hidden
    out = []
    for arch, spec in ARCH_SPECS.items():
        lanes = [1 << k for k in range(d.bit_length()) if d % (1 << k) == 0] if "lanes" in spec.options else [1]
        for L in lanes:
            for K in PIPELINES if "pipeline" in spec.options else (0,):
                out.append(HardwareConfig(arch=arch, lanes=L, pipeline=K))
    return out


def _cached_synth_luts(model, hw, target, cache_dir) -> int | None:
    from rtl_gen.cache import rtl_cache_lookup

    from .synth import cached_result

    hit = rtl_cache_lookup(model, hw, cache_dir=cache_dir)
    if hit is None:
        return None
    res = cached_result(hit[0], hw.top, target, cache_dir=None if cache_dir is None else Path(cache_dir) / "synth")
    return None if res is None else res.luts


def recommend(model: HadamModel, device: str, *, cycles_per_step: int | None = None,
              latency_cycles: int | None = None, cache_dir: Path | None = None,
              include_misfits: bool = False) -> list[Candidate]:
    """The designs of ``model`` meeting the limits and fitting ``device``, fewest LUTs first.

    Raises a :class:`HadamHWError` naming the nearest miss when none qualifies, never an
    empty list."""
    from .model import predict

    dev = get_device(device)
    target = get_target(dev.target).name
    rows: list[Candidate] = []
    buildable = list(_buildable(model))
    for hw, S in buildable:
        if cycles_per_step is not None and S.cycles_per_step > cycles_per_step:
            continue
        if latency_cycles is not None and S.latency_cycles > latency_cycles:
            continue
        a = predict(model, hw, target)
        need = {"luts": round(a.luts), "ffs": round(a.ffs), "dsps": a.dsps, "brams": a.brams}
        have = {"luts": dev.luts, "ffs": dev.ffs, "dsps": dev.dsps, "brams": dev.brams}
        use = {k: (need[k] / have[k] if have[k] else (0.0 if need[k] == 0 else float("inf"))) for k in need}
        rows.append(Candidate(hw, a.cycles_per_step, a.latency_cycles, need["luts"], need["ffs"], need["dsps"],
                              need["brams"], _cached_synth_luts(model, hw, target, cache_dir), use,
                              all(u <= 1.0 for u in use.values())))
    limits = " and ".join(s for s in (cycles_per_step and f"≤ {cycles_per_step} cycles per step",
                                      latency_cycles and f"≤ {latency_cycles} cycles of latency") if s)
    if not rows:
        raise HadamHWError(f"no design of this model reaches {limits or 'the limits'} "
                           f"(the fastest runs {min(S.cycles_per_step for _, S in buildable)} cycles per step; the "
                           f"shortest latency is {min(S.latency_cycles for _, S in buildable)} cycles)")
    rows.sort(key=lambda c: (not c.fits, c.luts, c.cycles_per_step))
    if not rows[0].fits:
        best = min(rows, key=lambda c: max(c.use.values()))
        worst = max(best.use, key=best.use.get)
        raise HadamHWError(
            f"no design of this model fits {dev.name}{' at ' + limits if limits else ''}: the closest, "
            f"{best.hw.arch.value} lanes {best.hw.lanes} pipeline {best.hw.pipeline}, needs "
            f"{getattr(best, worst):,} {_NAMES[worst]} of {getattr(dev, worst):,}")
    return rows if include_misfits else [c for c in rows if c.fits]


def _buildable(model):
    """``(hw, schedule)`` of every candidate this model can be built as."""
    from hadam_hw.schedule import make_schedule

    for hw in candidates(model):
        try:
            yield hw, make_schedule(model, hw)
        except HadamHWError:
            continue


def format_recommendation(rows: list[Candidate], device: str) -> str:
    dev = get_device(device)
    head = f"{'arch':<11}{'lanes':>6}{'pipe':>5}{'cyc/step':>9}{'latency':>8}{'LUT-eq':>9}{'(Yosys)':>9}" \
           f"{'FFs':>8}{'DSP':>5}{'BRAM':>5}{'LUT use':>9}"
    lines = [f"designs that fit {dev.name} ({dev.luts:,} LUTs, {dev.ffs:,} FFs, {dev.dsps} DSP, {dev.brams} BRAM), "
             "fewest LUTs first (analytic model):", head]
    for c in rows:
        syn = f"{c.synth_luts:,}" if c.synth_luts is not None else "-"
        lines.append(f"{c.hw.arch.value:<11}{c.hw.lanes:>6}{c.hw.pipeline:>5}{c.cycles_per_step:>9}"
                     f"{c.latency_cycles:>8}{c.luts:>9,}{syn:>9}{c.ffs:>8,}{c.dsps:>5}{c.brams:>5}"
                     f"{c.use['luts']:>9.0%}")
    return "\n".join(lines)
