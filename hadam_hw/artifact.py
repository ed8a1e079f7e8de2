"""The model artifact ``*.hrnn.npz`` (format ``hrnn-int/1``, SPEC §3).

One ``.npz`` written with ``allow_pickle=False`` and readable by ``numpy.load`` alone.
:func:`save_artifact` writes atomically (a temporary file beside the target, then a
rename); :func:`load_artifact` trusts nothing and refuses a bad file with one
:class:`ArtifactError` naming the field.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from . import __version__
from .config import InputMode, ModelConfig, OutputMode
from .constants import recurrence_constant
from .errors import ArtifactError, ConfigError, HadamHWError
from .model import ARRAY_KEYS, SCALE_KEYS, HadamModel
from .widths import check_int64

__all__ = [
    "FORMAT",
    "save_artifact",
    "load_artifact",
    "artifact_bytes",
    "artifact_sha256",
    "random_model",
    "atomic_write_bytes",
]

FORMAT = "hrnn-int/1"
_CONFIG_KEYS = (
    "hidden", "block", "n_in", "n_out", "input_mode", "in_bits", "in_signed",
    "weight_bits", "state_bits", "frac_bits", "A", "B", "output",
)
_DTYPES = {
    "sign": ("int8",),
    "U": ("int8", "int16"),
    "C": ("int64",),
    "V": ("int8", "int16"),
    "c": ("int64",),
}


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _meta(model: HadamModel) -> dict:
    meta = {"format": FORMAT, **model.config.to_json()}
    if model.onehot:
        meta["vocab"] = model.config.n_in
    meta.update(model.scales)
    prov = {"version": __version__, **model.provenance}
    meta["provenance"] = prov
    return meta


def artifact_bytes(model: HadamModel) -> bytes:
    """The exact bytes :func:`save_artifact` writes (deterministic for a given model)."""
    check_int64(model)
    arrays = {k: getattr(model, k) for k in ARRAY_KEYS}
    buf = io.BytesIO()
    meta = np.array(json.dumps(_meta(model), sort_keys=True))
    # np.savez stamps no times into its zip entries beyond a fixed date: the bytes are stable
    np.savez(buf, meta=meta, **arrays)
    return buf.getvalue()


def save_artifact(model: HadamModel, path: str | os.PathLike) -> Path:
    """Write ``model`` to ``path`` atomically; returns the path."""
    path = Path(path)
    atomic_write_bytes(path, artifact_bytes(model))
    return path


def artifact_sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _fail(field: str, problem: str, path) -> ArtifactError:
    return ArtifactError(field, problem, str(path))


def load_artifact(path: str | os.PathLike) -> HadamModel:
    """Read and validate an artifact. Every problem is one :class:`ArtifactError`."""
    path = Path(path)
    if not path.exists():
        raise _fail("file", "no such file", path)
    if not path.is_file():
        raise _fail("file", "not a regular file", path)
    try:
        data = path.read_bytes()
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise _fail("file", "not an .npz archive (truncated, or not a model artifact)", path)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            keys = set(npz.files)
            for k in ("meta", *ARRAY_KEYS):
                if k not in keys:
                    raise _fail(k, "missing from the archive", path)
            arrays = {}
            for k in ("meta", *ARRAY_KEYS):
                try:
                    arrays[k] = npz[k]
                except ValueError as e:  # object arrays need pickle, which is refused
                    raise _fail(k, f"cannot be read without pickle ({e})", path) from None
    except ArtifactError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as e:
        raise _fail("file", f"corrupt archive ({type(e).__name__}: {e})", path) from None

    meta_arr = arrays["meta"]
    if meta_arr.shape != () or meta_arr.dtype.kind != "U":
        raise _fail("meta", "must be a 0-d unicode array holding a JSON object", path)
    try:
        meta = json.loads(str(meta_arr))
    except json.JSONDecodeError as e:
        raise _fail("meta", f"is not valid JSON ({e.msg} at position {e.pos})", path) from None
    if not isinstance(meta, dict):
        raise _fail("meta", "must hold a JSON object", path)
    fmt = meta.get("format")
    if fmt is None:
        raise _fail("meta.format", "missing", path)
    if fmt != FORMAT:
        raise _fail("meta.format", f"unknown format version {fmt!r} (this reader knows {FORMAT!r})", path)
    for k in (*_CONFIG_KEYS, *SCALE_KEYS):
        if k not in meta:
            raise _fail(f"meta.{k}", "missing", path)
    try:
        config = ModelConfig(**{k: meta[k] for k in _CONFIG_KEYS})
    except ConfigError as e:
        raise _fail(f"meta.{e.field}" if e.field else "meta", str(e), path) from None
    if config.input_mode is InputMode.ONEHOT and meta.get("vocab") != config.n_in:
        raise _fail("meta.vocab", f"must equal n_in={config.n_in} in onehot mode, not {meta.get('vocab')!r}", path)
    for k in ARRAY_KEYS:
        dt = arrays[k].dtype
        if dt.name not in _DTYPES[k]:
            raise _fail(k, f"dtype must be {' or '.join(_DTYPES[k])}, not {dt}", path)
    prov = meta.get("provenance", {})
    try:
        model = HadamModel(
            config=config,
            **{k: arrays[k] for k in ARRAY_KEYS},
            scales={k: meta[k] for k in SCALE_KEYS},
            provenance=prov if isinstance(prov, dict) else {"raw": prov},
        )
        check_int64(model)
    except ConfigError as e:
        field = e.field if e.field in ARRAY_KEYS else f"meta.{e.field}" if e.field else "meta"
        raise _fail(field, str(e), path) from None
    except HadamHWError as e:
        raise _fail("meta", str(e), path) from None
    return model


def random_model(
    hidden: int,
    block: int,
    n_in: int,
    n_out: int,
    *,
    input_mode: InputMode | str = InputMode.DENSE,
    output: OutputMode | str = OutputMode.LAST_STEP,
    in_bits: int = 8,
    weight_bits: int = 4,
    state_bits: int = 12,
    frac_bits: int = 12,
    a_digits: int | None = None,
    seed: int = 0,
) -> HadamModel:
    """A valid random model, for hardware exploration without training.

    ``B`` (a power of two) is chosen so that the input drives the state to about an eighth
    of its range, with biases up to a sixteenth: the state moves, sometimes saturates.
    """
    input_mode = InputMode(input_mode)
    onehot = input_mode is InputMode.ONEHOT
    if onehot:
        in_bits = max(1, (n_in - 1).bit_length())
    cfg0 = ModelConfig(  # validates the sizes before anything is drawn
        hidden=hidden, block=block, n_in=n_in, n_out=n_out, input_mode=input_mode,
        in_bits=in_bits, in_signed=not onehot, weight_bits=weight_bits, state_bits=state_bits,
        frac_bits=frac_bits, output=output,
    )
    rng = np.random.default_rng(seed)
    wmax = (1 << (weight_bits - 1)) - 1  # symmetric, narrow range: what p-bit QAT produces
    U = rng.integers(-wmax, wmax + 1, size=(hidden, n_in))
    V = rng.integers(-wmax, wmax + 1, size=(n_out, hidden))
    sign = rng.choice(np.array([-1, 1]), size=hidden)
    x_std = 1.0 if onehot else (1 << (in_bits - 1)) / np.sqrt(3)
    v_std = max(float(np.std(U)), 1.0) * x_std * (1.0 if onehot else np.sqrt(n_in))
    target = 2.0 ** (state_bits - 3 + frac_bits)
    B = 1 << max(0, round(np.log2(target / v_std)))
    A = recurrence_constant(block, frac_bits, a_digits).A
    cmax = 1 << max(0, frac_bits + state_bits - 5)
    C = rng.integers(-cmax, cmax + 1, size=hidden)
    c = rng.integers(-(1 << (state_bits + 2)), (1 << (state_bits + 2)) + 1, size=n_out)
    cfg = ModelConfig(**{**cfg0.to_json(), "A": A, "B": B})
    s_x = 1.0 if onehot else 2.0 ** -(in_bits - 1)
    s_U = s_V = 1.0 / wmax
    s_h = 2.0**frac_bits * s_U * s_x / B
    return HadamModel(
        config=cfg, sign=sign, U=U, C=C, V=V, c=c,
        scales={"s_x": s_x, "s_h": s_h, "s_U": s_U, "s_V": s_V},
        provenance={"task": "random", "seed": seed, "metrics": {}},
    )
