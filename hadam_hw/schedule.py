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

``pipeline = 0`` is the minimal-latency design: combinational datapaths, every table read
one cycle ahead of its use and used straight from the memory's output.

``pipeline = K > 0`` in the row-serial architectures is the **registered** design, built to
run at the FPGA's own clock (see :func:`registered_serial_schedule`): a register after every
``K`` adder levels (or SDF stages) in every sum of the cell, every table read through an
output register after the memory (block RAM friendly: nothing but a flip-flop follows the
RAM's slow clock-to-out), products built as gated shifted rows (no inferred multiplier),
the sign of ``A·sign·r`` folded into the operand (ones' complement) and the constant table,
``B·v + C`` computed inside the projection's sum, and the clamp an overflow test on the top
bits with relu merged. In the butterfly ``K`` keeps its meaning of stage registers only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .archs import SERIAL_ARCHS as _SERIAL
from .archs import ArchSpec, arch_spec
from .config import HardwareConfig, InputMode, OutputMode
from .errors import ConfigError
from .latency import (
    STATE_READ_LATENCY,
    TABLE_READ_LATENCY,
    ceil_log2,
    pipeline_registers,
    registered_tree_latency,
)
from .model import HadamModel

__all__ = [
    "Schedule",
    "make_schedule",
    "check_hardware",
    "MAX_PORT_WIDTH",
    "MAX_ROM_BITS",
    "SERIAL_ARCHS",
    "registered_projection_leaves",
    "registered_final_add_latency",
    "registered_serial_schedule",
    "state_read_lead",
    "event_offsets",
    "x_latch_offset",
    "x_handoff_offsets",
]

MAX_PORT_WIDTH = 65536  # bits of one stream payload; beyond this simulators choke
MAX_ROM_BITS = 1 << 26  # 64 Mbit of baked weights: beyond any FPGA this project targets
SERIAL_ARCHS = _SERIAL  # the row-serial schedule family, from the architecture registry


def registered_projection_leaves(model: HadamModel, lanes: int) -> tuple[int, int]:
    """``(leaves of the first sum, leaves of the second sum or 0)`` of the registered input
    projection ``w = B·v + C'`` per lane: dense inputs give ``n_in·p`` gated product rows, and
    a power-of-two ``B`` shifts them so that ``C'`` joins the same sum; otherwise ``v`` is
    summed first and ``B``'s signed digits and ``C'`` form a second sum (onehot: ``v`` is a
    table column, only the second sum is left)."""
    from hadam_hw.fixedpoint import csd

    cfg = model.config
    nB = len(csd(cfg.B))
    if model.onehot:
        return nB + 1, 0
    rows = cfg.n_in * cfg.weight_bits
    return (rows + 1, 0) if nB == 1 else (rows, nB + 1)


def registered_final_add_latency(model: HadamModel, pipeline: int) -> int:
    """``z = Σ_digits ±(r XOR n) << s + w`` (a registered sum of ``digits(A) + 1`` operands),
    then the clamp and relu register."""
    from hadam_hw.fixedpoint import csd

    return registered_tree_latency(len(csd(model.config.A)) + 1, pipeline) + 1


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
    registered: bool = False  # the registered row-serial design (pipeline > 0)
    final_latency: int = 0  # registered: r -> h/relu registers, cycles
    table_latency: int = 1  # cycles from a table's address to its data in use
    interleave: int = 1  # sequences sharing the datapath (SPEC §4.1)
    loop_cycles: int = 0  # least cycles between two steps of one sequence (its state read, updated, written)
    x_latch: int = 0  # registered: the offset where the projection latches x (onehot: the token)

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
    idw = ceil_log2(hw.interleave)
    ports = {"x": x_width + 2 + idw, "y": cfg.n_out * widths.width("y") + 1 + idw}
    if hw.expose_state:
        ports["h"] = d * cfg.state_bits + 1 + idw
    for name, w in ports.items():
        if w > MAX_PORT_WIDTH:
            raise ConfigError(
                f"the {name} stream payload would be {w} bits wide, beyond the {MAX_PORT_WIDTH}-bit limit",
                field=name,
            )
    if model.onehot:
        _check_rom(cfg.n_in * d * cfg.weight_bits, "onehot input (U)")
    spec = arch_spec(hw.arch)
    if spec.table_bits is not None:
        _check_rom(spec.table_bits(d, cfg.block), f"{spec.name} datapath table")


def make_schedule(model: HadamModel, hw: HardwareConfig) -> Schedule:
    """The exact schedule of the cell for ``model`` built as ``hw`` (validates first)."""
    check_hardware(model, hw)
    if hw.pipeline > 0 and hw.arch in SERIAL_ARCHS:
        return registered_serial_schedule(model, hw)
    cfg = model.config
    d, b, K = cfg.hidden, cfg.block, hw.pipeline
    onehot = cfg.input_mode is InputMode.ONEHOT
    spec = arch_spec(hw.arch)
    if spec.serial:
        L = hw.lanes
        G = d // L
        lrec = spec.latency(d, b, L, K, False)
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
        if spec.state_in_memory:
            # state in a memory: row g of h_t is written at final+g and read again by the
            # next step at P+read+g; the datapath itself takes a new step every G cycles.
            rec = max(G, lrec + 1)
        else:
            # state in registers, updated at once when the last row group is done
            rec = G + lrec
        parts = {"recurrence": rec, "input_projection": G, "output_head": G}
        token = max(read, proj, final, head)
    else:
        L, G = d, 1
        lrec = spec.latency(d, b, L, K, False)
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
        arch=hw.arch.value, serial=spec.serial, lanes=L, groups=G, pipeline=K,
        rec_latency=lrec, proj_latency=lp, head_latency=lh, read_offset=read, proj_offset=proj,
        final_offset=final, head_offset=head, h_push_offset=h_push, y_push_offset=y_push,
        cycles_per_step=P, parts=parts, set_by=set_by, latency_cycles=ly, latency_cycles_h=lh_stream,
        y_fifo_depth=y_depth, h_fifo_depth=h_depth, last_event_offset=token, loop_cycles=P,
    )


def state_read_lead(spec: ArchSpec) -> int:
    """Registered design: cycles the state is addressed ahead of entering the datapath (a
    memory through its read register and the register that zeroes it for ``first``; registers
    through the row's registered sign flips or coefficients)."""
    return STATE_READ_LATENCY if spec.state_in_memory else 1


def registered_serial_schedule(model: HadamModel, hw: HardwareConfig) -> Schedule:
    """The registered row-serial design (``adder_tree``, ``dense``, ``sdf`` with ``pipeline = K > 0``).

    Row group ``g`` of a step flows, in cycles after the handshake:

    * state in: ``read + g`` (adder tree / dense: the state register, with the row's sign
      flips or table row registered one cycle ahead; SDF: the state memory, distributed RAM,
      read two cycles ahead through its read register and a register zeroed for ``first``);
    * ``r`` out of the datapath: ``final = read + rec_latency + g``;
    * the projection ``w = B·v + C'`` arrives at the same cycle: its tables (two registered
      stages in logic, ``table_latency`` = 2) are addressed at ``proj = final − proj_latency``,
      ``x`` latched just before the products need it;
    * ``h`` and ``relu`` registered: ``head = final + final_latency + g``; the state is written
      back (SDF: row by row into the memory; otherwise all rows at once after the last);
    * the head's product rows are summed (``head_latency`` registers, counting the
      accumulator) and accumulated; ``y`` leaves the accumulator register after the last row.

    The loop (state read to state written) sets ``cycles_per_step`` when it is longer than
    the ``G`` row groups of a step; the SDF's read port is not transparent, so its write
    comes strictly before the next step's read address.
    """
    cfg = model.config
    d, b, K = cfg.hidden, cfg.block, hw.pipeline
    onehot = cfg.input_mode is InputMode.ONEHOT
    L = hw.lanes
    G = d // L
    RL = TABLE_READ_LATENCY
    spec = arch_spec(hw.arch)
    lrec = spec.latency(d, b, L, K, True)
    read_lead = state_read_lead(spec)
    first_sum, second_sum = registered_projection_leaves(model, L)
    lp = RL + registered_tree_latency(first_sum, K) + registered_tree_latency(second_sum, K)
    lf = registered_final_add_latency(model, K)
    lh = registered_tree_latency(L * cfg.weight_bits, K) + 1  # product rows, then the accumulator
    # windows are registered counters started by a registered pulse one cycle ahead (every
    # event at offset >= 1: none hangs off the handshake itself); the onehot token is latched
    # one cycle before the table address uses it
    read = 2 + read_lead
    proj_min = 3 if onehot else 2
    final = max(read + lrec, proj_min + lp, 2 + RL)
    read = final - lrec
    proj = final - lp
    head = final + lf
    h_push = head + G - 1
    y_push = head + lh + G - 1  # the accumulator holds y the cycle after the last row's sum
    if spec.state_in_memory:
        loop = (head - (read - read_lead)) + 1
    else:
        loop = lrec + lf + G
    # C interleaved sequences offered round-robin: a sequence comes back every C steps, so the
    # loop is shared C ways; the datapath itself takes a step every G cycles
    C = hw.interleave
    parts = {"recurrence": max(G, -(-loop // C)), "input_projection": G, "output_head": G}
    P = max(parts.values())
    set_by = next(k for k in ("recurrence", "input_projection", "output_head") if parts[k] == P)
    # x is latched at proj + RL − 1 (or the token at proj − 1), from the input register (offsets
    # 1 … P) or, interleaved, from a hand-off register it is copied into every P cycles
    x_latch = x_latch_offset(proj, RL, onehot)
    assert 1 <= x_latch <= P or C > 1, (proj, P)
    ly = y_push + 1
    lh_stream = h_push + 1
    return Schedule(
        arch=hw.arch.value, serial=True, lanes=L, groups=G, pipeline=K,
        rec_latency=lrec, proj_latency=lp, head_latency=lh, read_offset=read, proj_offset=proj,
        final_offset=final, head_offset=head, h_push_offset=h_push, y_push_offset=y_push,
        cycles_per_step=P, parts=parts, set_by=set_by, latency_cycles=ly, latency_cycles_h=lh_stream,
        y_fifo_depth=ly // P + 1, h_fifo_depth=lh_stream // P + 1, last_event_offset=y_push,
        registered=True, final_latency=lf, table_latency=RL, interleave=C, loop_cycles=loop,
        x_latch=x_latch,
    )


def x_latch_offset(proj: int, table_latency: int, onehot: bool) -> int:
    """When the projection latches its step's ``x`` (onehot: the token), cycles after the handshake."""
    return proj - 1 if onehot else proj + table_latency - 1


def x_handoff_offsets(S: Schedule) -> list[int]:
    """Interleaved steps may come every ``cycles_per_step`` cycles, sooner than the projection
    latches ``x``: the input register (valid at offsets 1 … P) is copied into a hand-off
    register at offset P, that one at 2P …, until the latch. Empty when x waits in place."""
    P = S.cycles_per_step
    return [k * P for k in range(1, -(-S.x_latch // P))] if S.registered else []


def event_offsets(S: Schedule) -> list[int]:
    """The step events the cell builds (cycles after the handshake; 0 is the handshake):
    window starts and their lead cycles, latches and pushes. The RTL generates exactly these
    and the resource model counts their delay chains from the same list."""
    if S.registered:
        RL = S.table_latency
        state_lead = state_read_lead(arch_spec(S.arch))
        offs = {S.read_offset - state_lead - 1, S.read_offset - state_lead, S.read_offset - 1, S.proj_offset - 1,
                S.proj_offset + RL - 1, S.final_offset - RL - 1, S.head_offset - RL - 1, S.head_offset - 1,
                S.head_offset + S.head_latency - 1, S.h_push_offset, S.y_push_offset, *x_handoff_offsets(S)}
        assert min(offs) >= 1, sorted(offs)  # registered pulses only, never the handshake itself
    elif S.serial:
        offs = {S.read_offset, S.read_offset - 1, S.proj_offset, S.proj_offset - 1, S.final_offset,
                S.final_offset - 1, S.head_offset, S.head_offset - 1}
    else:
        offs = {0, 1, 1 + S.proj_latency, S.read_offset, S.final_offset, S.head_offset,
                S.head_offset + S.head_latency}
    assert min(offs) >= 0, sorted(offs)
    return sorted(offs)


def output_every_step(model: HadamModel) -> bool:
    return model.config.output is OutputMode.EVERY_STEP
