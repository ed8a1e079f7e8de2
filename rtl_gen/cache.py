"""The one cache of generated RTL, shared by simulation, estimates and the demo.

:func:`generate_cached` builds the Verilog and manifest once per (artifact bytes, hardware
configuration, generator fingerprint) and keeps them under ``<cache root>/rtl/<key>/``; a
warm sweep or a re-run simulation neither imports Amaranth nor elaborates anything. The
fingerprint (:func:`generator_fingerprint`) follows the imports of the writer and the cell
through ``rtl_gen`` and the kernel ``hadam_hw``, so an edit to ``hadam_hw/widths.py`` is a
new key, and an edit to an unrelated module is not.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from hadam_hw.config import HardwareConfig
from hadam_hw.model import HadamModel

__all__ = ["cache_root", "generate_cached", "rtl_cache_lookup", "rtl_cache_dir", "generator_fingerprint",
           "generator_sources"]


def cache_root() -> Path:
    """``$HADAM_HW_CACHE``, else ``$XDG_CACHE_HOME/hadam-hw`` (``~/.cache/hadam-hw``)."""
    base = os.environ.get("HADAM_HW_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "hadam-hw"
    )
    return Path(base)


def generator_sources() -> dict[str, Path]:
    """The modules the Verilog comes from: ``rtl_gen.writer``, ``rtl_gen.cell``, every datapath
    in ``rtl_gen/datapaths/`` and every ``rtl_gen``/``hadam_hw`` module they import (inside
    functions too), found by reading the imports, by module name."""
    import ast

    import hadam_hw

    dirs = {"rtl_gen": Path(__file__).parent, "hadam_hw": Path(hadam_hw.__file__).parent}

    def source(name: str) -> Path | None:  # the file of a module, found without importing it
        head, *rest = name.split(".")
        base = dirs[head].joinpath(*rest)
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                return cand
        return None

    seen: dict[str, Path] = {}
    # the datapaths are found by searching their package (rtl_gen.datapaths), not imported by name
    todo = ["rtl_gen.writer", "rtl_gen.cell"] + [
        f"rtl_gen.datapaths.{p.stem}" for p in sorted((dirs["rtl_gen"] / "datapaths").glob("*.py")) if p.stem != "__init__"]
    while todo:
        name = todo.pop()
        if name in seen or name.split(".")[0] not in dirs:
            continue
        path = source(name)
        if path is None:
            continue
        seen[name] = path
        pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
                if base.split(".")[0] in dirs:
                    todo.append(base)
                    todo += [f"{base}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.split(".")[0] in dirs]
    return seen


@lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    """Hash of :func:`generator_sources` (so unrelated edits, e.g. to a testbench helper or
    to the estimates, keep the cache) and the Amaranth version. A changed generator is a
    new key."""
    import importlib.metadata

    seen = generator_sources()
    h = hashlib.sha256()
    for name in sorted(seen):
        h.update(name.encode() + b"\0" + seen[name].read_bytes())
    try:
        h.update(importlib.metadata.version("amaranth").encode())
    except importlib.metadata.PackageNotFoundError:
        pass
    return h.hexdigest()[:16]


def rtl_cache_dir(cache_dir: Path | None = None) -> Path:
    return (Path(cache_dir) if cache_dir else cache_root()) / "rtl"


def _rtl_dir(model: HadamModel, hw: HardwareConfig, cache_dir: Path | None) -> tuple[Path, str]:
    from hadam_hw.artifact import artifact_bytes

    blob = artifact_bytes(model)
    sha = hashlib.sha256(blob).hexdigest()
    key = hashlib.sha256(json.dumps([sha, hw.dumps(), generator_fingerprint()]).encode()).hexdigest()[:32]
    return rtl_cache_dir(cache_dir) / key, sha


def _read_rtl(out: Path) -> tuple[Path, dict] | None:
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    v = out / manifest.get("verilog", "")
    return (v, manifest) if v.is_file() else None


def rtl_cache_lookup(model: HadamModel, hw: HardwareConfig, *, cache_dir: Path | None = None) -> tuple[Path, dict] | None:
    """What :func:`generate_cached` would return from its cache, or ``None`` (generates nothing)."""
    out, _ = _rtl_dir(model, hw, cache_dir)
    return _read_rtl(out)


def generate_cached(model: HadamModel, hw: HardwareConfig, *, cache_dir: Path | None = None,
                    artifact_sha256: str | None = None, use_cache: bool = True) -> tuple[Path, dict]:
    """``(verilog_path, manifest)`` for ``model`` built as ``hw``, generated once and kept.

    ``cache_dir`` is the root of the estimate cache (default ``~/.cache/hadam-hw``, or
    ``$HADAM_HW_CACHE``); the RTL goes to ``<root>/rtl/<key>/``, the key hashing the
    artifact's bytes, the hardware configuration and the generator's source.
    """
    out, sha = _rtl_dir(model, hw, cache_dir)
    sha = artifact_sha256 or sha
    if use_cache:
        hit = _read_rtl(out)
        if hit is not None:
            hit[1]["artifact_sha256"] = sha
            return hit
    from .writer import generate

    manifest = generate(model, hw, out, artifact_sha256=sha)
    return out / manifest["verilog"], manifest
