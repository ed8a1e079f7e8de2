"""Adding an architecture is one registry entry (hadam_hw/archs.py) plus one component file
(rtl_gen/datapaths/): on a copy of the tree, a new architecture made of exactly those two
edits is offered by the CLI, generated, simulated against the golden model and estimated.
Without its component file the generator refuses it with one clear message."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hadam_hw", "rtl_gen", "train", "sim", "estimate", "flow")

ENTRY = ('    ArchSpec("twin_sdf", "the SDF under another name (a registry test)",\n'
         '             ROW_SERIAL, ("lanes", "pipeline"), _sdf_latency, state=STATE_MEMORY),\n')
COMPONENT = '''"""``twin_sdf``: the SDF datapath registered for a second architecture."""

from hadam_hw.archs import Arch

from . import register
from .sdf import SDFButterfly


@register(Arch.TWIN_SDF)
class TwinSDF(SDFButterfly):
    """The folded SDF transform, as its own architecture."""
'''


def _copy_tree(dst: Path) -> Path:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, dst / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def _add_entry(root: Path) -> None:
    path = root / "hadam_hw" / "archs.py"
    text = path.read_text()
    anchor = "\n)\n\nArch = enum.Enum("
    assert text.count(anchor) == 1, "the registry's entry list moved: update this test's anchor"
    path.write_text(text.replace(anchor, "\n" + ENTRY.rstrip("\n") + anchor))


def _cli(root: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(root), HADAM_HW_CACHE=str(cwd / "cache"))
    return subprocess.run([sys.executable, "-m", "flow", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = _copy_tree(tmp_path_factory.mktemp("tree"))
    _add_entry(root)
    return root


def test_an_entry_without_its_component_is_refused_clearly(tree, tmp_path):
    assert _cli(tree, "random-model", "--hidden", "16", "--block", "4", "--n-in", "3", "--n-out", "2",
                "-o", "m.hrnn.npz", cwd=tmp_path).returncode == 0
    r = _cli(tree, "generate", "m.hrnn.npz", "--arch", "twin_sdf", "-o", "rtl", cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "no datapath component in rtl_gen/datapaths/ is registered for the architecture 'twin_sdf'" in r.stderr
    assert "Traceback" not in r.stderr


def test_one_entry_and_one_component_file_make_a_working_architecture(tree, tmp_path):
    (tree / "rtl_gen" / "datapaths" / "twin_sdf.py").write_text(COMPONENT)
    try:
        assert _cli(tree, "random-model", "--hidden", "16", "--block", "4", "--n-in", "3", "--n-out", "2",
                    "-o", "m.hrnn.npz", cwd=tmp_path).returncode == 0
        r = _cli(tree, "generate", "--help", cwd=tmp_path)
        assert "twin_sdf" in r.stdout
        r = _cli(tree, "generate", "m.hrnn.npz", "--arch", "twin_sdf", "--lanes", "2", "-o", "rtl", cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        manifest = json.loads((tmp_path / "rtl" / "manifest.json").read_text())
        assert (manifest["arch"], manifest["params"]["lanes"]) == ("twin_sdf", 2)
        r = _cli(tree, "sim", "m.hrnn.npz", "--arch", "twin_sdf", "--lanes", "2", "--sequences", "2",
                 "--seq-len", "5", "--build-dir", "build", cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "first failure" not in r.stdout
        r = _cli(tree, "estimate", "m.hrnn.npz", "--arch", "twin_sdf", "--lanes", "2", "--target", "ecp5", "--fast",
                 "--json", cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        est = json.loads(r.stdout)
        assert est["arch"] == "twin_sdf" and est["analytic"]["luts"] > 0
    finally:
        (tree / "rtl_gen" / "datapaths" / "twin_sdf.py").unlink()
