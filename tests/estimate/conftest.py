"""Shared fixtures: tiny models (synthesis in seconds) and a private cache per session."""

import pytest

from estimate.points import DesignPoint
from hadam_hw.artifact import save_artifact

TINY = DesignPoint(8, arch="adder_tree", n_in=2, n_out=2)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """A private estimate cache (RTL and synthesis) shared by this session's tests."""
    return tmp_path_factory.mktemp("estimate-cache")


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "tiny.hrnn.npz"
    save_artifact(TINY.model(), path)
    return path


@pytest.fixture(scope="session")
def odd_artifact(tmp_path_factory):
    """Hidden 32, block 8: log2 b odd, so A = 2^F/sqrt(8) needs signed digits."""
    path = tmp_path_factory.mktemp("models") / "odd.hrnn.npz"
    save_artifact(DesignPoint(32, 8, n_in=3, n_out=2).model(), path)
    return path
