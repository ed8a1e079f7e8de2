"""``hadam-hw sim``: exit 0 on a match, 1 on a mismatch, 2 on misuse (one line)."""

from __future__ import annotations

import pytest

from flow.cli import main
from hadam_hw.artifact import random_model, save_artifact
from sim import verify as verify_mod

from .conftest import need
from .standin_dut import write_standin


@pytest.fixture
def artifact(tmp_path):
    m = random_model(8, 8, 3, 2, output="every_step", seed=3)
    return m, save_artifact(m, tmp_path / "m.hrnn.npz")


def test_pass_prints_steps_cycles_and_rate(artifact, tmp_path, capsys):
    need("icarus")
    _, path = artifact
    rc = main(["sim", str(path), "--arch", "butterfly", "--expose-state", "--simulator", "icarus",
               "--sequences", "3", "--seq-len", "20", "--seed", "1", "--build-dir", str(tmp_path / "b"), "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert out.startswith("PASS") and "steps checked" in out and "cycles/s" in out


def test_mismatch_exits_1_with_the_first_bad_step(artifact, tmp_path, capsys, monkeypatch):
    need("icarus")
    _, path = artifact

    def broken_generate(model, hw, out_dir, **_):  # a design with one sign flipped
        return write_standin(model, out_dir, bug="sign", top=hw.top)

    monkeypatch.setattr(verify_mod, "generate", broken_generate)
    rc = main(["sim", str(path), "--simulator", "icarus", "--sequences", "2", "--seq-len", "10",
               "--build-dir", str(tmp_path / "b"), "--quiet"])
    out = capsys.readouterr().out
    assert rc == 1
    assert out.startswith("FAIL") and "first failure" in out and "mismatch at row" in out and "lane" in out


@pytest.mark.parametrize("argv, message", [
    (["sim", "--simulator", "icarus"], "MODEL is required"),
    (["sim", "nowhere.hrnn.npz"], "no such file"),
    (["sim", "{model}", "--lanes", "3"], "lanes must divide the hidden size"),
    (["sim", "{model}", "--simulator", "modelsim"], "invalid choice"),
    (["sim", "{model}", "--sequences", "0"], "positive integer"),
])
def test_misuse_exits_2_with_one_line(artifact, argv, message, capsys):
    _, path = artifact
    argv = [a.format(model=path) for a in argv]
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse errors
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and len(err.strip().splitlines()) == 1
