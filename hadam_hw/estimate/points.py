"""Design points (a random model's sizes × a hardware configuration) and cached generation.

A :class:`DesignPoint` names one configuration of a sweep or a calibration set without a
trained artifact: the model is :func:`hadam_hw.artifact.random_model` with a recorded seed,
so the same point always gives the same weights, the same Verilog and the same figures.

:func:`generate_cached` builds the Verilog and manifest with ``rtl_gen`` once per
(artifact bytes, hardware configuration, generator source) and keeps them under
``<cache>/rtl/<key>/``: a warm sweep neither imports Amaranth nor elaborates anything.
``rtl_gen`` is imported inside the functions only, so ``hadam_hw`` stays importable without
Amaranth.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from ..config import Arch, HardwareConfig, InputMode, OutputMode
from ..errors import ConfigError
from ..model import HadamModel

__all__ = ["DesignPoint", "generate_cached", "rtl_cache_lookup", "rtl_cache_dir", "generator_fingerprint", "parse_point",
           "cpu_count"]


@dataclass(frozen=True)
class DesignPoint:
    """A random model of these sizes built as ``arch``/``lanes``/``pipeline`` (block 0 = hidden)."""

    hidden: int
    block: int = 0
    arch: str = "adder_tree"
    lanes: int = 1
    pipeline: int = 0
    n_in: int = 10
    n_out: int = 9
    state_bits: int = 12
    in_bits: int = 8
    weight_bits: int = 4
    input_mode: str = "dense"
    output: str = "last_step"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.block == 0:
            object.__setattr__(self, "block", self.hidden)
        for cls, name in ((Arch, "arch"), (InputMode, "input_mode"), (OutputMode, "output")):
            try:
                cls(getattr(self, name))
            except ValueError:
                choices = ", ".join(m.value for m in cls)
                raise ConfigError(f"{name} must be one of {choices}, not {getattr(self, name)!r}") from None

    @property
    def tag(self) -> str:
        s = f"d{self.hidden}b{self.block}-{self.arch}-l{self.lanes}-p{self.pipeline}-s{self.state_bits}"
        if (self.n_in, self.n_out) != (10, 9):
            s += f"-i{self.n_in}o{self.n_out}"
        if self.input_mode != "dense":
            s += "-oh"
        if self.output != "last_step":
            s += "-all"
        if (self.in_bits, self.weight_bits) != (8, 4):
            s += f"-x{self.in_bits}w{self.weight_bits}"
        if self.seed:
            s += f"-r{self.seed}"
        return s

    def model(self) -> HadamModel:
        return _model(self.hidden, self.block, self.n_in, self.n_out, self.state_bits, self.in_bits,
                      self.weight_bits, self.input_mode, self.output, self.seed)

    def hw(self) -> HardwareConfig:
        return HardwareConfig(arch=self.arch, lanes=self.lanes, pipeline=self.pipeline)

    def with_hw(self, **kw) -> DesignPoint:
        return replace(self, **kw)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict) -> DesignPoint:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(obj) - names)
        if unknown:
            raise ConfigError(f"unknown design point key(s): {', '.join(unknown)}")
        return cls(**obj)


@lru_cache(maxsize=64)
def _model(hidden, block, n_in, n_out, state_bits, in_bits, weight_bits, input_mode, output, seed) -> HadamModel:
    from ..artifact import random_model

    return random_model(hidden, block, n_in, n_out, input_mode=input_mode, output=output, in_bits=in_bits,
                        weight_bits=weight_bits, state_bits=state_bits, seed=seed)


def parse_point(text: str) -> DesignPoint:
    """``key=value,...`` (e.g. ``hidden=64,block=16,arch=sdf,lanes=2``) as a :class:`DesignPoint`."""
    kw: dict = {}
    types = {f.name: f.type for f in fields(DesignPoint)}
    for item in filter(None, text.split(",")):
        k, _, v = item.partition("=")
        k = k.strip().replace("-", "_")
        if k not in types:
            raise ConfigError(f"unknown design point key {k!r} in {text!r}")
        kw[k] = v.strip() if types[k] == "str" else int(v)
    return DesignPoint(**kw)


@lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    """Hash of the source the Verilog comes from: ``rtl_gen.writer`` and ``rtl_gen.cell`` and
    every ``rtl_gen``/``hadam_hw`` module they import, found by reading the imports (so
    unrelated edits, e.g. to a testbench helper or to this package, keep the cache), plus
    the Amaranth version. A changed generator is a new key."""
    import ast
    import importlib.metadata

    import rtl_gen

    dirs = {"rtl_gen": Path(rtl_gen.__file__).parent, "hadam_hw": Path(__file__).parents[1]}

    def source(name: str) -> Path | None:  # the file of a module, found without importing it
        head, *rest = name.split(".")
        base = dirs[head].joinpath(*rest)
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                return cand
        return None

    seen: dict[str, Path] = {}
    todo = ["rtl_gen.writer", "rtl_gen.cell"]
    while todo:
        name = todo.pop()
        if name in seen or name.startswith("hadam_hw.estimate") or name.split(".")[0] not in dirs:
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
    h = hashlib.sha256()
    for name in sorted(seen):
        h.update(name.encode() + b"\0" + seen[name].read_bytes())
    try:
        h.update(importlib.metadata.version("amaranth").encode())
    except importlib.metadata.PackageNotFoundError:
        pass
    return h.hexdigest()[:16]


def rtl_cache_dir(cache_dir: Path | None = None) -> Path:
    from .synth import default_cache_dir

    return (Path(cache_dir) if cache_dir else default_cache_dir().parent) / "rtl"


def _rtl_dir(model: HadamModel, hw: HardwareConfig, cache_dir: Path | None) -> tuple[Path, str]:
    from ..artifact import artifact_bytes

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
    import rtl_gen

    manifest = rtl_gen.generate(model, hw, out, artifact_sha256=sha)
    return out / manifest["verilog"], manifest


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
