"""Configurations the simulation tests build, with readable ids (the config tags)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from hadam_hw.model import HadamModel


@dataclass(frozen=True)
class Case:
    model_kw: tuple  # random_model keyword arguments, as sorted items
    hw: HardwareConfig

    @property
    def model(self) -> HadamModel:
        return _model(self.model_kw)

    @property
    def id(self) -> str:
        return f"{self.model.config.tag}-{self.hw.tag}"


@cache
def _model(kw: tuple) -> HadamModel:
    d = dict(kw)
    return random_model(d.pop("hidden"), d.pop("block"), d.pop("n_in"), d.pop("n_out"), **d)


def case(hidden, block, n_in, n_out, *, arch, lanes=1, pipeline=0, expose_state=False, seed=0, addsub="generic",
         **model_kw) -> Case:
    kw = dict(hidden=hidden, block=block, n_in=n_in, n_out=n_out, seed=seed, **model_kw)
    return Case(tuple(sorted(kw.items())), HardwareConfig(arch=arch, lanes=lanes, pipeline=pipeline,
                                                          expose_state=expose_state, addsub=addsub))


def params(cases, *marks):
    return [pytest.param(c, id=c.id, marks=list(marks)) for c in cases]


def design_root(tmp_path_factory) -> Path:
    """One build root per test session, so a design generated once is reused."""
    return tmp_path_factory.getbasetemp() / "sim-designs"
