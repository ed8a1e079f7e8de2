"""The cell's cycle schedule, computed in plain Python (no Amaranth import).

Every step of the cell runs on a fixed schedule counted from the cycle its ``x`` is
accepted (offset 0). Each resource (state, input projection, recurrence datapath, output
head) is busy in a window of at most ``cycles_per_step`` cycles per step, so consecutive
steps never collide, and the cell accepts a new ``x`` at most once every
``cycles_per_step`` cycles (and only while the output buffers have room for everything in
flight). The same numbers are used to build the hardware and to write the manifest, so
the two cannot disagree; the simulation asserts them exactly.

Two families of schedules:

Every table (weights, per-row constants, the SDF's state memory) is read synchronously,
one cycle ahead of its use, so synthesis may put it in block RAM instead of logic.

* **row-serial** (``adder_tree``, ``dense``, ``sdf``): ``lanes`` rows of the state per
  cycle, ``G = hidden / lanes`` cycles per step. The input projection produces ``v`` for
  the same rows in the same cycle (row-parallel over ``n_in``), and the output head
  accumulates ``V·relu(h)`` over the same rows as they are produced (``lanes·n_out``
  products per cycle). Recurrence, projection and head run in lock-step.
* **vector-parallel** (``butterfly``): the whole state each cycle. The dense input
  projection is folded over ``n_in`` (``hidden`` products per cycle, one input per cycle),
  the output head over ``n_out`` (one output per cycle, a ``hidden``-input adder tree).
  Either can set ``cycles_per_step``; the breakdown says which.

``pipeline = K`` places a register after every ``K`` adder levels (or butterfly stages) of
the recurrence datapath and of the butterfly's head tree; with ``K > 0`` the row-serial
projection output and the head input are registered too. ``K = 0`` is combinational.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .archs import SERIAL_ARCHS as _SERIAL
from .config import Arch, HardwareConfig, InputMode, OutputMode
from .errors import ConfigError
from .model import HadamModel

__all__ = [
    "Schedule",
    "make_schedule",
    "check_hardware",
    "ceil_log2",
    "pipeline_registers",
    "adder_tree_levels",
    "dense_levels",
    "sdf_delay_cycles",
    "MAX_PORT_WIDTH",
    "MAX_ROM_BITS",
    "SERIAL_ARCHS",
]

MAX_PORT_WIDTH = 65536  # bits of one stream payload; beyond this simulators choke
MAX_ROM_BITS = 1 << 26  # 64 Mbit of baked weights: beyond any FPGA this project targets
SERIAL_ARCHS = _SERIAL  # the row-serial schedule family, from the architecture registry


def ceil_log2(n: int) -> int:
    """Smallest ``k`` with ``2^k >= n`` (0 for ``n <= 1``)."""
    return max(0, (int(n) - 1).bit_length())


def pipeline_registers(levels: int, pipeline: int) -> int:
    """Registers in a chain of ``levels`` adder levels with one after every ``pipeline`` levels."""
    return 0 if pipeline == 0 else levels // pipeline


def adder_tree_levels(block: int) -> int:
    """Adder levels of one sign-flip tree: ``log2 b`` for the ``b`` leaves, plus one for the
    ones'-complement correction (the leaves are XOR-flipped, see ``sign_flip_adder_tree``)."""
    k = ceil_log2(block)
    return k + (1 if block > 1 else 0)


def dense_levels(hidden: int, block: int) -> int:
    """Adder levels of one generic ternary row: ``log2 d`` leaves plus the correction."""
    return ceil_log2(hidden) + (1 if block > 1 else 0)


def sdf_delay_cycles(block: int, lanes: int) -> int:
    """Cycles of delay-line latency of a ``lanes``-path SDF transform of size ``block``."""
    return block // lanes - 1 if block > lanes else 0


@dataclass(frozen=True)
class Schedule:
    """Offsets (cycles after the ``x`` handshake) of every event of one step."""

    arch: str
    serial: bool
    lanes: int  # rows per cycle (hidden for butterfly)
    groups: int  # cycles a row-serial window lasts (1 for butterfly)
    pipeline: int
    rec_latency: int  # recurrence datapath: input to output, cycles
    proj_latency: int  # input projection issue to use (serial) / product register (butterfly)
    head_latency: int  # serial: head input register; butterfly: head tree registers
    read_offset: int  # first cycle the state is read for this step
    proj_offset: int  # serial: first projection issue; butterfly: first product cycle
    final_offset: int  # first cycle of the final add z -> h
    head_offset: int  # first cycle of the output head
    h_push_offset: int  # cycle h_t is written into the h buffer
    y_push_offset: int  # cycle y_t is written into the y buffer
    cycles_per_step: int
    parts: dict  # cycles per step each part would need on its own
    set_by: str
    latency_cycles: int  # x handshake -> y valid
    latency_cycles_h: int  # x handshake -> h valid
    y_fifo_depth: int
    h_fifo_depth: int
    last_event_offset: int  # the latest window start, cycles after the handshake

    def to_json(self) -> dict:
        return asdict(self)


def _check_rom(bits: int, what: str) -> None:
    if bits > MAX_ROM_BITS:
        raise ConfigError(
            f"the {what} ROM would hold {bits} bits, more than the {MAX_ROM_BITS}-bit limit of this generator"
        )


def check_hardware(model: HadamModel, hw: HardwareConfig) -> None:
    """Refuse, with one sentence, a hardware configuration that cannot build ``model``."""
    if not isinstance(hw, HardwareConfig):
        raise ConfigError(f"hardware configuration must be a HardwareConfig, not {type(hw).__name__}")
    cfg = model.config
    d = cfg.hidden
    hw.check_against(cfg)  # lanes divide the hidden size; butterfly: lanes = 1
    if hw.pipeline > 64:
        raise ConfigError(f"pipeline must be at most 64 adder levels per register, not {hw.pipeline}", field="pipeline")
    from hadam_hw.widths import derive_widths

    widths = derive_widths(model)
    for name in widths.intervals:
        if widths.width(name) > 64:
            raise ConfigError(
                f"derived width '{name}' is {widths.width(name)} bits, beyond the 64 bits this generator supports",
                field=name,
            )
    x_width = cfg.in_bits if model.onehot else cfg.n_in * cfg.in_bits
    ports = {"x": x_width + 2, "y": cfg.n_out * widths.width("y") + 1}
    if hw.expose_state:
        ports["h"] = d * cfg.state_bits + 1
    for name, w in ports.items():
        if w > MAX_PORT_WIDTH:
            raise ConfigError(
                f"the {name} stream payload would be {w} bits wide, beyond the {MAX_PORT_WIDTH}-bit limit",
                field=name,
            )
    if model.onehot:
        _check_rom(cfg.n_in * d * cfg.weight_bits, "onehot input (U)")
    if hw.arch is Arch.DENSE:
        _check_rom(d * d * 2, "dense ternary matrix")


def make_schedule(model: HadamModel, hw: HardwareConfig) -> Schedule:
    """The exact schedule of the cell for ``model`` built as ``hw`` (validates first)."""
    check_hardware(model, hw)
    cfg = model.config
    d, b, K = cfg.hidden, cfg.block, hw.pipeline
    onehot = cfg.input_mode is InputMode.ONEHOT
    if hw.arch in SERIAL_ARCHS:
        L = hw.lanes
        G = d // L
        if hw.arch is Arch.ADDER_TREE:
            lrec = pipeline_registers(adder_tree_levels(b), K)
        elif hw.arch is Arch.DENSE:
            lrec = pipeline_registers(dense_levels(d, b), K)
        else:
            lrec = sdf_delay_cycles(b, L) + pipeline_registers(ceil_log2(b), K)
        # every table (weights, constants, the SDF state) is a synchronous ROM/RAM read one
        # cycle ahead, so it can live in block RAM; x is used from its register (offset >= 1)
        lp = 1 if (K > 0 and not onehot) else 0  # dense: a register on v
        lh = 1 if K > 0 else 0  # register on relu(h) before the head
        # dense: U is addressed at proj-1 >= 0; onehot: U[:, token] at final-1 >= 1
        final = max(1 + lrec, 2 if onehot else lp + 1)
        read = final - lrec  # the state of the previous step enters the datapath here
        proj = final - lp
        head = final + lh
        h_push = final + G - 1
        y_push = head + G - 1
        if hw.arch is Arch.SDF:
            # state in a memory: row g of h_t is written at final+g and read again by the
            # next step at P+read+g; the SDF itself takes a new step every G cycles.
            rec = max(G, lrec + 1)
        else:
            # state in registers, updated at once when the last row group is done
            rec = G + lrec
        parts = {"recurrence": rec, "input_projection": G, "output_head": G}
        token = max(read, proj, final, head)
    else:
        L, G = d, 1
        lrec = pipeline_registers(ceil_log2(b), K)
        lp = 1 if (K > 0 and not onehot) else 0
        lh = pipeline_registers(ceil_log2(d + 1), K)
        proj = 1
        v_ready = 1 if onehot else cfg.n_in + lp + 1
        final = max(v_ready, 1 + lrec)
        read = final - lrec
        head = final + 1  # the head reads the state register for n_out cycles
        h_push = final
        y_push = head + lh + cfg.n_out - 1
        parts = {
            "recurrence": lrec + 1,  # state -> butterfly -> final add -> state
            "input_projection": 1 if onehot else cfg.n_in,
            "output_head": cfg.n_out,
        }
        token = max(read, proj, final, head + lh)
    P = max(parts.values())
    set_by = next(k for k in ("recurrence", "input_projection", "output_head") if parts[k] == P)
    ly = y_push + 1  # the y buffer shows an entry the cycle after it is written
    lh_stream = h_push + 1
    # enough room for every output in flight at full rate: no throttling, constant latency
    y_depth = ly // P + 1
    h_depth = lh_stream // P + 1
    return Schedule(
        arch=hw.arch.value, serial=hw.arch in SERIAL_ARCHS, lanes=L, groups=G, pipeline=K,
        rec_latency=lrec, proj_latency=lp, head_latency=lh, read_offset=read, proj_offset=proj,
        final_offset=final, head_offset=head, h_push_offset=h_push, y_push_offset=y_push,
        cycles_per_step=P, parts=parts, set_by=set_by, latency_cycles=ly, latency_cycles_h=lh_stream,
        y_fifo_depth=y_depth, h_fifo_depth=h_depth, last_event_offset=token,
    )


def output_every_step(model: HadamModel) -> bool:
    return model.config.output is OutputMode.EVERY_STEP
