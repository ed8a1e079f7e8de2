"""Shared fixtures of the training tests: two torch threads at most (the machine is shared)."""

import pytest
import torch

torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)
    yield
