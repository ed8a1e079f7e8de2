import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadam_hw.errors import ConfigError
from hadam_hw.hadamard import (
    block_hadamard,
    check_hidden_block,
    fwht,
    is_orthogonal,
    is_power_of_two,
    recurrent_matrix,
    sylvester,
    sylvester_entry,
)

sizes = st.integers(0, 7).map(lambda k: 1 << k)


@st.composite
def hidden_block(draw, max_log=7):
    k = draw(st.integers(0, max_log))
    m = draw(st.integers(0, k))
    return 1 << k, 1 << m


def test_sylvester_small_matches_recursive_definition():
    s2 = np.array([[1, 1], [1, -1]])
    expected = np.array([[1]])
    for b in (1, 2, 4, 8, 16):
        np.testing.assert_equal(sylvester(b), expected)
        expected = np.kron(s2, expected)  # S_2b = [[S, S], [S, -S]]


@given(sizes)
def test_sylvester_rows_are_orthogonal(b):
    s = sylvester(b).astype(np.int64)
    np.testing.assert_equal(s @ s.T, b * np.eye(b, dtype=np.int64))
    np.testing.assert_equal(s, s.T)


@given(st.integers(0, 1023), st.integers(0, 1023))
def test_sylvester_entry_is_parity_of_and(r, c):
    assert sylvester_entry(r, c) == (-1) ** bin(r & c).count("1")
    b = 1024
    assert sylvester(b)[r, c] == sylvester_entry(r, c)


@given(hidden_block(), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_fwht_equals_explicit_block_product(hb, batch, seed):
    hidden, block = hb
    rng = np.random.default_rng(seed)
    x = rng.integers(-(2**20), 2**20, size=(batch, 3, hidden), dtype=np.int64)
    expected = x @ block_hadamard(hidden, block).astype(np.int64).T
    np.testing.assert_equal(fwht(x, block), expected)


@given(hidden_block(), st.integers(0, 2**32 - 1))
def test_recurrent_matrix_is_orthogonal(hb, seed):
    hidden, block = hb
    sign = np.random.default_rng(seed).choice([-1, 1], size=hidden)
    w = recurrent_matrix(sign, block)
    assert is_orthogonal(w)
    # block-sparse: exactly a fraction 1 - b/d of zeros
    assert (w == 0).mean() == pytest.approx(1 - block / hidden)


def test_not_orthogonal_is_detected():
    w = recurrent_matrix(np.ones(4, dtype=int), 4)
    w[0, 0] *= 1.01
    assert not is_orthogonal(w)


@pytest.mark.parametrize("n", [0, 3, 6, 12, -4, 2.0, True])
def test_power_of_two_rejects(n):
    assert not is_power_of_two(n)


@pytest.mark.parametrize(
    "hidden,block,msg",
    [
        (12, 4, "Hidden size must be a power of two, not 12"),
        (16, 3, "Block size must be a power of two dividing the hidden size 16, not 3"),
        (16, 32, "Block size must be a power of two dividing the hidden size 16, not 32"),
    ],
)
def test_size_errors_name_the_problem(hidden, block, msg):
    with pytest.raises(ConfigError) as e:
        check_hidden_block(hidden, block)
    assert str(e.value) == msg


def test_fwht_rejects_non_power_of_two_axis():
    with pytest.raises(ConfigError, match="power of two"):
        fwht(np.zeros((2, 6), dtype=np.int64))
