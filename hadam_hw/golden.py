"""The integer golden model of ``hrnn-int/1`` (SPEC §2): the single source of truth.

:func:`run_golden` is the fast, batch-vectorized model (an exact integer FWHT per step);
:func:`run_reference` is SPEC §2 transcribed literally (explicit block matrix, Python
integers) and exists only to check the fast path. Tests, cocotb scoreboards and the
torch integer mode all compare against :func:`run_golden`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .config import OutputMode
from .errors import HadamHWError
from .hadamard import block_hadamard, fwht
from .model import HadamModel
from .widths import check_int64

__all__ = ["GoldenResult", "InterleavedResult", "run_golden", "run_interleaved", "run_interleaved_steps",
           "run_reference", "prepare_inputs", "FLOAT64_EXACT"]

FLOAT64_EXACT = 1 << 53  # every integer of magnitude below this is exact in float64


@dataclass(frozen=True)
class GoldenResult:
    """Every step's state and read-out, plus which read-outs the hardware emits."""

    h: np.ndarray  # (batch, T, hidden) int64: h_t after each step
    y: np.ndarray  # (batch, T, n_out) int64: y_t of each step
    y_valid: np.ndarray  # (batch, T) bool: the steps that produce a y transfer
    first: np.ndarray  # (batch, T) bool
    last: np.ndarray  # (batch, T) bool

    def y_stream(self) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(batch, step, y)`` in the order the hardware emits them (batch-major)."""
        for b, t in zip(*np.nonzero(self.y_valid), strict=True):
            yield int(b), int(t), self.y[b, t]


def _bool_flags(name: str, flags, shape: tuple[int, int], default_col: int) -> np.ndarray:
    if flags is None:
        out = np.zeros(shape, dtype=bool)
        out[:, default_col] = True
        return out
    f = np.asarray(flags)
    if f.ndim == 1 and shape[0] == 1:
        f = f[None]
    if f.shape != shape:
        raise HadamHWError(f"{name} flags must have shape {shape}, not {f.shape}")
    if f.dtype != bool and not np.isin(f, (0, 1)).all():
        raise HadamHWError(f"{name} flags must be booleans (0/1)")
    return f.astype(bool)


def prepare_inputs(model: HadamModel, x, first=None, last=None):
    """Validate and normalize inputs to ``(batch, T, n_in)`` ints or ``(batch, T)`` token ids.

    ``first`` / ``last`` default to "one sequence per batch row". A value outside the
    configured input range is an error naming its position, never silently wrapped.
    """
    cfg = model.config
    x = np.asarray(x)
    if x.dtype.kind not in "iub":
        raise HadamHWError(f"inputs must be integers, not dtype {x.dtype}")
    x = x.astype(np.int64)
    want = 2 if model.onehot else 3
    if x.ndim == want - 1:
        x = x[None]
    if x.ndim != want or (not model.onehot and x.shape[-1] != cfg.n_in):
        expect = "(batch, T) token ids" if model.onehot else f"(batch, T, {cfg.n_in})"
        raise HadamHWError(f"inputs must have shape {expect}, not {x.shape}")
    if x.shape[1] == 0:
        raise HadamHWError("inputs have no time steps")
    lo, hi = cfg.x_range
    bad = (x < lo) | (x > hi)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "token id" if model.onehot else f"{cfg.in_bits}-bit {'signed' if cfg.in_signed else 'unsigned'} input"
        raise HadamHWError(f"x{list(pos)} = {int(x[pos])} is outside the {what} range [{lo}, {hi}]")
    shape = x.shape[:2]
    return x, _bool_flags("first", first, shape, 0), _bool_flags("last", last, shape, -1)


def _exact_matmul(a: np.ndarray, b: np.ndarray, bound: int) -> np.ndarray:
    """Integer ``a @ b``; through float64 BLAS when every partial sum is proven below 2^53."""
    if bound < FLOAT64_EXACT:
        return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    return a.astype(np.int64) @ b.astype(np.int64)


def run_golden(model: HadamModel, x, first=None, last=None) -> GoldenResult:
    """Run the integer recurrence on a batch of sequences.

    ``x``: ``(batch, T, n_in)`` integers (dense) or ``(batch, T)`` token ids (onehot);
    a single sequence may omit the batch axis. ``first[b, t]`` zeroes the state that step
    ``t`` reads (a new sequence starts); ``last[b, t]`` marks the step whose read-out is
    emitted in ``last_step`` mode. Every intermediate is exact (bounds proven first).
    """
    cfg = model.config
    widths = check_int64(model)
    x, first, last = prepare_inputs(model, x, first, last)
    batch, T = first.shape
    d = cfg.hidden
    if model.onehot:
        v = model.U.T.astype(np.int64)[x]  # (batch, T, d): the column U[:, token]
    else:
        v = _exact_matmul(x.reshape(-1, cfg.n_in), model.U.T, widths.abs_bound).reshape(batch, T, d)
    # everything but the recurrence is known in advance: B·v + C + the rounding half
    half = (1 << cfg.frac_bits) >> 1
    drive = cfg.B * v + model.C + half
    a_sign = cfg.A * model.sign.astype(np.int64)
    hlo, hhi = cfg.h_range
    # the FWHT runs in int32 when S_b·h provably fits (half the memory traffic), else int64
    r_dtype = np.int32 if widths.width("r") <= 32 else np.int64
    h = np.zeros((batch, T, d), dtype=np.int64)
    state = np.zeros((batch, d), dtype=r_dtype)
    for t in range(T):
        state[first[:, t]] = 0
        z = a_sign * fwht(state, cfg.block) + drive[:, t]
        h[:, t] = np.clip(z >> cfg.frac_bits, hlo, hhi)
        state = h[:, t].astype(r_dtype)
    relu = np.maximum(h, 0).reshape(-1, d)
    y = _exact_matmul(relu, model.V.T, widths.abs_bound).reshape(batch, T, cfg.n_out) + model.c
    y_valid = np.ones((batch, T), dtype=bool) if cfg.output is OutputMode.EVERY_STEP else last.copy()
    return GoldenResult(h=h, y=y, y_valid=y_valid, first=first, last=last)


@dataclass(frozen=True)
class InterleavedResult:
    """The steps of several interleaved sequences (SPEC §4.1), in arrival order."""

    id: np.ndarray  # (N,) int64: the sequence each step belongs to
    h: np.ndarray  # (N, hidden) int64: h_t of each step
    y: np.ndarray  # (N, n_out) int64: y_t of each step
    y_valid: np.ndarray  # (N,) bool: the steps that produce a y transfer
    first: np.ndarray  # (N,) bool
    last: np.ndarray  # (N,) bool

    def y_stream(self) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(step index, id, y)`` of every y transfer, in arrival order (each sequence's in its own order)."""
        for n in np.nonzero(self.y_valid)[0].tolist():
            yield n, int(self.id[n]), self.y[n]


def run_interleaved(model: HadamModel, ids, x, first=None, last=None) -> InterleavedResult:
    """Steps of independent sequences in arrival order, each told apart by its ``id`` (SPEC §4.1).

    ``ids``: ``(N,)`` non-negative integers; ``x``: ``(N, n_in)`` integers (onehot: ``(N,)``
    token ids); ``first``/``last``: ``(N,)`` booleans, by default the first and the last step
    of each id. Every sequence starts from ``h = 0`` and keeps its own state: the result is
    :func:`run_golden` run on each id's steps alone, put back in arrival order.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size == 0 or ids.dtype.kind not in "iu" or (ids < 0).any():
        raise HadamHWError(f"ids must be a non-empty 1-d array of non-negative integers, not {ids.dtype} "
                           f"of shape {ids.shape}")
    n = ids.size
    x = np.asarray(x)
    if x.shape[:1] != (n,):
        raise HadamHWError(f"ids has {n} steps but the inputs have shape {x.shape}")
    seqs = [(int(i), np.nonzero(ids == i)[0]) for i in np.unique(ids)]
    if first is None:
        first = np.zeros(n, dtype=bool)
        first[[idx[0] for _, idx in seqs]] = True
    if last is None:
        last = np.zeros(n, dtype=bool)
        last[[idx[-1] for _, idx in seqs]] = True
    first, last = (_bool_flags(name, f, (1, n), 0)[0] for name, f in (("first", first), ("last", last)))
    cfg = model.config
    h = np.zeros((n, cfg.hidden), dtype=np.int64)
    y = np.zeros((n, cfg.n_out), dtype=np.int64)
    y_valid = np.zeros(n, dtype=bool)
    for _, idx in seqs:
        g = run_golden(model, x[idx][None], first[idx][None], last[idx][None])
        h[idx], y[idx], y_valid[idx] = g.h[0], g.y[0], g.y_valid[0]
    return InterleavedResult(id=ids.astype(np.int64), h=h, y=y, y_valid=y_valid, first=first, last=last)


def run_interleaved_steps(model: HadamModel, steps) -> InterleavedResult:
    """:func:`run_interleaved` on a list of ``(id, first, last, x)`` steps in arrival order."""
    steps = list(steps)
    if not steps:
        raise HadamHWError("no steps to run")
    ids, first, last, xs = zip(*steps, strict=True)
    return run_interleaved(model, np.array(ids, dtype=np.int64), np.array(xs), np.array(first, dtype=bool),
                           np.array(last, dtype=bool))


def run_reference(model: HadamModel, x, first=None) -> tuple[list[list[int]], list[list[int]]]:
    """SPEC §2 written out literally for one sequence stream, with Python integers.

    Slow and obviously right: explicit ``I ⊗ S_b``, Python ``//`` for the floor, explicit
    clamp. ``x`` is ``(T, n_in)`` (or ``(T,)`` token ids); returns ``(h_list, y_list)``.
    """
    cfg = model.config
    S = block_hadamard(cfg.hidden, cfg.block).tolist()
    sign = [int(s) for s in model.sign]
    U, V = model.U.tolist(), model.V.tolist()
    C, c = [int(v) for v in model.C], [int(v) for v in model.c]
    hlo, hhi = cfg.h_range
    x = np.asarray(x).tolist()
    T = len(x)
    first = [False] * T if first is None else [bool(f) for f in np.asarray(first).reshape(-1)]
    h = [0] * cfg.hidden
    hs, ys = [], []
    for t in range(T):
        if first[t]:
            h = [0] * cfg.hidden
        new = []
        for i in range(cfg.hidden):
            r = sum(S[i][j] * h[j] for j in range(cfg.hidden))
            if model.onehot:
                v = U[i][x[t]]
            else:
                v = sum(U[i][k] * x[t][k] for k in range(cfg.n_in))
            z = cfg.A * sign[i] * r + cfg.B * v + C[i]
            q = (z + 2 ** cfg.frac_bits // 2) // 2**cfg.frac_bits
            new.append(min(max(q, hlo), hhi))
        h = new
        hs.append(h)
        ys.append([sum(V[o][i] * max(h[i], 0) for i in range(cfg.hidden)) + c[o] for o in range(cfg.n_out)])
    return hs, ys

