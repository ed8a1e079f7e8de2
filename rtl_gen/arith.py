"""Small Amaranth building blocks shared by the datapaths and the cell.

Every value carries an exact integer :class:`~hadam_hw.fixedpoint.Interval`; signals are
sized from it (two's complement), so nothing wraps and nothing is wider than needed.
``sum_tree`` is the one adder tree of the project (a register after every ``pipeline``
levels); ``const_mul`` turns a constant multiplier into a shift (power of two) or a
canonical-signed-digit shift-and-add; ``rom`` bakes a table into a memory with
initial contents (one Python int per word, packed with numpy-free integer arithmetic).
"""

from __future__ import annotations

from collections.abc import Sequence

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import memory

from hadam_hw.fixedpoint import Interval, csd

__all__ = [
    "Term",
    "sig",
    "sum_tree",
    "const_mul",
    "rom",
    "pack_words",
    "saturate",
    "lane",
    "WidthLog",
    "fit",
    "cat_lanes",
    "bits_to_ints",
]


class WidthLog(dict):
    """``name -> width`` of the internal signals a component creates (for the manifest)."""

    def note(self, name: str, width: int) -> None:
        self[name] = max(int(width), self.get(name, 0))


class Term:
    """A signed Amaranth value together with the exact interval of what it can hold."""

    __slots__ = ("value", "interval")

    def __init__(self, value, interval: Interval):
        self.value = value
        self.interval = interval

    @property
    def width(self) -> int:
        return self.interval.width


def sig(interval: Interval, name: str) -> Signal:
    """A signed signal just wide enough for ``interval``."""
    return Signal(signed(interval.width), name=name)


def lane(word: Value, index: int, width: int, is_signed: bool = True) -> Value:
    """Lane ``index`` of a packed word (lane 0 in the least significant bits)."""
    v = word[index * width:(index + 1) * width]
    return v.as_signed() if is_signed else v


def sum_tree(m: Module, terms: Sequence[Term], *, pipeline: int, name: str,
             log: WidthLog | None = None, log_as: str | None = None) -> tuple[Term, int]:
    """Balanced binary adder tree over ``terms``; returns ``(sum, registers)``.

    A register follows every ``pipeline``-th level (0: purely combinational); values that
    skip a level (odd counts) are registered along with it, so every path has the same
    latency. The sum's interval is the exact sum of the leaves' intervals.
    """
    if not terms:
        raise ValueError("sum_tree needs at least one term")
    level = list(terms)
    depth = 0
    regs = 0
    while len(level) > 1:
        depth += 1
        nxt: list[Term] = []
        for i in range(0, len(level) - 1, 2):
            a, b = level[i], level[i + 1]
            iv = a.interval + b.interval
            s = sig(iv, f"{name}_l{depth}_{i // 2}")
            m.d.comb += s.eq(a.value + b.value)
            nxt.append(Term(s, iv))
        if len(level) % 2:
            nxt.append(level[-1])
        if pipeline and depth % pipeline == 0:
            regd = []
            for j, t in enumerate(nxt):
                r = sig(t.interval, f"{name}_r{depth}_{j}")
                m.d.sync += r.eq(t.value)
                regd.append(Term(r, t.interval))
            nxt = regd
            regs += 1
        if log is not None:
            log.note(f"{log_as or name}.level{depth}", max(t.width for t in nxt))
        level = nxt
    return level[0], regs


def const_mul(m: Module, x: Term, k: int, name: str) -> Term:
    """``k · x`` for a constant ``k >= 1``: a shift for a power of two, else CSD shift-and-add."""
    k = int(k)
    if k < 1:
        raise ValueError(f"constant multiplier must be positive, not {k}")
    iv = x.interval.scale(k)
    out = sig(iv, name)
    if k & (k - 1) == 0:
        m.d.comb += out.eq(x.value << (k.bit_length() - 1))
        return Term(out, iv)
    expr = None
    for shift, s in csd(k):
        t = x.value << shift if shift else x.value
        if expr is None:
            expr = t if s > 0 else -t
        else:
            expr = expr + t if s > 0 else expr - t
    m.d.comb += out.eq(expr)
    return Term(out, iv)


def saturate(m: Module, z: Value, lo: int, hi: int, width: int, name: str) -> Signal:
    """Clamp ``z`` to ``[lo, hi]`` into a signed ``width``-bit signal."""
    out = Signal(signed(width), name=name)
    m.d.comb += out.eq(Mux(z > hi, hi, Mux(z < lo, lo, z)))
    return out


def pack_words(rows: Sequence[Sequence[int]], width: int) -> list[int]:
    """Pack each row of integers into one word, element 0 in the least significant bits."""
    mask = (1 << width) - 1
    words = []
    for row in rows:
        w = 0
        for j, v in enumerate(row):
            w |= (int(v) & mask) << (j * width)
        words.append(w)
    return words


def bits_to_ints(bits) -> list[int]:
    """Each row of a boolean matrix as an integer, column 0 in the least significant bit."""
    import numpy as np

    packed = np.packbits(np.asarray(bits, dtype=bool), axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def rom(m: Module, name: str, words: Sequence[int], width: int, addr: Value, *,
        domain: str = "comb", en: Value | None = None) -> Value:
    """A read-only table of ``words`` (``width`` bits each) read at ``addr``.

    ``domain="comb"``: asynchronous read (distributed ROM / logic); ``"sync"``: the data
    appears the cycle after ``addr`` (block-RAM friendly) and holds while ``en`` is low.
    A single word is returned as a constant.
    """
    words = list(words)
    if len(words) == 1:
        return Const(words[0], unsigned(width))
    mem = memory.Memory(shape=unsigned(width), depth=len(words), init=words)
    m.submodules[name] = mem
    port = mem.read_port(domain=domain)
    m.d.comb += port.addr.eq(addr)
    if domain != "comb" and en is not None:
        m.d.comb += port.en.eq(en)
    return port.data


def fit(v: Value, width: int) -> Value:
    """``v`` as exactly ``width`` bits: truncated, or sign/zero-extended per its shape."""
    v = Value.cast(v)
    n = len(v)
    if n >= width:
        return v[:width]
    pad = v[-1] if (v.shape().signed and n) else Const(0, 1)
    return Cat(v, pad.replicate(width - n))


def cat_lanes(values: Sequence[Value], width: int) -> Value:
    """Concatenate values as ``width``-bit lanes, lane 0 in the least significant bits."""
    return Cat(*[fit(v, width) for v in values])
