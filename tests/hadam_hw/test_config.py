import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadam_hw.config import Arch, HardwareConfig, InputMode, ModelConfig, OutputMode
from hadam_hw.errors import ConfigError


@st.composite
def model_configs(draw):
    k = draw(st.integers(0, 10))
    onehot = draw(st.booleans())
    n_in = draw(st.integers(1, 300))
    return ModelConfig(
        hidden=1 << k,
        block=1 << draw(st.integers(0, k)),
        n_in=n_in,
        n_out=draw(st.integers(1, 20)),
        input_mode="onehot" if onehot else "dense",
        in_bits=max(1, (n_in - 1).bit_length()) if onehot else draw(st.integers(2, 16)),
        in_signed=not onehot,
        weight_bits=draw(st.integers(2, 16)),
        state_bits=draw(st.integers(2, 32)),
        frac_bits=draw(st.integers(0, 20)),
        A=draw(st.integers(1, 5000)),
        B=draw(st.integers(1, 5000)),
        output=draw(st.sampled_from(list(OutputMode))),
    )


@given(model_configs())
def test_model_config_json_round_trip(cfg):
    again = ModelConfig.from_json(json.loads(json.dumps(cfg.to_json())))
    assert again == cfg and again.tag == cfg.tag
    assert isinstance(again.input_mode, InputMode)


@given(st.sampled_from(list(Arch)), st.integers(1, 64), st.integers(0, 4), st.booleans())
def test_hardware_config_json_round_trip(arch, lanes, pipe, exp):
    hw = HardwareConfig(arch=arch, lanes=lanes, pipeline=pipe, expose_state=exp)
    assert HardwareConfig.from_json(json.loads(hw.dumps())) == hw
    assert hw.tag.startswith(arch.value)


def test_tags_are_short_and_distinct():
    a = ModelConfig(hidden=128, block=16, n_in=10, n_out=9)
    b = ModelConfig(hidden=128, block=128, n_in=10, n_out=9)
    assert a.tag == "d128b16-x10o9-w4s12f12-last" and a.tag != b.tag
    assert a.sparsity == 0.875 and b.sparsity == 0.0


@pytest.mark.parametrize(
    "kwargs,field,msg",
    [
        (dict(hidden=12), "hidden", "hidden must be a power of two, not 12"),
        (dict(block=3), "block", "block must be a power of two dividing the hidden size 16, not 3"),
        (dict(block=32), "block", "block must be a power of two dividing the hidden size 16, not 32"),
        (dict(n_in=0), "n_in", "n_in must be at least 1, not 0"),
        (dict(input_mode="sparse"), "input_mode", "input_mode must be one of dense, onehot, not 'sparse'"),
        (dict(output="sometimes"), "output", "output must be one of every_step, last_step"),
        (dict(weight_bits=1), "weight_bits", "weight_bits must be at least 2"),
        (dict(weight_bits=17), "weight_bits", "weight_bits must be at most 16"),
        (dict(state_bits="12"), "state_bits", "state_bits must be an integer"),
        (dict(A=0), "A", "A must be at least 1"),
        (dict(input_mode="onehot", n_in=300, in_bits=8, in_signed=False), "in_bits", "cannot hold token ids"),
        (dict(input_mode="onehot", in_signed=True), "in_signed", "in_signed must be false in onehot mode"),
    ],
)
def test_model_config_errors_name_the_field(kwargs, field, msg):
    base = dict(hidden=16, block=16, n_in=4, n_out=2)
    with pytest.raises(ConfigError) as e:
        ModelConfig(**{**base, **kwargs})
    assert e.value.field == field
    assert msg in str(e.value)


def test_hardware_config_errors():
    with pytest.raises(ConfigError, match="arch must be one of adder_tree, butterfly, sdf, dense"):
        HardwareConfig(arch="systolic")
    with pytest.raises(ConfigError, match="lanes must divide the hidden size 16, not 3"):
        HardwareConfig(lanes=3).check_against(ModelConfig(hidden=16, block=4, n_in=1, n_out=1))
    with pytest.raises(ConfigError, match="top must be a Verilog identifier"):
        HardwareConfig(top="my top")
    with pytest.raises(ConfigError, match="unknown HardwareConfig key"):
        HardwareConfig.from_json({"arch": "sdf", "speed": 3})
    with pytest.raises(ConfigError, match="addsub must be one of generic, ccu2c, not 'dsp'") as e:
        HardwareConfig(arch="sdf", addsub="dsp")
    assert e.value.field == "addsub"
    with pytest.raises(ConfigError, match="addsub 'ccu2c' is a form of the SDF's add/subtract units: it needs "
                                          "arch 'sdf', not 'adder_tree'"):
        HardwareConfig(arch="adder_tree", addsub="ccu2c")


def test_addsub_form_is_in_the_tag_and_the_json():
    hw = HardwareConfig(arch="sdf", addsub="ccu2c")
    assert hw.tag == "sdf-l1-p1-ccu2c" and HardwareConfig(arch="sdf").tag == "sdf-l1-p1"
    assert HardwareConfig.from_json(json.loads(hw.dumps())) == hw
