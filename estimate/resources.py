"""Resource features of a generated cell, derived in plain Python from the RTL's own structure.

This module walks the structure :mod:`rtl_gen.cell` elaborates — the schedule of
:mod:`hadam_hw.schedule`, the widths of :func:`hadam_hw.widths.derive_widths`, the
datapaths' adder trees and butterflies, the tables and their depths — and counts what each
part is made of (FINN-style: one documented formula per component). It imports no
Amaranth and runs in milliseconds; :mod:`estimate.model` turns the counts into
LUTs and flip-flops with per-target coefficients fitted against Yosys.

Feature units (a component reports any of them):

``alu``     bits of carry-propagate adders, subtractors, accumulators and comparators;
``csa``     bits of carry-save compression. Yosys merges an adder whose result feeds one
            other adder into a multi-operand sum (``alumacc``) and builds it from 3:2
            compressors (``maccmap``): the operands beyond the two widest cost their widths
            in compressor bits, then one carry-propagate adder (``alu``) adds two rows;
``leaf``    bits of sign flips (XOR), block selection and gates (AND) on the leaves of a
            multi-operand sum (Yosys may fold some into the compressors' LUTs);
``mux``     bits of other 2:1 multiplexers and gates (FIFO reads, latches, clamps, relu);
``rom``     LUTs of baked tables mapped to logic: ``w · max(1, 2^(a−n+1) − 1)`` for
            ``2^a`` words on ``n``-input LUTs (``n − 1`` address bits per LUT with its mux);
``mul``     partial-product bits ``p·q`` of multipliers built from logic (targets without
            DSP blocks); their rows join the sum they feed as operands (``csa``);
``lutram``  LUT-equivalents of distributed RAM (the output FIFOs, small SDF state);
``ctl``     bits of control counters; ``ff`` flip-flops;
``ff_zero`` flip-flops of the low bits that are zero in every operand of a registered
            multi-operand sum of product rows (``x << j``): ECP5's flow keeps them, iCE40's
            removes most;
``dsp``     DSP blocks (one per multiplier that is not a constant ±2^n, where the target
            maps multipliers to DSPs); ``bram`` block RAMs.

Where a memory goes (block RAM, distributed RAM, logic or flip-flops) and whether
multipliers become DSPs depends on the target: :data:`TARGET_RULES` mirrors the costs of
Yosys' memory libraries (``memory_libmap``: logic costs 1/16 per ROM bit and 1 per RAM
bit; a block or distributed RAM costs what its library file says) and the targets'
``synth_*`` DSP mapping.

``Resources.components`` keeps the counts per component (``recurrence``, ``A_constant``,
``final_add``, ``input_projection``, ``output_head``, ``state``, ``fifo``, ``control``), so
an estimate shows what the recurrence costs next to the constant ``A`` (SPEC §6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hadam_hw.archs import arch_spec
from hadam_hw.config import HardwareConfig, Weights
from hadam_hw.fixedpoint import Interval, csd
from hadam_hw.manifest import stream_specs
from hadam_hw.model import HadamModel
from hadam_hw.schedule import Schedule, ceil_log2, event_offsets, make_schedule, x_handoff_offsets
from hadam_hw.targets import TARGETS, BlockRam, LutRam, TargetRules
from hadam_hw.widths import design_widths
from rtl_gen.datapaths import datapath_class

__all__ = ["FEATURES", "LUT_FEATURES", "FF_FEATURES", "PARTS", "TARGET_RULES", "TargetRules", "BlockRam", "LutRam",
           "Component", "Resources", "resources", "macc", "tree_maccs", "registered_sum_features", "registered_levels",
           "product_rows", "shared_tree", "dag_tree", "leaf_share", "table_columns",
           "rom_luts", "memory_mapping"]

FEATURES = ("alu", "csa", "leaf", "mux", "rom", "mul", "lutram", "ctl", "ff", "ff_zero", "dsp", "bram")
LUT_FEATURES = ("alu", "csa", "leaf", "mux", "rom", "mul", "lutram", "ctl")
FF_FEATURES = ("ff", "ff_zero")
PARTS = ("recurrence", "A_constant", "final_add", "input_projection", "output_head", "state", "fifo", "control")


TARGET_RULES: dict[str, TargetRules] = {name: t.rules for name, t in TARGETS.items()}


def rom_luts(depth: int, width: int, lut_inputs: int = 4) -> float:
    """LUTs of a ``depth``-word table in logic, per :data:`FEATURES` ``rom``."""
    a = ceil_log2(depth)
    k = lut_inputs
    return float(width * (1 if a <= k else (1 << (a - k + 1)) - 1))


def _blocks(rules: TargetRules, depth: int, width: int) -> int:
    return min(math.ceil(width / w) * math.ceil(depth / dp) for w, dp in rules.block.depths.items())


def memory_mapping(rules: TargetRules, depth: int, width: int, *, rom: bool, sync: bool) -> tuple[str, int]:
    """``(kind, count)``: where ``memory_libmap`` puts a memory — ``block`` (count blocks),
    ``lutram`` (count cells), or ``logic`` (a ROM) / ``ff`` (a RAM) — the cheapest by its costs."""
    bits = depth * width
    options = [("logic" if rom else "ff", bits / 16 if rom else float(bits), 0)]
    if sync:
        n = _blocks(rules, depth, width)
        options.append(("block", float(rules.block.cost * n), n))
    if rules.lutram is not None and not rom:
        lr = rules.lutram
        deep = math.ceil(depth / lr.depth)
        n = math.ceil(width / lr.width) * deep
        # memory_libmap adds half a unit per bit of read multiplexer between stacked cells
        options.append(("lutram", float(lr.cost * n) + 0.5 * (deep - 1) * width, n))
    kind, _cost, n = min(options, key=lambda o: o[1])  # first wins a tie: logic, as Yosys' strict '<'
    return kind, n


def macc(operands: list[int], width: int) -> dict[str, float]:
    """A multi-operand sum after ``alumacc``/``maccmap``: the operands beyond the two widest
    go through 3:2 compressors (``csa``: the sum of their widths; Yosys extends signs
    without widening the rows) and a ``width``-bit adder (``alu``) adds the last two rows."""
    if len(operands) < 2:
        return {}
    ws = sorted(operands, reverse=True)
    return {"csa": float(sum(ws[2:])), "alu": float(width)}


def tree_maccs(leaves: list[tuple[Interval, list[int]]], pipeline: int) -> tuple[dict[str, float], Interval, list[int], bool]:
    """Walk :func:`rtl_gen.arith.sum_tree` over ``leaves`` = ``(interval, operand widths)``.

    Same balanced tree, a register after every ``pipeline`` levels (odd nodes carried and
    registered with their level); between registers the sums merge into one multi-operand
    sum. Returns ``(features of the registered sums, root interval, root operand widths,
    root registered)``: the caller decides whether the root merges into its consumer.
    """
    out: dict[str, float] = {}

    def add(feats: dict[str, float]) -> None:
        for k, v in feats.items():
            out[k] = out.get(k, 0.0) + v

    level = [(iv, list(ops)) for iv, ops in leaves]
    depth = 0
    registered = False
    while len(level) > 1:
        depth += 1
        nxt = [(level[i][0] + level[i + 1][0], level[i][1] + level[i + 1][1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        registered = bool(pipeline and depth % pipeline == 0)
        if registered:
            for iv, ops in nxt:
                add(macc(ops, iv.width))
                add({"ff": float(iv.width)})
            nxt = [(iv, [iv.width]) for iv, _ in nxt]
        level = nxt
    iv, ops = level[0]
    return out, iv, ops, registered


Leaf = tuple  # (interval of the operand's contribution, significant bits, constant-zero low bits); None: a zero


def registered_sum_features(leaves: list[Leaf | None], pipeline: int) -> tuple[dict[str, float], Interval, int]:
    """:func:`rtl_gen.arith.registered_sum` over exact operands: the balanced tree, a register
    after every ``pipeline`` levels and at the root; between registers the sums merge into one
    multi-operand sum (:func:`macc`).

    A leaf is ``(interval, significant bits, low zero bits)`` — a product row ``x << j`` has ``j``
    low bits that are zero — or ``None`` for a row that is zero in every word of its table (kept
    by the RTL for the tree's shape, removed by synthesis). A registered sum costs the bits of
    its interval above the low bits that are zero in all of its operands (adder bits and
    flip-flops on constants vanish); where the sum merges more than two operands (a ``$macc``)
    the flip-flops of those zero bits are ``ff_zero``: measured, ECP5's flow keeps them, iCE40's
    removes most. Returns ``(features, root interval, root low zero bits)``.
    """
    none = 1 << 30
    out: dict[str, float] = {}

    def add(feats: dict[str, float]) -> None:
        for k, v in feats.items():
            out[k] = out.get(k, 0.0) + v

    def close(node: tuple) -> tuple:
        iv, ops, tz = node
        if not ops:
            return node
        zeros = min(tz, iv.width - 1)
        bits = iv.width - zeros
        add(macc(ops, bits))
        add({"ff": float(bits), "ff_zero": float(zeros) if len(ops) > 2 else 0.0})
        return iv, [bits], tz

    level = [(Interval(0, 0), [], none) if leaf is None else (leaf[0], [leaf[1]], leaf[2]) for leaf in leaves]
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = [(a[0] + b[0], a[1] + b[1], min(a[2], b[2])) for a, b in zip(level[0::2], level[1::2], strict=False)]
        if len(level) % 2:
            nxt.append(level[-1])
        if depth % pipeline == 0:
            nxt = [close(n) for n in nxt]
        level = nxt
    root = level[0]
    if depth % pipeline:
        root = close(root)
    return out, root[0], min(root[2], none)


def registered_levels(operands: int, pipeline: int) -> int:
    """Registers on the way through :func:`rtl_gen.arith.registered_sum` of ``operands`` terms."""
    levels = max(0, (operands - 1).bit_length())
    return levels // pipeline + (1 if levels % pipeline else 0)


def product_rows(x: Interval, weight_bits: np.ndarray, *, shift: int = 0) -> tuple[list[Leaf | None], int]:
    """The leaves :func:`rtl_gen.arith.gated_rows` makes of ``w · x`` (then shifted left by
    ``shift``), ``weight_bits[:, j]`` being bit ``j`` of the weight in every word of its table:
    row ``j`` is ``x << j`` (the top row subtracted), gated by the bit, a plain row where the
    bit is 1 in every word and nothing where it is 0 in every word. Returns the leaves and the
    number of gated bits (AND gates)."""
    p = weight_bits.shape[1]
    leaves: list[Leaf | None] = []
    gates = 0
    for j in range(p):
        col = weight_bits[:, j]
        constant = bool((col == col[0]).all())
        if constant and not col[0]:
            leaves.append(None)
            continue
        iv = x.scale(1 << j)
        if j == p - 1:
            iv = -iv
        if not constant:
            iv = iv.union(Interval(0, 0))
            gates += x.width
        iv = iv.scale(1 << shift)
        tz = j + shift
        leaves.append((iv, max(1, iv.width - tz), tz))
    return leaves, gates


@dataclass
class Component:
    """One part of the cell and what it is made of (feature -> amount)."""

    name: str
    part: str
    formula: str = ""
    features: dict[str, float] = field(default_factory=dict)

    def add(self, feats: dict[str, float] | None = None, scale: float = 1.0, **kw: float) -> Component:
        for k, v in {**(feats or {}), **kw}.items():
            if k not in FEATURES:
                raise KeyError(f"unknown resource feature {k!r}")
            self.features[k] = self.features.get(k, 0.0) + scale * float(v)
        return self


@dataclass
class Resources:
    """The cell's components and the facts an estimate reports beside them."""

    target: str
    components: list[Component]
    facts: dict

    def totals(self) -> dict[str, float]:
        t = dict.fromkeys(FEATURES, 0.0)
        for c in self.components:
            for k, v in c.features.items():
                t[k] += v
        return t

    def by_part(self) -> dict[str, dict[str, float]]:
        out = {p: dict.fromkeys(FEATURES, 0.0) for p in PARTS}
        for c in self.components:
            for k, v in c.features.items():
                out[c.part][k] += v
        return out

    def to_json(self) -> dict:
        return {"target": self.target,
                "components": [{"name": c.name, "part": c.part, "formula": c.formula, "features": c.features}
                               for c in self.components],
                "totals": self.totals(), "facts": self.facts}


def _product_interval(weights: np.ndarray, lo: int, hi: int) -> Interval:
    wl, wh = int(weights.min()), int(weights.max())
    cands = [wl * lo, wl * hi, wh * lo, wh * hi, 0]
    return Interval(min(cands), max(cands))


def _bits(values, width: int) -> np.ndarray:
    """Two's complement bits of an integer matrix ``(words, n)`` as ``(words, n·width)`` 0/1."""
    v = np.asarray(values, dtype=np.int64)
    v = v.reshape(v.shape[0], -1)
    return ((v[:, :, None] >> np.arange(width)) & 1).reshape(v.shape[0], -1).astype(np.uint8)


def table_columns(bits: np.ndarray, lut_inputs: int) -> tuple[int, float]:
    """``(outputs, LUTs)`` of a table (``words × bits`` 0/1) mapped to logic.

    Yosys shares identical outputs and drops constant ones; what is left costs, per output,
    what the function of its address bits costs: a single bit is a wire, an XOR of ``k``
    bits (the Sylvester sign patterns) ``⌈(k−1)/(n−1)⌉`` LUTs of ``n`` inputs, any other
    function of ``k`` bits a ``2^k``-word table (:func:`rom_luts`).
    """
    if bits.size == 0:
        return 0, 0.0
    cols = bits.T.astype(np.uint8)
    cols = cols[cols.min(axis=1) != cols.max(axis=1)]
    if not cols.size:
        return 0, 0.0
    cols = np.unique(cols, axis=0)
    n, G = cols.shape
    a = max(1, ceil_log2(G))
    g = np.arange(G)
    pad = (1 << a) - G  # a depth that is not a power of two: treat missing words as don't-care copies
    if pad:
        cols = np.concatenate([cols, cols[:, :pad]], axis=1)
        g = np.arange(1 << a)
    depends = np.zeros((n, a), dtype=bool)
    for i in range(a):
        depends[:, i] = (cols != cols[:, g ^ (1 << i)]).any(axis=1)
    k = depends.sum(axis=1)
    m = (cols[:, [1 << i for i in range(a)]] ^ cols[:, [0]]).astype(np.int64)  # (n, a)
    gbits = ((g[:, None] >> np.arange(a)) & 1).astype(np.int64)  # (G, a)
    affine = ((((m @ gbits.T) & 1) ^ cols[:, [0]]) == cols).all(axis=1)
    luts = np.where(k <= 1, 0.0,
                    np.where(affine, np.ceil((k - 1) / (lut_inputs - 1)),
                             [rom_luts(1 << int(x), 1, lut_inputs) for x in k]))
    return n, float(luts.sum())


def shared_tree(leaf_sigs: list[list[object]], leaves: list[tuple[Interval, list[int]]],
                pipeline: int) -> tuple[dict[str, float], float, Interval, list[int], bool]:
    """:func:`tree_maccs` for ``L`` lanes at once, with what Yosys shares between them.

    ``leaf_sigs[lane][j]`` says what leaf ``j`` of a lane computes over a step (its source
    and sign in every row group). A registered sum whose leaves compute the same in two
    lanes is one circuit (its adder network and register merge once the identical table
    outputs have); a combinational sum merges only as a whole. Returns ``(features of the
    lanes' registered sums, unique lanes of the root, root interval, root operand widths,
    root registered)``; the caller charges the root ``× unique lanes`` or merges it.
    """
    L = len(leaf_sigs)
    ids: dict[object, int] = {}

    def intern(x: object) -> int:
        return ids.setdefault(x, len(ids))

    out: dict[str, float] = {}

    def add(feats: dict[str, float], times: float) -> None:
        for k, v in feats.items():
            out[k] = out.get(k, 0.0) + v * times

    sigs = [[intern(("leaf", j, s)) for j, s in enumerate(row)] for row in leaf_sigs]
    level = [(iv, list(ops)) for iv, ops in leaves]
    depth, registered = 0, False
    while len(level) > 1:
        depth += 1
        nxt = [(level[i][0] + level[i + 1][0], level[i][1] + level[i + 1][1]) for i in range(0, len(level) - 1, 2)]
        nsig = []
        for row in sigs:
            r = [intern(("add", row[i], row[i + 1])) for i in range(0, len(row) - 1, 2)]
            if len(row) % 2:
                r.append(row[-1])
            nsig.append(r)
        if len(level) % 2:
            nxt.append(level[-1])
        registered = bool(pipeline and depth % pipeline == 0)
        if registered:
            for pos, (iv, ops) in enumerate(nxt):
                u = len({nsig[ln][pos] for ln in range(L)})
                add(macc(ops, iv.width), u)
                add({"ff": float(iv.width)}, u)
            nxt = [(iv, [iv.width]) for iv, _ in nxt]
            nsig = [[intern(("reg", x)) for x in row] for row in nsig]
        level, sigs = nxt, nsig
    iv, ops = level[0]
    return out, float(len({row[0] for row in sigs})), iv, ops, registered


def dag_tree(leaf_sigs: list[list[object]], leaves: list[tuple[Interval, list[int]]],
             pipeline: int) -> tuple[dict[str, float], float, Interval, list[int], bool]:
    """:func:`shared_tree` where the lanes' leaves are known before ``alumacc`` (the adder tree:
    sign flips computed from the row counter), so Yosys merges identical two-input sums
    across lanes first (``opt_merge``): every distinct sum is built once, and a sum used by
    several others (fanout > 1), like a registered one, closes its own multi-operand sum.
    Same return values as :func:`shared_tree`.
    """
    ids: dict[object, int] = {}
    info: dict[int, tuple] = {}  # id -> (interval, children ids or None, operand widths if leaf, registered)

    def intern(key: object, entry: tuple) -> int:
        if key not in ids:
            ids[key] = len(ids)
            info[ids[key]] = entry
        return ids[key]

    rows = [[intern(("leaf", j, s_), (leaves[j][0], None, list(leaves[j][1]), False))
             for j, s_ in enumerate(sig)] for sig in leaf_sigs]
    ivs = [iv for iv, _ in leaves]
    depth = 0
    while len(rows[0]) > 1:
        depth += 1
        reg = bool(pipeline and depth % pipeline == 0)
        new_ivs = [ivs[i] + ivs[i + 1] for i in range(0, len(ivs) - 1, 2)] + ([ivs[-1]] if len(ivs) % 2 else [])
        nrows = []
        for row in rows:
            r = [intern(("add", row[i], row[i + 1]), (new_ivs[i // 2], (row[i], row[i + 1]), None, False))
                 for i in range(0, len(row) - 1, 2)]
            if len(row) % 2:
                r.append(row[-1])
            if reg:
                r = [intern(("reg", x), (new_ivs[k], (x,), None, True)) for k, x in enumerate(r)]
            nrows.append(r)
        rows, ivs = nrows, new_ivs
    parents: dict[int, set[int]] = {}
    for nid, (_iv, ch, _ops, _reg) in info.items():
        for c in ch or ():
            parents.setdefault(c, set()).add(nid)
    roots = {row[0] for row in rows}
    out: dict[str, float] = {}

    def operands(nid: int) -> list[int]:
        iv, ch, ops, reg = info[nid]
        if ch is None:
            return list(ops)
        if reg or len(parents.get(nid, ())) != 1 or nid in roots:
            return [iv.width]
        return [w for c in ch for w in operands(c)]

    for nid, (iv, ch, _ops, reg) in info.items():
        if ch is None:
            continue
        if reg:
            out["ff"] = out.get("ff", 0.0) + iv.width
            src = ch[0]
            if info[src][1] is not None and len(parents.get(src, ())) == 1:
                for k, v in macc([w for c in info[src][1] for w in operands(c)], iv.width).items():
                    out[k] = out.get(k, 0.0) + v
        elif len(parents.get(nid, ())) > 1 and nid not in roots:
            for k, v in macc([w for c in ch for w in operands(c)], iv.width).items():
                out[k] = out.get(k, 0.0) + v
    root = rows[0][0]
    iv, ch, ops, reg = info[root]
    root_ops = [iv.width] if reg else (list(ops) if ch is None else [w for c in ch for w in operands(c)])
    # the roots are charged by the caller, once per distinct root
    return out, float(len(roots)), iv, root_ops, reg


def leaf_share(leaf_sigs: list[list[object]]) -> float:
    """Fraction of the lanes' leaves (gates, multiplexers) that are unique."""
    L, n = len(leaf_sigs), len(leaf_sigs[0])
    return sum(len({leaf_sigs[ln][j] for ln in range(L)}) for j in range(n)) / (L * n)


class _Builder:
    """Counts one cell, component by component, for one target's mapping rules."""

    def __init__(self, model: HadamModel, hw: HardwareConfig, target: str):
        if target not in TARGET_RULES:
            raise KeyError(f"no resource rules for target {target!r}")
        self.model, self.hw, self.target = model, hw, target
        self.rules = TARGET_RULES[target]
        self.S: Schedule = make_schedule(model, hw)
        self.cfg = model.config
        self.W = design_widths(model, hw)  # runtime weights: the shape's envelope
        # runtime weights: the tables are the WeightStore's RAMs, counted by estimate/interface.py
        self.runtime = hw.weights is Weights.RUNTIME
        self.comps: list[Component] = []
        self.nA, self.nB = len(csd(self.cfg.A)), len(csd(self.cfg.B))
        # tables in logic that share one address: their identical outputs (and read registers) merge
        self._rom_groups: dict[object, list[tuple[Component, np.ndarray, bool]]] = {}
        self._products: set[tuple[object, int]] = set()  # (variable, constant) multipliers built

    def comp(self, name: str, part: str, formula: str = "") -> Component:
        c = Component(name, part, formula)
        self.comps.append(c)
        return c

    # --- shared pieces ------------------------------------------------------------------------
    def rom(self, c: Component, bits: np.ndarray, *, address: object, sync: bool = True, logic: bool = False,
            two_stage: bool = False) -> None:
        """A baked table, ``bits`` = ``(words, width)`` 0/1, read at ``address`` (a constant when
        it has one word). Block RAM when ``memory_libmap`` would choose it, else logic
        (``logic=True``: ``rom_style = "logic"``, the registered design's tables). ``two_stage``:
        the registered design's two registered reads (``HadamRNNCell._table``: 16-word
        synchronous sub-tables, then the sub-table selected into a second register)."""
        depth, width = bits.shape
        if depth <= 1 or width <= 0 or self.runtime:
            return
        kind, n = ("logic", 0) if logic or two_stage else memory_mapping(self.rules, depth, width, rom=True, sync=sync)
        if kind == "block":
            c.add(bram=n)
            return
        mode = "two_stage" if two_stage else sync
        self._rom_groups.setdefault((address, depth, mode), []).append((c, bits, mode))

    def finish_roms(self) -> None:
        """Charge each address group's distinct outputs (LUTs, and read registers when synchronous)
        to its tables in proportion to their width. A two-stage table costs, per 16-word
        sub-table, its distinct outputs (LUTs and their read registers), the high address bits'
        register, the sub-table multiplexer, and the second register on the distinct outputs."""
        for (_addr, depth, mode), members in self._rom_groups.items():
            allbits = np.concatenate([b for _, b, _ in members], axis=1)
            n, luts = table_columns(allbits, self.rules.lut_inputs)
            feats = {"rom": luts, "ff": float(n) if mode else 0.0}
            if mode == "two_stage":
                chunks = [table_columns(allbits[k:k + 16], self.rules.lut_inputs) for k in range(0, depth, 16)]
                feats = {"rom": sum(lu for _, lu in chunks),
                         "ff": float(sum(nc for nc, _ in chunks) + n
                                     + (ceil_log2(depth) - 4 if len(chunks) > 1 else 0)),
                         "mux": float((len(chunks) - 1) * n)}
            total = sum(b.shape[1] for _, b, _ in members)
            for c, b, _ in members:
                c.add(feats, scale=b.shape[1] / total)

    def ram(self, c: Component, depth: int, width: int, *, sync: bool) -> None:
        kind, n = memory_mapping(self.rules, depth, width, rom=False, sync=sync)
        if kind == "block":
            c.add(bram=n)
            return
        if kind == "lutram":
            lr = self.rules.lutram
            c.add(lutram=n * lr.luts, mux=max(0, math.ceil(depth / lr.depth) - 1) * width)
        else:
            c.add(ff=depth * width, mux=max(0, depth - 1) * width)
        if sync:
            c.add(ff=width)

    def multipliers(self, c: Component, count: int, p: int, q: int) -> list[int]:
        """``count`` multipliers of ``p × q`` bits (weights read from a table); returns the
        operand widths each adds to the sum it feeds (its partial products without DSPs)."""
        if self.rules.dsp:
            c.add(dsp=count)
            return [p + q]
        c.add(mul=count * p * q)
        return [p + q] * p  # one partial-product row per weight bit, sign-extended to the product

    def const_products(self, c: Component, weights, q: int, operands: list[object]) -> list[int]:
        """Products of ``q``-bit variables (``operands[i]`` names the one weight ``i`` multiplies)
        by constant weights; returns the operand widths they add to a sum. ``0`` vanishes,
        ``±2^n`` is a shifted operand, any other constant stays a ``$mul`` (a DSP where the
        target maps them, else one row per set bit); the same constant times the same
        variable is one multiplier however many sums use it (``operands[i] = None``: not shared;
        measured: Yosys shares the input projection's products between lanes, not the head's)."""
        ops: list[int] = []
        for k, var in zip(np.asarray(weights, dtype=np.int64).ravel(), operands, strict=True):
            k = int(k)
            a = abs(k)
            if a == 0:
                continue
            if a & (a - 1) == 0:
                ops.append(q + 1)
                continue
            ops.append(q + a.bit_length() + 1)
            if var is not None and (var, k) in self._products:
                continue
            self._products.add((var, k))
            if self.rules.dsp:
                c.add(dsp=1)
            else:
                ones = bin(a).count("1")
                c.add(mul=ones * q)
                ops += [q + a.bit_length() + 1] * (ones - 1)  # one shifted row per set bit
        return ops

    def weight_bits(self, weights: np.ndarray, p: int) -> np.ndarray:
        """``(words, p)`` bits of one weight in every word of its table; with runtime weights
        every bit may change (a row of zeros and a row of ones stand for that)."""
        if self.runtime:
            return np.array([[0] * p, [1] * p], dtype=np.int64)
        return (np.asarray(weights, dtype=np.int64)[:, None] >> np.arange(p)) & 1

    def counter(self, c: Component, length: int) -> None:
        if length > 1:
            n = ceil_log2(length)
            c.add(ff=n + 1, ctl=n)

    def fifo(self, name: str, depth: int, width: int) -> None:
        c = self.comp(name, "fifo", f"{depth} × {width} bits, asynchronous read (first-word fall-through)")
        self.ram(c, depth, width, sync=False)
        for n in (depth, depth, depth + 1):
            self.counter(c, n)

    def control(self) -> Component:
        S = self.S
        c = self.comp("handshake, step events, x register", "control",
                      "busy counter, delays to each event offset, windows, x register, credits")
        self.counter(c, S.cycles_per_step)
        x_width = stream_specs(self.model, self.hw)["x"].width
        c.add(ff=x_width + 1)  # x_reg (data, first, last), fresh
        c.add(ctl=4)
        # interleaved (SPEC §4.1): the id travels with every event; per sequence a loop counter,
        # a free flag and a fresh bit; x handed off to the projection when steps come sooner
        C = S.interleave
        flags = 3 + (ceil_log2(C) if C > 1 else 0)
        if C > 1:
            for _ in range(C):
                self.counter(c, S.loop_cycles)
            c.add(ff=2 * C - 1, mux=C - 1)
            c.add(ff=len(x_handoff_offsets(S)) * x_width)
        # event delays: shift registers for short/long gaps, down-counters for the rest
        offs = set(event_offsets(S))
        prev = 0
        for o in sorted(offs - {0}):
            delta = o - prev
            if delta <= 2 or delta > S.cycles_per_step:
                c.add(ff=flags * delta)
            else:
                self.counter(c, delta)
                c.add(ff=flags)
            prev = o
        return c

    # --- the toolkit a datapath's own resource formula is given (rtl_gen.datapaths) ----------------
    macc = staticmethod(macc)
    bits = staticmethod(_bits)

    def row_trees(self, rec: Component, leaf_sigs: list[list[object]], leaves: list[tuple[Interval, list[int]]], *,
                  shared_subsums: bool, registered: bool) -> list[int] | None:
        """The ``lanes`` sum trees of a datapath that reads the state vector (one row per lane per
        cycle), with what Yosys shares between lanes: ``leaf_sigs`` (per lane, what each leaf
        computes in every row group, see :func:`shared_tree`) and ``leaves`` (``(interval,
        operand widths)``). ``shared_subsums``: identical two-input sums merge across lanes
        before ``alumacc`` (:func:`dag_tree`), else only registered sums do. The lanes' leaf
        gates counted so far are scaled by their share of unique leaves. Returns the operand
        widths ``r`` brings to the final add where the root merges into it (``None``: one)."""
        K, G = self.hw.pipeline, self.S.groups
        walk = dag_tree if shared_subsums else shared_tree
        t, u_root, r_iv, ops, root_registered = walk(leaf_sigs, leaves, K)
        rec.features["leaf"] = rec.features.get("leaf", 0.0) * leaf_share(leaf_sigs)
        rec.add(t)
        if registered:
            if not root_registered and len(leaves) > 1:
                rec.add(macc(ops, r_iv.width), scale=u_root)
                rec.add(ff=r_iv.width * u_root)
            return None
        if G == 1 and self.nA == 1 and not root_registered:
            return ops  # a constant sign and a shift: the tree merges into the final sum
        rec.add(macc(ops, r_iv.width), scale=u_root)
        return None

    # --- final add ----------------------------------------------------------------------------
    def final_add(self, lanes: int, *, neg_const: bool, v_ops: list[list[int]], r_ops: list[int],
                  c_v: Component, c_r: Component) -> tuple[Component, Component]:
        """``z = ±A·r + B·v + (C + 2^(F−1))``, ``h = clamp(z >> F)``, ``relu(h)`` on ``lanes`` rows.

        ``A`` with ``nA`` signed digits costs ``nA − 1`` adders per row (a shift when it is a
        power of two): with a sign read from a table, ``A·r`` is its own sum, negated and
        multiplexed before the final add; with a constant sign its digits join the final
        sum. ``v_ops`` (per lane) and ``r_ops`` are the operand widths ``v`` and ``r``
        bring to the final sum (one operand when their own sums are registered).
        """
        cfg, W = self.cfg, self.W
        wz, wAr, wv, sb = W.width("z"), W.width("Ar"), W.width("v"), cfg.state_bits
        wch = Interval.of(self.model.C.astype(np.int64) + ((1 << cfg.frac_bits) >> 1)).width
        nA, nB = self.nA, self.nB
        fa = self.comp("final add, clamp, relu", "final_add",
                       f"{lanes} row(s): z = ±A·r + B·v + C' on {wz} bits, clamp to {sb} bits")
        ca = self.comp(f"constant A = {cfg.A} ({nA} signed digit{'s' if nA > 1 else ''})", "A_constant",
                       f"{lanes} row(s) × {nA - 1} adder(s)" if nA > 1 else "a power of two: a shift, free")
        wr = W.width("r")
        for ln in range(lanes):
            vo = v_ops[ln] if nB == 1 else [wv] * nB
            if nB > 1:
                c_v.add(macc(v_ops[ln], wv))
            if neg_const:
                ro = list(r_ops) if nA == 1 else [wr] * nA
            else:
                ro = [wAr]
            ops = ro + vo + [wch]
            # charge the sum: its adder and three operands' worth to the final add, A's further
            # digits to A_constant, the rest (merged projection or tree operands) to their owners
            tot = macc(ops, wz)
            base = macc([wr, wv, wch], wz)
            fa.add(base)
            extra_a = max(0.0, (nA - 1) * wr) if neg_const else 0.0
            extra_v = max(0.0, sum(vo) - wv)
            extra_r = max(0.0, sum(ro) - wr - extra_a)
            rest = tot.get("csa", 0.0) - base.get("csa", 0.0)
            scale = rest / (extra_a + extra_v + extra_r) if extra_a + extra_v + extra_r > 0 else 0.0
            ca.add(csa=extra_a * scale)
            c_v.add(csa=extra_v * scale)
            c_r.add(csa=extra_r * scale)
        if not neg_const:
            ca.add(macc([wr] * nA, wAr), scale=lanes)
            fa.add(alu=lanes * wAr, mux=lanes * wAr)  # −A·r and the sign multiplexer
        ws = max(1, wz - cfg.frac_bits)
        fa.add(alu=lanes * 2 * ws, mux=lanes * (2 * sb + sb - 1))  # clamp compares and muxes, relu
        return fa, ca


def resources(model: HadamModel, hw: HardwareConfig, target: str = "ecp5") -> Resources:
    """Count what the cell for ``model`` built as ``hw`` is made of, mapped by ``target``'s rules."""
    hw = hw.replace(interface="streams")  # inside an AXI top the cell is the same; the wrapper is wiring
    B = _Builder(model, hw, target)
    S, cfg = B.S, B.cfg
    ctl = B.control()
    streams = stream_specs(model, hw)
    B.fifo("y buffer", S.y_fifo_depth, streams["y"].width)
    if hw.expose_state:
        B.fifo("h buffer", S.h_fifo_depth, streams["h"].width)
    if S.registered:
        _registered_serial(B, ctl)
    elif S.serial:
        _serial(B, ctl)
    else:
        _parallel(B, ctl)
    B.finish_roms()
    W = B.W
    facts = {
        "cycles_per_step": S.cycles_per_step, "latency_cycles": S.latency_cycles,
        "set_by": S.set_by, "parts": dict(S.parts), "rows_per_cycle": S.lanes, "groups": S.groups,
        "A": cfg.A, "A_signed_digits": B.nA, "A_gain": cfg.A * math.sqrt(cfg.block) / 2**cfg.frac_bits,
        "B": cfg.B, "B_signed_digits": B.nB,
        "widths": {k: W.width(k) for k in ("r", "Ar", "v", "z", "y", "relu")},
    }
    return Resources(target, B.comps, facts)


def _serial(B: _Builder, ctl: Component) -> None:
    model, hw, S, cfg, W = B.model, B.hw, B.S, B.cfg, B.W
    d, sb, p = cfg.hidden, cfg.state_bits, cfg.weight_bits
    n_in, n_out = cfg.n_in, cfg.n_out
    L, G = S.lanes, S.groups
    const_rows = G == 1  # every table is one word: weights, signs and constants are constants
    wv, wy, wrelu = W.width("v"), W.width("y"), W.width("relu")
    half = (1 << cfg.frac_bits) >> 1
    wch = Interval.of(model.C.astype(np.int64) + half).width
    if G > 1:  # row windows: one counter per distinct start
        for _ in {S.read_offset, S.proj_offset, S.proj_offset - 1, S.final_offset, S.final_offset - 1,
                  S.head_offset, S.head_offset - 1}:
            B.counter(ctl, G)

    # --- recurrence: the datapath's own formula, and the state it reads ---------------------------
    rec = B.comp(f"recurrence ({hw.arch.value})", "recurrence")
    spec = arch_spec(hw.arch)
    r_ops = datapath_class(hw.arch).resources(B, rec, registered=False) or [W.width("r")]
    if not spec.state_in_memory:
        rec.add(leaf=d * sb, ff=d * sb)  # 'first' gate and the state register
        rec.formula += f"; state {d}×{sb} FFs"
    else:
        if G > 1:
            B.ram(rec, G, L * sb, sync=True)  # the state memory
        else:
            rec.add(ff=L * sb)
        rec.add(mux=L * sb)  # 'first'
        rec.formula += f"; state {'memory ' + str(G) + '×' + str(L * sb) if G > 1 else 'registers'}"

    if G > 1 and (not spec.state_in_memory or hw.expose_state):
        B.comp("state collector", "state", f"({G}−1)×{L}×{sb} registers gathering h_t").add(ff=(G - 1) * L * sb)

    # --- input projection ----------------------------------------------------------------------
    proj = B.comp("input projection", "input_projection")
    if model.onehot:
        U = model.U.astype(np.int64)  # (d, vocab): word (token, g) holds U[g·L + l, token]
        B.rom(proj, _bits(U.T.reshape(n_in * G, L), p), address=("token", S.final_offset - 1))
        proj.add(ff=max(1, ceil_log2(n_in)))
        v_ops = [[wv]] * L
        proj.formula = f"U table {n_in * G} words × {L * p} bits (one column per token)"
    else:
        ib = cfg.in_bits
        U = model.U.astype(np.int64)
        proj.add(ff=n_in * ib, mux=n_in * ib)  # x latched for the window
        if const_rows:
            v_ops = [B.const_products(proj, U[ln], ib, [("x", k) for k in range(n_in)]) for ln in range(L)]
        else:
            B.rom(proj, _bits(U.reshape(G, L * n_in), p), address=S.proj_offset - 1)
            v_ops = [sum((B.multipliers(proj, 1, p, ib) for _ in range(n_in)), []) for _ in range(L)]
        if S.proj_latency:  # v registered: its own sum
            for ops in v_ops:
                proj.add(macc(ops, wv))
            proj.add(ff=L * wv)
            v_ops = [[wv]] * L
        proj.formula = f"{L} lane(s) × {n_in} products of {p}×{ib} bits" + ("" if const_rows else f"; U table {G} words")

    # --- final add -----------------------------------------------------------------------------
    fa, _ca = B.final_add(L, neg_const=const_rows, v_ops=v_ops, r_ops=r_ops, c_v=proj, c_r=rec)
    if not const_rows:
        neg = (model.sign < 0).astype(np.int64).reshape(G, L)
        CH = (model.C.astype(np.int64) + half).reshape(G, L)
        B.rom(fa, neg.astype(np.uint8), address=S.final_offset - 1)
        B.rom(fa, _bits(CH, wch), address=S.final_offset - 1)

    # --- output head ---------------------------------------------------------------------------
    head = B.comp("output head", "output_head")
    V = model.V.astype(np.int64)
    if S.head_latency:
        head.add(ff=L * wrelu)
    if const_rows:
        for o in range(n_out):
            head.add(macc([wy] + B.const_products(head, V[o], wrelu, [None] * L), wy))
    else:
        B.rom(head, _bits(V.T.reshape(G, L * n_out), p), address=S.head_offset - 1)
        for _ in range(n_out):
            ops = [wy] + sum((B.multipliers(head, 1, p, wrelu) for _ in range(L)), [])
            head.add(macc(ops, wy))
    head.add(ff=n_out * wy, mux=n_out * wy)  # accumulators and their start multiplexer
    head.formula = f"{n_out} accumulator(s) of {wy} bits, {L} product(s) of {p}×{wrelu} bits each"


def _registered_serial(B: _Builder, ctl: Component) -> None:
    """The registered row-serial design (:func:`hadam_hw.schedule.registered_serial_schedule`):
    registered windows and events, sums registered every ``K`` levels and at the root, tables
    as synchronous ROMs in logic, products as gated rows, the ones' complement final add."""
    model, hw, S, cfg, W = B.model, B.hw, B.S, B.cfg, B.W
    d, sb, p, K = cfg.hidden, cfg.state_bits, cfg.weight_bits, hw.pipeline
    n_in, n_out = cfg.n_in, cfg.n_out
    L, G = S.lanes, S.groups
    wy, wrelu = W.width("y"), W.width("relu")
    half = (1 << cfg.frac_bits) >> 1
    neg = (model.sign < 0).astype(np.int64)
    CP = model.C.astype(np.int64) + half + cfg.A * neg
    cp_iv = Interval.of(CP)
    spec = arch_spec(hw.arch)
    if G > 1:  # registered windows: an index and an activity flag each
        n_windows = 5 + (1 if spec.state_in_memory else 0)
        for _ in range(n_windows):
            B.counter(ctl, G)

    # --- recurrence: the datapath's own formula, and the state it reads ---------------------------
    rec = B.comp(f"recurrence ({hw.arch.value}, registered)", "recurrence")
    datapath_class(hw.arch).resources(B, rec, registered=True)
    C = S.interleave  # interleaved: one state per sequence, the step's chosen by its held id
    if C > 1:
        rec.add(ff=2 * ceil_log2(C))
    if not spec.state_in_memory:
        rec.add(ff=C * d * sb)  # the state register(s) (cleared for `first`: a reset, no gate)
        if C > 1:
            rec.add(mux=(C - 1) * d * sb)  # the step's state chosen by its id
        rec.formula += f"; state {C}×{d}×{sb} FFs" if C > 1 else f"; state {d}×{sb} FFs"
    else:
        if G * C > 1:
            for lo in range(0, L * sb, 4):
                B.ram(rec, G * C, min(4, L * sb - lo), sync=True)  # the state memory, 4-bit slices
        else:
            rec.add(ff=L * sb)
        rec.add(ff=L * sb)  # the register after the memory, cleared for `first`
        rec.formula += f"; state memory {G * C}×{L * sb} in 4-bit slices"

    if G > 1 and (not spec.state_in_memory or hw.expose_state):
        B.comp("state collector", "state", f"({G}−1)×{L}×{sb} registers gathering h_t").add(ff=(G - 1) * L * sb)

    # --- input projection: w = B·v + C' ---------------------------------------------------------
    proj = B.comp("input projection (registered)", "input_projection")
    digits_B = csd(cfg.B)
    cp_leaf = (cp_iv, cp_iv.width, 0)

    def b_leaves(v_iv: Interval, v_tz: int) -> list[Leaf]:
        out = []
        for sh, sg in digits_B:
            iv = v_iv.scale(1 << sh) if sg > 0 else -v_iv.scale(1 << sh)
            out.append((iv, max(1, iv.width - sh - v_tz), sh + v_tz))
        return out

    B.rom(proj, _bits(CP.reshape(G, L), cp_iv.width), address=("proj", S.proj_offset), two_stage=True)
    if model.onehot:
        U = model.U.astype(np.int64)
        B.rom(proj, _bits(U.T.reshape(n_in * G, L), p), address=("token", S.proj_offset), two_stage=True)
        proj.add(ff=max(1, ceil_log2(n_in)))
        t, _iv, _tz = registered_sum_features(b_leaves(W.intervals["v"], 0) + [cp_leaf], K)
        proj.add(t, scale=L)
    else:
        ib = cfg.in_bits
        U = model.U.astype(np.int64)
        Ug = U.reshape(G, L * n_in)
        B.rom(proj, _bits(Ug, p), address=("proj", S.proj_offset), two_stage=True)
        proj.add(ff=n_in * ib)  # x held for the step
        x_iv = Interval(*cfg.x_range)
        for ln in range(L):
            rows, gates = [], 0
            for k in range(n_in):
                leaves, g = product_rows(x_iv, B.weight_bits(Ug[:, ln * n_in + k], p),
                                         shift=digits_B[0][0] if len(digits_B) == 1 else 0)
                rows += leaves
                gates += g
            proj.add(leaf=gates)
            if len(digits_B) == 1:  # B = 2^s: the shifted rows and C' in one sum
                proj.add(registered_sum_features(rows + [cp_leaf], K)[0])
            else:  # v = Σ rows registered, then B·v + C' (C' delayed as long as v takes)
                t, v_iv, v_tz = registered_sum_features(rows, K)
                proj.add(t)
                lag = registered_levels(len(rows), K)
                proj.add(ff=lag * cp_iv.width)
                proj.add(registered_sum_features(b_leaves(v_iv, v_tz) + [cp_leaf], K)[0])
    proj.formula = f"{L} lane(s): w = B·v + C' as a registered sum ({'table column' if model.onehot else f'{n_in}×{p} gated rows'})"

    # --- final add: z = Σ ±(r XOR n) << s + w, clamp and relu ------------------------------------
    fa = B.comp("final add (registered), clamp, relu", "final_add",
                f"{L} row(s): ones' complement sign, {B.nA}+1 operand registered sum, overflow clamp")
    ca = B.comp(f"constant A = {cfg.A} ({B.nA} signed digit{'s' if B.nA > 1 else ''})", "A_constant",
                f"{L} row(s) × {B.nA - 1} operand(s)" if B.nA > 1 else "a power of two: a shift, free")
    wr, wz = W.width("r"), W.width("z")
    B.rom(fa, neg.reshape(G, L).astype(np.uint8), address=("sign", S.final_offset), two_stage=True)
    fa.add(leaf=L * (wr + 1))  # r XOR n
    leaves = [(Interval(-(1 << wr), (1 << wr) - 1), [wr + 1])] * B.nA + [(cp_iv, [wz])]
    t, root_iv, root_ops, registered = tree_maccs(leaves, K)
    if not registered:
        t = {k: t.get(k, 0.0) + v for k, v in macc(root_ops, root_iv.width).items()}
        t["ff"] = t.get("ff", 0.0) + root_iv.width
    base = tree_maccs([leaves[0], leaves[-1]], K)[0] if B.nA > 1 else t
    for k, v in t.items():
        extra = v - base.get(k, 0.0) if B.nA > 1 else 0.0
        fa.add({k: (v - extra) * L})
        if extra:
            ca.add({k: extra * L})
    ws = max(1, wz - cfg.frac_bits)
    fa.add(mux=L * (max(0, ws - sb + 1) + 2 * sb), ff=L * (2 * sb - 1))  # overflow test, h and relu selects

    # --- output head ----------------------------------------------------------------------------
    head = B.comp("output head (registered)", "output_head")
    V = model.V.astype(np.int64)
    Vg = V.T.reshape(G, L * n_out)  # (lane, output) at lane·n_out + output
    B.rom(head, _bits(Vg, p), address=("head", S.head_offset), two_stage=True)
    relu_iv = Interval(0, int(W.intervals["relu"].hi))
    for o in range(n_out):
        rows, gates = [], 0
        for ln in range(L):
            leaves, g = product_rows(relu_iv, B.weight_bits(Vg[:, ln * n_out + o], p))
            rows += leaves
            gates += g
        head.add(leaf=gates)
        head.add(registered_sum_features(rows, K)[0])
    head.add(alu=n_out * wy, mux=n_out * wy, ff=n_out * wy)  # accumulators and their start multiplexer
    head.formula = f"{n_out} accumulator(s) of {wy} bits, {L}×{p} gated rows of {wrelu} bits each"


def _parallel(B: _Builder, ctl: Component) -> None:
    model, hw, S, cfg, W = B.model, B.hw, B.S, B.cfg, B.W
    d, sb, p, K = cfg.hidden, cfg.state_bits, cfg.weight_bits, hw.pipeline
    n_in, n_out = cfg.n_in, cfg.n_out
    wv, wy, wrelu = W.width("v"), W.width("y"), W.width("relu")

    rec = B.comp(f"recurrence ({hw.arch.value})", "recurrence")
    r_ops = datapath_class(hw.arch).resources(B, rec, registered=False) or [W.width("r")]
    rec.add(ff=d * sb, mux=d * sb)  # the state register and its 'first' gate
    rec.formula += f"; state {d}×{sb} FFs"

    proj = B.comp("input projection", "input_projection")
    if model.onehot:
        B.rom(proj, _bits(model.U.astype(np.int64).T, p), address="token")
        proj.formula = f"U table {n_in} words × {d * p} bits (one column per token)"
    else:
        ib = cfg.in_bits
        U = model.U.astype(np.int64)
        prod_w = _product_interval(U, *cfg.x_range).width
        if n_in > 1:
            B.rom(proj, _bits(U.T, p), address="proj")
            B.counter(ctl, n_in)
            B.counter(ctl, n_in)
            proj.add(mux=(n_in - 1) * ib)  # x_k selected once for all rows
            for _ in range(d):
                ops = B.multipliers(proj, 1, p, ib)
                if len(ops) > 1:  # partial products summed on their own (the product has two uses)
                    proj.add(macc(ops, prod_w))
        else:
            for ops in (B.const_products(proj, [k], ib, ["x"]) for k in U[:, 0]):
                if len(ops) > 1:
                    proj.add(macc(ops, prod_w))
        if S.proj_latency:
            proj.add(ff=d * prod_w)
        proj.add(alu=d * wv, mux=d * wv, ff=d * wv)  # the accumulators
        proj.formula = f"{d} multiply-accumulators of {p}×{ib} bits over {n_in} cycle(s)"

    B.final_add(d, neg_const=True, v_ops=[[wv]] * d, r_ops=r_ops, c_v=proj, c_r=rec)

    head = B.comp("output head", "output_head",
                  f"{n_out} cycle(s) × ({d}+1)-operand tree of {p}×{wrelu}-bit products")
    V = model.V.astype(np.int64)
    hp_iv = _product_interval(V, 0, int(W.intervals["relu"].hi))
    c_iv = Interval.of(model.c)
    if n_out > 1:
        B.rom(head, _bits(V, p), address="head")
        B.rom(head, _bits(model.c.astype(np.int64)[:, None], c_iv.width), address="head")
        B.counter(ctl, n_out)
        B.counter(ctl, n_out)
        ops = [B.multipliers(head, 1, p, wrelu) for _ in range(d)]
    else:
        ops = [B.const_products(head, [k], wrelu, [("relu", i)]) for i, k in enumerate(V[0])]
    leaves = [(hp_iv, o) for o in ops] + [(c_iv, [c_iv.width])]
    t, root_iv, root_ops, _ = tree_maccs(leaves, K)
    head.add(t)
    head.add(macc(root_ops, root_iv.width))
    head.add(mux=d * (sb - 1), ff=n_out * wy)  # relu and the y buffer
