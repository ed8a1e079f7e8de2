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
    "registered_sum",
    "gated_rows",
    "overflow_clamp",
]


class WidthLog(dict):
    """``name -> width`` of the internal signals a component creates (for the manifest)."""

    def note(self, name: str, width: int) -> None:
        self[name] = max(int(width), self.get(name, 0))


class Term:
    """A signed Amaranth value together with the exact interval of what it can hold.

    ``negate=True``: the term contributes ``−value`` (``interval`` is that contribution's);
    a sum subtracts it in its own adder instead of negating it first (a negation of its own
    is a second carry chain in the cycle).
    """

    __slots__ = ("value", "interval", "negate")

    def __init__(self, value, interval: Interval, negate: bool = False):
        self.value = value
        self.interval = interval
        self.negate = negate

    @property
    def signed_value(self):
        """What the term contributes, as a value (a negation where ``negate``)."""
        return -self.value if self.negate else self.value

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
            neg = a.negate and b.negate  # −a − b: keep the magnitude a + b, still to subtract
            s = sig(-iv if neg else iv, f"{name}_l{depth}_{i // 2}")
            if a.negate == b.negate:
                m.d.comb += s.eq(a.value + b.value)
            elif b.negate:
                m.d.comb += s.eq(a.value - b.value)
            else:
                m.d.comb += s.eq(b.value - a.value)
            nxt.append(Term(s, iv, neg))
        if len(level) % 2:
            nxt.append(level[-1])
        if pipeline and depth % pipeline == 0:
            regd = []
            for j, t in enumerate(nxt):
                r = sig(-t.interval if t.negate else t.interval, f"{name}_r{depth}_{j}")
                m.d.sync += r.eq(t.value)
                regd.append(Term(r, t.interval, t.negate))
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


def registered_sum(m: Module, terms: Sequence[Term], *, pipeline: int, name: str,
                   log: WidthLog | None = None, log_as: str | None = None) -> tuple[Term, int]:
    """:func:`sum_tree` with a register after every ``pipeline`` levels **and** at the root
    (a single term passes through unregistered); returns ``(sum, registers)``, the registers
    being :func:`hadam_hw.schedule.registered_tree_latency`."""
    if pipeline < 1:
        raise ValueError(f"a registered sum needs pipeline >= 1, not {pipeline}")
    tot, regs = sum_tree(m, terms, pipeline=pipeline, name=name, log=log, log_as=log_as)
    if tot.negate:  # only when every operand is subtracted; no sum of the cell is like that
        raise ValueError(f"{name}: a registered sum needs an operand that is added")
    levels = max(0, (len(terms) - 1).bit_length())
    if levels and levels % pipeline:
        r = sig(tot.interval, f"{name}_root")
        m.d.sync += r.eq(tot.value)
        tot, regs = Term(r, tot.interval), regs + 1
    return tot, regs


def gated_rows(x: Term, weight_bits: Sequence, name: str) -> list[Term]:
    """The partial-product rows of ``w · x`` for a two's complement weight given as its bits
    (``weight_bits[j]``, least significant first; each a 1-bit value or a Python int 0/1):
    row ``j`` is ``x << j`` gated by bit ``j``, the top row negative. Summing the rows gives the
    exact product without an inferred multiplier (which would cost a slow DSP path)."""
    p = len(weight_bits)
    rows = []
    for j, bit in enumerate(weight_bits):
        neg = j == p - 1  # the sign bit's row is subtracted by the sum (Term.negate)
        shifted = x.interval.scale(1 << j)
        if neg:
            shifted = -shifted
        iv = shifted.union(Interval(0, 0))
        if isinstance(bit, int):  # a bit constant over the table: a plain or an empty row
            if bit:
                rows.append(Term(x.value << j, shifted, neg))
            else:
                rows.append(Term(Const(0, 1), Interval(0, 0)))  # kept: the sum's shape sets its latency
            continue
        rows.append(Term(Mux(bit, x.value << j, 0), iv, neg))
    return rows


def overflow_clamp(zs: Value, lo: int, hi: int, width: int) -> tuple[Value, Value]:
    """``clamp(zs, lo, hi)`` for ``[lo, hi]`` the full signed ``width``-bit range, as an
    overflow test on the top bits (all equal to the sign: no overflow) instead of two
    comparators; returns ``(h, relu)`` expressions with relu merged into the same selection."""
    n = len(zs)
    if n <= width:
        h = zs
        relu = Mux(zs[-1], 0, zs)
        return h, relu
    top = zs[width - 1:]
    ovf = ~((top == 0) | (top == (1 << (n - width + 1)) - 1))
    neg = zs[-1]
    h = Mux(ovf, Mux(neg, lo, hi), zs[:width].as_signed())
    relu = Mux(neg, 0, Mux(ovf, hi, zs[:width - 1]))
    return h, relu


def rom(m: Module, name: str, words: Sequence[int], width: int, addr: Value, *,
        domain: str = "comb", en: Value | None = None, attrs: dict | None = None) -> Value:
    """A read-only table of ``words`` (``width`` bits each) read at ``addr``.

    ``domain="comb"``: asynchronous read (distributed ROM / logic); ``"sync"``: the data
    appears the cycle after ``addr`` (block-RAM friendly) and holds while ``en`` is low.
    A single word is returned as a constant.
    """
    words = list(words)
    if len(words) == 1:
        return Const(words[0], unsigned(width))
    mem = memory.Memory(shape=unsigned(width), depth=len(words), init=words, attrs=attrs)
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
