"""Shared helpers of the simulation tests: simulator availability (skips say why)."""

from __future__ import annotations

import functools

import pytest


@functools.cache
def _available(simulator: str) -> tuple[bool, str]:
    from sim.runner import simulator_available

    return simulator_available(simulator)


def need(simulator: str) -> None:
    """Skip the calling test, with the reason, when ``simulator`` really cannot run here."""
    ok, why = _available(simulator)
    if not ok:
        pytest.skip(f"{simulator} unavailable: {why}")


def sim_param(simulator: str, *marks):
    return pytest.param(simulator, id=simulator, marks=list(marks))
