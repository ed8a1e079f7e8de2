import subprocess
import sys

import numpy as np
import pytest

from flow.cli import main
from hadam_hw.artifact import load_artifact
from hadam_hw.golden import run_golden


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "flow", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_random_model_then_info(tmp_path, capsys):
    out = tmp_path / "m.hrnn.npz"
    assert main(["random-model", "--hidden", "128", "--block", "128", "--n-in", "10", "--n-out", "9", "-o", str(out)]) == 0
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "hidden         128   block 128" in text
    assert "sparsity       0.000" in text
    assert "dense ±1/0 matrix      16,256" in text  # 128 * 127
    assert "butterfly (FWHT)          896" in text  # 128 * 7
    assert "kbit" in text


def test_block_16_reports_sparsity(tmp_path, capsys):
    out = tmp_path / "m16.hrnn.npz"
    main(["random-model", "--hidden", "128", "--block", "16", "--n-in", "10", "--n-out", "9", "-o", str(out)])
    main(["info", str(out)])
    text = capsys.readouterr().out
    assert "sparsity       0.875" in text
    assert "adder tree              1,920" in text  # 128 * 15


def test_info_json(tmp_path, capsys):
    out = tmp_path / "m.hrnn.npz"
    main(["random-model", "--hidden", "64", "--block", "8", "--input-mode", "onehot", "--n-in", "20", "-o", str(out)])
    capsys.readouterr()
    main(["info", "--json", str(out)])
    import json

    s = json.loads(capsys.readouterr().out)
    assert s["sparsity"] == 0.875 and s["config"]["input_mode"] == "onehot"
    assert s["additions_per_step"] == {"dense": 64 * 63, "adder_tree": 64 * 7, "butterfly": 64 * 3}
    assert s["A"]["gain"] < 1.0  # b = 8: A rounded down


def test_golden_command_matches_library(tmp_path):
    m = tmp_path / "m.hrnn.npz"
    assert cli("random-model", "--hidden", "16", "--block", "4", "--n-in", "3", "--n-out", "2", "-o", m).returncode == 0
    x = np.random.default_rng(0).integers(-128, 128, size=(2, 5, 3))
    np.save(tmp_path / "x.npy", x)
    r = cli("golden", m, "--input", tmp_path / "x.npy", "-o", tmp_path / "out.npz")
    assert r.returncode == 0, r.stderr
    with np.load(tmp_path / "out.npz") as z:
        ref = run_golden(load_artifact(m), x)
        np.testing.assert_equal(z["h"], ref.h)
        np.testing.assert_equal(z["y"], ref.y)
        np.testing.assert_equal(z["y_valid"], ref.y_valid)


@pytest.mark.parametrize(
    "args,msg",
    [
        (["random-model", "--hidden", "12", "-o", "x.hrnn.npz"], "hidden must be a power of two, not 12"),
        (["random-model", "--hidden", "16", "--block", "32", "-o", "x.hrnn.npz"], "block must be a power of two dividing"),
        (["random-model", "--hidden", "abc", "-o", "x.hrnn.npz"], "expected a positive integer, not 'abc'"),
        (["random-model", "--hidden", "16"], "the following arguments are required: -o"),
        (["info", "missing.hrnn.npz"], "no such file: missing.hrnn.npz"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_misuse_exits_2_with_one_line(tmp_path, args, msg):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert msg in r.stderr
    assert not (tmp_path / "x.hrnn.npz").exists()


def test_golden_rejects_bad_input_without_writing(tmp_path):
    m = tmp_path / "m.hrnn.npz"
    cli("random-model", "--hidden", "8", "--n-in", "3", "-o", m)
    np.save(tmp_path / "x.npy", np.full((1, 4, 3), 1000))
    out = tmp_path / "out.npz"
    out.write_bytes(b"previous")
    r = cli("golden", m, "--input", tmp_path / "x.npy", "-o", out)
    assert r.returncode == 2 and "outside the 8-bit signed input range" in r.stderr
    assert out.read_bytes() == b"previous"


def test_help_everywhere():
    for args in (["--help"], ["random-model", "--help"], ["info", "--help"], ["golden", "--help"]):
        r = cli(*args)
        assert r.returncode == 0 and "usage:" in r.stdout
