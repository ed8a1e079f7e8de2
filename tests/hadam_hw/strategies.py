"""Hypothesis strategies for random models, shared by the kernel's tests."""

import numpy as np
from hypothesis import strategies as st

from hadam_hw.artifact import random_model
from hadam_hw.model import HadamModel


@st.composite
def models(draw, max_log_hidden: int = 5, saturating: bool | None = None) -> HadamModel:
    """A random valid model; ``saturating`` pushes B and C up so the clamp is busy."""
    k = draw(st.integers(0, max_log_hidden))
    hidden = 1 << k
    m_log = draw(st.integers(0, k))
    block = 1 << m_log
    onehot = draw(st.booleans())
    n_in = draw(st.integers(1, 6))
    m = random_model(
        hidden, block, n_in, draw(st.integers(1, 4)),
        input_mode="onehot" if onehot else "dense",
        output=draw(st.sampled_from(["every_step", "last_step"])),
        in_bits=draw(st.integers(2, 9)),
        weight_bits=draw(st.integers(2, 6)),
        state_bits=draw(st.integers(2, 12)),
        frac_bits=draw(st.integers((m_log + 1) // 2, 10)),  # A >= 1 needs 2^F >= sqrt(b)
        seed=draw(st.integers(0, 2**31)),
    )
    sat = draw(st.booleans()) if saturating is None else saturating
    if sat:  # a much stronger input and bias drive: most steps clamp
        from dataclasses import replace

        cfg = replace(m.config, B=m.config.B * draw(st.sampled_from([4, 16, 64])))
        C = m.C * draw(st.integers(1, 8))
        m = HadamModel(cfg, m.sign, m.U, C, m.V, m.c, m.scales, m.provenance)
    return m


def random_inputs(model: HadamModel, batch: int, T: int, seed: int, extreme: bool = False):
    rng = np.random.default_rng(seed)
    lo, hi = model.config.x_range
    shape = (batch, T) if model.onehot else (batch, T, model.config.n_in)
    if extreme:
        return rng.choice(np.array([lo, hi]), size=shape)
    return rng.integers(lo, hi + 1, size=shape)
