"""The end-to-end demo from an existing artifact (no training, no synthesis): generate,
verify with cocotb against the golden model, write the report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from flow.cli import main
from hadam_hw.artifact import random_model, save_artifact


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog is not installed")
def test_demo_verifies_and_reports_from_an_artifact(tmp_path, capsys):
    art = tmp_path / "m.hrnn.npz"
    save_artifact(random_model(16, 16, 3, 2, seed=11), art)
    out = tmp_path / "report"
    rc = main(["demo", "--model", str(art), "--archs", "sdf,dense", "--no-estimate", "--sequences", "1",
               "--seq-len", "8", "--simulator", "icarus", "-o", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "all 2 designs verified bit-exact" in text
    summary = json.loads((out / "summary.json").read_text())
    for arch in ("sdf", "dense"):
        a = summary["archs"][arch]
        assert a["passed"] and a["steps_checked"] > 0
        man = json.loads((out / "rtl" / arch / "manifest.json").read_text())
        assert man["arch"] == arch and (out / "rtl" / arch / man["verilog"]).is_file()
        assert a["cycles_per_step"] == man["cycles_per_step"]
    assert (out / "README.md").is_file() and (out / "model.hrnn.npz").is_file()


def test_demo_misuse_is_one_line_exit_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "flow", "demo", "--archs", "sdf,fft", "-o", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "architectures must be among" in r.stderr and "'fft'" in r.stderr
