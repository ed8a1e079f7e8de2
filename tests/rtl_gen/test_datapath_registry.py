"""Every architecture of the kernel's registry has exactly one datapath component, built for a
cell by ``for_cell`` with the latency the schedule counts on."""

from __future__ import annotations

import pytest

from hadam_hw.archs import ARCH_SPECS, Arch, arch_spec
from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from hadam_hw.errors import ConfigError
from hadam_hw.schedule import make_schedule
from rtl_gen.datapaths import datapath_class, datapath_classes, register


def test_every_registry_entry_has_one_component():
    classes = datapath_classes()
    assert list(classes) == list(ARCH_SPECS)
    assert len(set(classes.values())) == len(classes)
    for arch, cls in classes.items():
        assert cls.arch is arch and datapath_class(arch.value) is cls


@pytest.mark.parametrize("arch", list(Arch), ids=lambda a: a.value)
@pytest.mark.parametrize("pipeline", [0, 1, 2])
def test_the_component_has_the_latency_the_schedule_counts_on(arch, pipeline):
    model = random_model(16, 4, 3, 2, seed=1)
    lanes = 2 if "lanes" in arch_spec(arch).options else 1
    hw = HardwareConfig(arch=arch, lanes=lanes, pipeline=pipeline)
    S = make_schedule(model, hw)
    dp = datapath_class(arch).for_cell(model, hw, registered=S.registered)
    assert dp.latency == S.rec_latency


def test_register_refuses_an_incomplete_or_second_component():
    class NoFormula:
        for_cell = latency = model = None

    with pytest.raises(TypeError, match="lacks resources"):
        register(Arch.SDF)(NoFormula)

    class Another:
        for_cell = latency = model = resources = None

    with pytest.raises(TypeError, match="already has the datapath SDFButterfly"):
        register(Arch.SDF)(Another)
    with pytest.raises(ConfigError, match="arch must be one of"):
        register("fft")
