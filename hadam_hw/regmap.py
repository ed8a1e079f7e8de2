"""The AXI4-Lite register map of a runtime-weights design (SPEC §4.2): its one home.

:func:`design_regmap` derives, from ``(model, hardware config)``, the control and status
registers and one memory per weight table (``U``, ``V``, ``C``, ``c``, ``sign``) with its
base address, depth in 32-bit words and packing. The manifest's ``regmap`` section is its
JSON; the RTL (``rtl_gen.axi_lite``) builds its address decoder and its weight tables from
it; :func:`weight_writes` turns an artifact into the AXI4-Lite writes that load it and
refuses, in one message, a model whose shape does not match the design.

Packing of a memory (``table`` in the JSON), lane 0 least significant: the weight source
``M`` (the artifact's array; ``sign`` as 1 where ``u = −1``; ``C`` plus ``add``, plus
``sign_add`` on the rows where ``u = −1``) is taken
as ``M.T`` when ``transpose``, reshaped (row-major) to ``rows × lanes`` and written row by
row; row ``r`` starts at word ``r·row_stride`` (``words_per_row`` rounded up to a power
of two; the words between are holes) and occupies ``words_per_row`` words, each holding ``lanes_per_word``
lanes of ``lane_bits`` bits (two's complement when ``signed``), lane ``k`` of a row in
word ``k // lanes_per_word`` at bit ``(k % lanes_per_word)·lane_bits``; unused bits are 0.
Lanes wider than 32 bits take ``words_per_lane`` words each, least significant first.

Weight memories are open only while ``STATUS.loading`` is 1 (``CTRL.load`` set and no step
in flight): any other access to them is refused with ``SLVERR``, the write is dropped and
``ERRORS`` counts it. While ``CTRL.load`` is set the design accepts no input; clearing it
resets the state (the next sequence starts from ``h = 0``) and sets ``STATUS.weights_valid``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import HadamHWError

__all__ = ["RegmapError", "Register", "WeightTable", "Regmap", "design_regmap", "weight_tables", "shape_of",
           "weight_writes", "table_words", "word_addresses", "load_model", "c_header", "python_offsets", "ID_MAGIC", "REGMAP_VERSION",
           "DATA_BITS", "CTRL_LOAD", "CTRL_SOFT_RESET", "STATUS_WEIGHTS_VALID", "STATUS_IDLE", "STATUS_LOADING"]

DATA_BITS = 32
ID_MAGIC = 0x4852_4E4E  # "HRNN"
REGMAP_VERSION = 1
CTRL_LOAD = 1 << 0
CTRL_SOFT_RESET = 1 << 1
STATUS_WEIGHTS_VALID = 1 << 0
STATUS_IDLE = 1 << 1
STATUS_LOADING = 1 << 2

_SHAPE_KEYS = ("hidden", "block", "n_in", "n_out", "input_mode", "in_bits", "in_signed", "weight_bits",
               "state_bits", "frac_bits", "A", "B", "output")


class RegmapError(HadamHWError):
    """A model that does not fit a design's register map, or a malformed ``regmap``."""


@dataclass(frozen=True)
class Register:
    name: str
    offset: int
    access: str  # "r", "w" or "rw"
    fields: dict[str, dict]  # name -> {"bit": lsb, "width": w, "meaning": text}
    reset: int = 0
    doc: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "offset": self.offset, "access": self.access, "reset": self.reset,
                "fields": self.fields, "doc": self.doc}


@dataclass(frozen=True)
class WeightTable:
    """One weight memory: ``rows × lanes`` lanes of ``lane_bits`` taken from ``source``.

    ``storage``: ``"ram"`` (one row read per cycle, a block-RAM) or ``"registers"`` (the
    design uses every row at once). ``base`` is its byte address on the bus.
    """

    name: str
    source: str  # "U", "V", "C", "c" or "sign"
    transpose: bool
    rows: int
    lanes: int
    lane_bits: int
    signed: bool
    add: int = 0  # stored value = source + add (C holds the rounding half)
    sign_add: int = 0  # ... + sign_add where u = −1 (the registered datapath folds the sign into C)
    storage: str = "ram"
    base: int = 0

    @property
    def words_per_lane(self) -> int:
        return -(-self.lane_bits // DATA_BITS)

    @property
    def lanes_per_word(self) -> int:
        return max(1, DATA_BITS // self.lane_bits)

    @property
    def words_per_row(self) -> int:
        if self.lane_bits > DATA_BITS:
            return self.lanes * self.words_per_lane
        return -(-self.lanes // self.lanes_per_word)

    @property
    def row_stride(self) -> int:
        """Words from one row to the next on the bus: ``words_per_row`` rounded up to a power
        of two, so the decoder splits an address into row and word with wires only."""
        return 1 << (self.words_per_row - 1).bit_length()

    @property
    def depth(self) -> int:
        """Words of 32 bits on the bus (the words past ``words_per_row`` in a row are holes)."""
        return self.rows * self.row_stride

    @property
    def row_bits(self) -> int:
        """Bits of one row in the design's RAM (whole bus words: they are written whole)."""
        return self.words_per_row * DATA_BITS

    def lane_slot(self, k: int) -> int:
        """The bit of lane ``k`` inside its row (as the bus packs it)."""
        if self.lane_bits > DATA_BITS:
            return k * self.words_per_lane * DATA_BITS
        return (k // self.lanes_per_word) * DATA_BITS + (k % self.lanes_per_word) * self.lane_bits

    @property
    def lane_range(self) -> tuple[int, int]:
        w = self.lane_bits
        return (-(1 << (w - 1)), (1 << (w - 1)) - 1) if self.signed else (0, (1 << w) - 1)

    def values(self, model) -> np.ndarray:
        """The ``rows × lanes`` integers this table holds for ``model`` (not range-checked)."""
        src = {"U": model.U, "V": model.V, "C": model.C, "c": model.c,
               "sign": (np.asarray(model.sign) < 0).astype(np.int64)}[self.source]
        a = np.asarray(src, dtype=object) + self.add
        if self.sign_add:
            a = a + self.sign_add * (np.asarray(model.sign) < 0).astype(object)
        if self.transpose:
            a = a.T
        return a.reshape(self.rows, self.lanes).astype(object)

    def to_json(self) -> dict:
        return {"name": self.name, "base": self.base, "depth": self.depth, "word_bits": DATA_BITS,
                "storage": self.storage,
                "table": {"source": self.source, "transpose": self.transpose, "add": self.add,
                          "sign_add": self.sign_add, "rows": self.rows,
                          "lanes": self.lanes, "lane_bits": self.lane_bits, "signed": self.signed,
                          "lanes_per_word": self.lanes_per_word, "words_per_row": self.words_per_row,
                          "row_stride": self.row_stride, "words_per_lane": self.words_per_lane},
                "packing": (f"{'transpose(' + self.source + ')' if self.transpose else self.source}"
                            f"{' + ' + str(self.add) if self.add else ''}"
                            f"{f' + {self.sign_add} where sign = -1' if self.sign_add else ''} reshaped to {self.rows} x {self.lanes}, "
                            f"row r at word r*{self.row_stride}, lane k in word k//{self.lanes_per_word} "
                            f"bits (k%{self.lanes_per_word})*{self.lane_bits}, lane 0 least significant")}


@dataclass(frozen=True)
class Regmap:
    registers: tuple[Register, ...]
    tables: tuple[WeightTable, ...]
    addr_bits: int
    mem_shift: int  # memory i answers at (i + 1) << mem_shift
    shape: dict
    shape_hash: int
    design_tag: str
    design_hash: int

    def register(self, name: str) -> Register:
        for r in self.registers:
            if r.name == name:
                return r
        raise KeyError(name)

    def table(self, name: str) -> WeightTable:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_json(self) -> dict:
        return {
            "bus": "axi4-lite", "data_bits": DATA_BITS, "addr_bits": self.addr_bits, "version": REGMAP_VERSION,
            "ports": {"prefix": "s_axi", "clock": "aclk", "reset": "aresetn"},
            "registers": [r.to_json() for r in self.registers],
            "memories": [t.to_json() for t in self.tables],
            "memory_access": "only while STATUS.loading is 1 (CTRL.load set, no step in flight); any other "
                             "access to a memory answers SLVERR, a write is dropped and ERRORS counts it",
            "shape": self.shape, "shape_hash": self.shape_hash,
            "design_tag": self.design_tag, "design_hash": self.design_hash,
        }

    @classmethod
    def from_json(cls, obj: dict) -> Regmap:
        """The register map a manifest's ``regmap`` section describes (as a driver reads it)."""
        try:
            regs = tuple(Register(r["name"], int(r["offset"]), r["access"], dict(r.get("fields", {})),
                                  int(r.get("reset", 0)), r.get("doc", "")) for r in obj["registers"])
            tables = tuple(WeightTable(
                name=m["name"], source=m["table"]["source"], transpose=bool(m["table"]["transpose"]),
                rows=int(m["table"]["rows"]), lanes=int(m["table"]["lanes"]),
                lane_bits=int(m["table"]["lane_bits"]), signed=bool(m["table"]["signed"]),
                add=int(m["table"].get("add", 0)), sign_add=int(m["table"].get("sign_add", 0)),
                storage=m.get("storage", "ram"), base=int(m["base"]))
                for m in obj["memories"])
            return cls(regs, tables, int(obj["addr_bits"]), 0, dict(obj["shape"]), int(obj["shape_hash"]),
                       str(obj["design_tag"]), int(obj["design_hash"]))
        except (KeyError, TypeError, ValueError) as e:
            raise RegmapError(f"malformed regmap: {e!r}") from None


def _hash32(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def shape_of(model, hw=None) -> dict:
    """What a runtime-weights design fixes of a model: sizes, formats, constants, bias widths."""
    from .widths import bias_bits

    cfg = model.config if hasattr(model, "config") else model
    js = cfg.to_json()
    out = {k: js[k] for k in _SHAPE_KEYS}
    bits = bias_bits(cfg)
    out["C_bits"], out["c_bits"] = bits["C"], bits["c"]
    return out


def weight_tables(model, hw) -> list[WeightTable]:
    """The weight tables of the design of ``model`` built as ``hw``, in the layout its
    datapath reads them (row-serial: ``lanes`` rows per word; butterfly: whole vectors)."""
    from .schedule import make_schedule
    from .widths import envelope_widths

    cfg = model.config
    S = make_schedule(model, hw)
    p = cfg.weight_bits
    half = (1 << cfg.frac_bits) >> 1
    cb = envelope_widths(cfg).width("C")
    yc = envelope_widths(cfg).width("c")
    d, n_in, n_out = cfg.hidden, cfg.n_in, cfg.n_out
    if S.serial:
        L, G = S.lanes, S.groups
        u = (WeightTable("U", "U", True, n_in * G, L, p, True) if model.onehot
             else WeightTable("U", "U", False, G, L * n_in, p, True))
        tables = [u,
                  WeightTable("V", "V", True, G, L * n_out, p, True),
                  # the registered datapath adds A·[u = −1] to C (the sign becomes a ones' complement)
                  WeightTable("C", "C", False, G, L, cb, True, add=half,
                              sign_add=cfg.A if getattr(S, "registered", False) else 0),
                  WeightTable("c", "c", False, 1, n_out, yc, True),
                  WeightTable("sign", "sign", False, G, L, 1, False)]
    else:  # the butterfly: whole vectors per cycle, C and the signs for every row at once
        tables = [WeightTable("U", "U", True, n_in, d, p, True),
                  WeightTable("V", "V", False, n_out, d, p, True),
                  WeightTable("C", "C", False, 1, d, cb, True, add=half),
                  WeightTable("c", "c", False, n_out, 1, yc, True),
                  WeightTable("sign", "sign", False, 1, d, 1, False)]
    # a table of one row is read as a whole, always: registers (a baked one is a constant)
    return [WeightTable(**{**t.__dict__, "storage": "registers"}) if t.rows == 1 else t for t in tables]


def _registers() -> tuple[Register, ...]:
    return (
        Register("ID", 0x00, "r", {"magic": {"bit": 0, "width": 32, "meaning": "0x48524E4E, 'HRNN'"}},
                 ID_MAGIC, "identifies a HadamRNN design"),
        Register("VERSION", 0x04, "r", {"regmap": {"bit": 0, "width": 8, "meaning": "register map version"}},
                 REGMAP_VERSION, "register map version"),
        Register("DESIGN", 0x08, "r", {"hash": {"bit": 0, "width": 32, "meaning": "sha256(design tag)[:32 bits]"}},
                 0, "which design answers: the first 32 bits of the sha256 of its tag"),
        Register("SHAPE", 0x0C, "r", {"hash": {"bit": 0, "width": 32, "meaning": "sha256(shape JSON)[:32 bits]"}},
                 0, "the model shape the design takes; an artifact must have the same"),
        Register("CTRL", 0x10, "rw", {
            "load": {"bit": 0, "width": 1, "meaning": "1: stop taking inputs and open the weight memories "
                                                      "once no step is in flight; 0: resume (state reset)"},
            "soft_reset": {"bit": 1, "width": 1, "meaning": "write 1: reset the cell's state, the steps in "
                                                            "flight and ERRORS, end a load (reads 0)"}},
                 0, "control"),
        Register("STATUS", 0x14, "r", {
            "weights_valid": {"bit": 0, "width": 1, "meaning": "the memories hold a whole model: 1 from "
                              "configuration; 0 from a load's first memory write until a CTRL write ends the load"},
            "idle": {"bit": 1, "width": 1, "meaning": "no step in flight and no output waiting"},
            "loading": {"bit": 2, "width": 1, "meaning": "CTRL.load and idle: the weight memories are open"}},
                 STATUS_WEIGHTS_VALID, "status"),
        Register("ERRORS", 0x18, "r", {"count": {"bit": 0, "width": 32, "meaning": "refused accesses (saturates)"}},
                 0, "accesses answered SLVERR: memories while not loading, unmapped addresses, read-only writes"),
    )


def design_regmap(model, hw) -> Regmap:
    """The register map of the design of ``model`` built as ``hw`` (runtime weights)."""
    tables = weight_tables(model, hw)
    biggest = max(t.depth for t in tables) * (DATA_BITS // 8)
    shift = max(8, (biggest - 1).bit_length())  # the registers take the first window
    tables = [WeightTable(**{**t.__dict__, "base": (i + 1) << shift}) for i, t in enumerate(tables)]
    addr_bits = shift + (len(tables)).bit_length()
    shape = shape_of(model)
    tag = f"{model.config.tag}-{hw.tag}"
    regs = list(_registers())
    regs[2] = Register(**{**regs[2].__dict__, "reset": _hash32(tag)})
    sh = _hash32(json.dumps(shape, sort_keys=True))
    regs[3] = Register(**{**regs[3].__dict__, "reset": sh})
    return Regmap(tuple(regs), tuple(tables), addr_bits, shift, shape, sh, tag, _hash32(tag))


# --- loading a model -----------------------------------------------------------------------

def _check_shape(model, rm: Regmap) -> None:
    got = shape_of(model)
    bad = [f"{k} is {got[k]!r}, the design's is {rm.shape[k]!r}" for k in _SHAPE_KEYS
           if k in rm.shape and got[k] != rm.shape[k]]
    if bad:
        raise RegmapError(f"model {model.config.tag} does not fit the design {rm.design_tag}: " + "; ".join(bad))


def table_words(model, rm: Regmap) -> dict[str, list[int]]:
    """The 32-bit words each memory holds for ``model``; refuses a model that does not fit."""
    _check_shape(model, rm)
    out = {}
    for t in rm.tables:
        vals = t.values(model)
        lo, hi = t.lane_range
        bad = np.argwhere((vals < lo) | (vals > hi))
        if len(bad):
            r, k = (int(i) for i in bad[0])
            what = f"{t.source}{' + ' + str(t.add) if t.add else ''}{' (+ A where u = -1)' if t.sign_add else ''}"
            raise RegmapError(
                f"model {model.config.tag}: {what} = {int(vals[r, k])} (table {t.name} row {r} lane {k}) does "
                f"not fit the design's {t.lane_bits}-bit {'signed' if t.signed else 'unsigned'} words")
        mask = (1 << t.lane_bits) - 1
        words = []
        for r in range(t.rows):
            row = 0
            for k in range(t.lanes):
                row |= (int(vals[r, k]) & mask) << t.lane_slot(k)
            words += [(row >> (DATA_BITS * j)) & 0xFFFF_FFFF for j in range(t.words_per_row)]
        out[t.name] = words
    return out


def word_addresses(t: WeightTable) -> list[int]:
    return [t.base + 4 * (r * t.row_stride + j) for r in range(t.rows) for j in range(t.words_per_row)]


def weight_writes(model, rm: Regmap | dict) -> list[tuple[int, int]]:
    """The AXI4-Lite ``(byte address, data)`` writes that put ``model`` into the memories of
    a design with register map ``rm`` (a :class:`Regmap` or the manifest's ``regmap``).

    Only the memory writes: issue them while ``STATUS.loading`` is 1 (see :func:`load_model`).
    """
    if isinstance(rm, dict):
        rm = Regmap.from_json(rm)
    words = table_words(model, rm)
    return [(a, w) for t in rm.tables for a, w in zip(word_addresses(t), words[t.name], strict=True)]


def load_model(write: Callable[[int, int], None], read: Callable[[int], int], model, rm: Regmap | dict, *,
               poll: int = 1000) -> None:
    """Load ``model`` into a running design through ``write(addr, data)`` / ``read(addr)``
    (a PYNQ ``MMIO``'s methods, a cocotb master wrapped synchronously, a CPU's bus).

    Checks the design's ``SHAPE`` register first, sets ``CTRL.load``, waits for
    ``STATUS.loading``, writes every memory, clears ``CTRL.load``.
    """
    if isinstance(rm, dict):
        rm = Regmap.from_json(rm)
    writes = weight_writes(model, rm)  # refuses a model of another shape before touching the bus
    shape = read(rm.register("SHAPE").offset)
    if shape != rm.shape_hash:
        raise RegmapError(f"the design answers SHAPE {shape:#010x}, this register map describes {rm.shape_hash:#010x}")
    ctrl = rm.register("CTRL").offset
    status = rm.register("STATUS").offset
    write(ctrl, CTRL_LOAD)
    for _ in range(poll):
        if read(status) & STATUS_LOADING:
            break
    else:
        raise RegmapError(f"the design did not reach STATUS.loading in {poll} reads")
    for addr, data in writes:
        write(addr, data)
    write(ctrl, 0)


# --- headers for software ------------------------------------------------------------------

def c_header(rm: Regmap, prefix: str = "HADAMRNN") -> str:
    """A C header with every register offset, field and memory base of ``rm``."""
    p = prefix.upper()
    lines = [f"/* {rm.design_tag}: AXI4-Lite register map v{REGMAP_VERSION} (generated by hadam-hw) */",
             f"#ifndef {p}_REGMAP_H", f"#define {p}_REGMAP_H", "",
             f"#define {p}_ADDR_BITS {rm.addr_bits}u", f"#define {p}_SHAPE_HASH 0x{rm.shape_hash:08X}u",
             f"#define {p}_DESIGN_HASH 0x{rm.design_hash:08X}u", f"#define {p}_ID_MAGIC 0x{ID_MAGIC:08X}u", ""]
    for r in rm.registers:
        lines.append(f"#define {p}_{r.name}_OFFSET 0x{r.offset:04X}u  /* {r.access}: {r.doc} */")
        for f, spec in r.fields.items():
            if spec["width"] < 32:
                lines.append(f"#define {p}_{r.name}_{f.upper()} (1u << {spec['bit']})" if spec["width"] == 1
                             else f"#define {p}_{r.name}_{f.upper()}_SHIFT {spec['bit']}u")
    lines.append("")
    for t in rm.tables:
        n = t.name.upper() if t.name != "c" else "C_OUT"
        lines += [f"#define {p}_MEM_{n}_BASE 0x{t.base:04X}u  /* {t.rows} x {t.lanes} lanes of {t.lane_bits} bits */",
                  f"#define {p}_MEM_{n}_DEPTH {t.depth}u"]
    lines += ["", f"#endif /* {p}_REGMAP_H */", ""]
    return "\n".join(lines)


def python_offsets(rm: Regmap) -> dict:
    """Register offsets and memory bases as a plain dict (for a Python driver)."""
    return {"registers": {r.name: r.offset for r in rm.registers},
            "memories": {t.name: {"base": t.base, "depth": t.depth} for t in rm.tables},
            "shape_hash": rm.shape_hash, "design_hash": rm.design_hash}
