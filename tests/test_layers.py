"""The packages form layers that import downwards only (import-linter's layers contract in
pyproject.toml): flow → sim | estimate → rtl_gen | train → hadam_hw. Imports inside
functions count."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hadam_hw", "rtl_gen", "train", "sim", "estimate", "flow")
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (pip install -e '.[test]')")


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True)


def _copy_tree(tmp_path: Path) -> Path:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_contract_is_kept():
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kept, 0 broken" in r.stdout


@pytest.mark.parametrize("lower, upper", [("hadam_hw/golden.py", "rtl_gen.cache"),
                                          ("rtl_gen/writer.py", "sim.verify"),
                                          ("train/export.py", "rtl_gen.writer"),
                                          ("estimate/report.py", "sim.verify")])
def test_an_upward_import_inside_a_function_breaks_it(tmp_path, lower, upper):
    root = _copy_tree(tmp_path)
    mod, _, name = upper.rpartition(".")
    with open(root / lower, "a") as f:
        f.write(f"\n\ndef _upward():\n    from {mod} import {name}  # noqa: F401\n")
    r = _lint(root)
    assert r.returncode != 0
    assert "0 kept, 1 broken" in r.stdout
    importer = lower.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> {upper}" in r.stdout
