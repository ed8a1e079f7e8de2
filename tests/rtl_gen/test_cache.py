"""The one RTL cache: its fingerprint follows the generator's imports into the kernel."""

from __future__ import annotations

import hadam_hw.widths
from hadam_hw.artifact import random_model
from hadam_hw.config import HardwareConfig
from rtl_gen.cache import generate_cached, generator_sources, rtl_cache_lookup


def test_fingerprint_follows_imports_into_the_kernel():
    src = generator_sources()
    # the cell derives its widths and streams from the kernel: edits there must regenerate
    for mod in ("hadam_hw.widths", "hadam_hw.manifest", "hadam_hw.schedule", "rtl_gen.cell", "rtl_gen.writer"):
        assert mod in src, mod
    assert src["hadam_hw.widths"].resolve() == __import__("pathlib").Path(hadam_hw.widths.__file__).resolve()
    # but not what the generator does not use
    assert not any(m.startswith(("sim", "estimate", "train", "flow")) for m in src)


def test_generate_cached_generates_once_and_is_found_again(tmp_path):
    model = random_model(16, 16, 3, 2, seed=5)
    hw = HardwareConfig(arch="sdf")
    assert rtl_cache_lookup(model, hw, cache_dir=tmp_path) is None
    v, manifest = generate_cached(model, hw, cache_dir=tmp_path)
    assert v.is_file() and manifest["arch"] == "sdf"
    mtime = v.stat().st_mtime_ns
    v2, manifest2 = generate_cached(model, hw, cache_dir=tmp_path)
    assert v2 == v and v.stat().st_mtime_ns == mtime and manifest2 == manifest
    assert rtl_cache_lookup(model, hw, cache_dir=tmp_path)[0] == v
