"""The architecture and target registries are the one list every consumer reads."""

from __future__ import annotations

import argparse

import pytest

from hadam_hw.archs import ARCH_SPECS, SERIAL_ARCHS, arch_names, arch_spec
from hadam_hw.cliargs import add_hardware_options, hardware_config
from hadam_hw.config import Arch, HardwareConfig
from hadam_hw.errors import ConfigError
from hadam_hw.schedule import SERIAL_ARCHS as SCHEDULE_SERIAL
from hadam_hw.targets import ADDSUB_FORMS, DEVICES, TARGETS, get_device, get_target, target_names


def _choices(parser: argparse.ArgumentParser, dest: str) -> tuple:
    action = next(a for a in parser._actions if a.dest == dest)
    return tuple(action.choices)


def test_every_arch_enum_member_has_one_registry_entry():
    assert set(ARCH_SPECS) == set(Arch)
    assert arch_names() == tuple(s.arch.value for s in ARCH_SPECS.values())
    assert "dense" not in arch_names(baselines=False)
    assert SCHEDULE_SERIAL == SERIAL_ARCHS == (Arch.ADDER_TREE, Arch.SDF, Arch.DENSE)
    assert arch_spec("sdf").family == "row_serial" and arch_spec(Arch.BUTTERFLY).family == "vector"
    with pytest.raises(ConfigError, match="arch must be one of adder_tree, butterfly, sdf, dense, not 'fft'"):
        arch_spec("fft")


def test_hardware_options_come_from_the_registry_and_the_config_defaults():
    p = argparse.ArgumentParser()
    add_hardware_options(p, arch_default="sdf")
    assert _choices(p, "arch") == arch_names()
    args = p.parse_args([])
    assert hardware_config(args) == HardwareConfig(arch="sdf", lanes=HardwareConfig().lanes,
                                                   pipeline=HardwareConfig().pipeline)
    args = p.parse_args(["--arch", "dense", "--lanes", "4", "--pipeline", "2"])
    assert hardware_config(args, expose_state=True) == HardwareConfig("dense", 4, 2, True)
    g = argparse.ArgumentParser()
    add_hardware_options(g, grid=True)
    args = g.parse_args(["--arch", "sdf,dense", "--lanes", "1,2", "--pipeline", "0,1"])
    assert (args.arch, args.lanes, args.pipeline) == (("sdf", "dense"), (1, 2), (0, 1))
    assert g.parse_args([]).arch == arch_names()


def test_every_cli_command_offers_the_registry_choices():
    from flow.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for cmd in ("generate", "sim", "estimate"):
        assert _choices(sub.choices[cmd], "arch") == arch_names(), cmd
    assert _choices(sub.choices["estimate"], "target") == target_names()
    assert _choices(sub.choices["demo"], "target") == target_names()


def test_targets_and_devices_are_consistent():
    for name, t in TARGETS.items():
        assert t.name == name and t.devices, name
        assert t.default_device in t.devices
        for dev in t.devices:
            assert DEVICES[dev].target == name
        if t.pnr is not None:
            assert t.pnr[0] == t.pnr_tool and t.pnr[1:] == DEVICES[t.default_device].pnr_args
    for d in DEVICES.values():
        assert d.target in TARGETS and d.luts > 0 and d.ffs > 0 and d.brams > 0 and d.dsps >= 0
    assert get_device("ecp5-25k").dsps == 28
    assert all(t.addsub in ADDSUB_FORMS for t in TARGETS.values()) and TARGETS["ecp5"].addsub == "ccu2c"
    with pytest.raises(ConfigError, match="target must be one of ice40, ecp5, xilinx, gowin, not 'vu9p'"):
        get_target("vu9p")
    with pytest.raises(ConfigError, match="device must be one of"):
        get_device("ecp5-999k")


def test_the_analytic_model_and_synthesis_read_the_same_entries():
    from estimate.resources import TARGET_RULES
    from estimate.synth import TARGETS as SYNTH_TARGETS

    assert SYNTH_TARGETS is TARGETS
    assert TARGET_RULES == {n: t.rules for n, t in TARGETS.items()}


def test_a_device_says_which_resources_a_design_exceeds():
    hx8k = get_device("ice40-hx8k")
    assert hx8k.misfit(luts=7_680, ffs=7_680, brams=32, dsps=0) is None
    assert hx8k.misfit(luts=9_876, ffs=100, brams=0, dsps=0) == "9,876 LUT > 7,680"
    assert hx8k.misfit(luts=8_000, ffs=8_100, brams=33, dsps=1) == \
        "8,000 LUT > 7,680, 8,100 FF > 7,680, 33 BRAM > 32, 1 DSP > 0"
