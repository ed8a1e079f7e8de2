"""``hadam-hw sim``: generate, simulate with cocotb and compare with the golden model.

Exit status: 0 every output matched; 1 a mismatch (or the design failed to build or
run); 2 misuse (one line on stderr). Nothing heavy is imported at module level.
"""

from __future__ import annotations

import sys

__all__ = ["register"]


def register(sub) -> None:
    from hadam_hw.cliargs import add_hardware_options, existing_file, positive_int

    p = sub.add_parser(
        "sim",
        help="verify the generated Verilog against the golden model with cocotb (Icarus or Verilator)",
        description="Generate the design (rtl_gen), simulate it cycle by cycle with cocotb under "
        "full throughput, random stalls, back-pressure and a mid-sequence reset, and compare every "
        "output with the golden model exactly. Exit 0: all matched; 1: a mismatch; 2: misuse. "
        "With --soak: the million-step soak run over several configurations (no MODEL needed).",
    )
    p.add_argument("model", nargs="?", type=existing_file, help="a *.hrnn.npz artifact")
    add_hardware_options(p, arch_default="butterfly")
    p.add_argument("--expose-state", action="store_true", help="generate the h stream and check every h_t too")
    p.add_argument("--top", default="hadamrnn", help="top module name (default hadamrnn)")
    p.add_argument("--simulator", choices=("icarus", "verilator"), default=None,
                   help="default: icarus (4-state, checks X/Z); verilator for --soak (faster)")
    p.add_argument("--sequences", type=positive_int, default=4, help="random sequences (default 4)")
    p.add_argument("--seq-len", type=positive_int, default=200, help="steps per sequence (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of inputs, stalls and resets (default 0)")
    p.add_argument("--waves", action="store_true", help="record a waveform (FST with Icarus, VCD with Verilator)")
    p.add_argument("--build-dir", default=None, help="root of the build folders (default build/sim)")
    p.add_argument("--split-nets", choices=("auto", "on", "off"), default="auto",
                   help="Icarus: simulate a copy with nets split by Yosys (the same logic; 17-50x faster for "
                   "the butterfly at hidden 64-128). auto (default): for the butterfly only")
    p.add_argument("--no-stalls", action="store_true", help="full throughput only (no idle, no back-pressure)")
    p.add_argument("--no-resets", action="store_true", help="no reset in the middle of a sequence")
    p.add_argument("--also-load", type=existing_file, action="append", default=[], metavar="MODEL",
                   help="--weights runtime: after MODEL, load this artifact over AXI4-Lite into the same "
                   "simulated design and check it too (repeatable)")
    p.add_argument("--no-extremes", action="store_true", help="no sequence of inputs at their range ends")
    p.add_argument("--soak", action="store_true",
                   help="the soak run: --soak-steps checked steps across configurations, stalls and resets")
    p.add_argument("--soak-steps", type=positive_int, default=1_000_000, help="soak total (default 1,000,000)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_sim, _parser=p)


def _sim(args) -> int:
    from hadam_hw.cliargs import hardware_config
    from hadam_hw.errors import HadamHWError

    from .progress import StepProgressBar
    from .runner import SimulationError

    def stage(msg: str) -> None:
        if not args.quiet:
            print(f"[sim] {msg}", file=sys.stderr, flush=True)

    if args.simulator is None:
        args.simulator = "verilator" if args.soak else "icarus"
    if args.soak:
        from .soak import run_soak

        try:
            res = run_soak(total_steps=args.soak_steps, simulator=args.simulator, seed=args.seed,
                           build_dir=args.build_dir, stage=stage, quiet=args.quiet)
        except SimulationError as e:
            print(f"hadam-hw sim: {e}", file=sys.stderr)
            return 1
        print(res.summary())
        return 0 if res.passed else 1

    if args.model is None:
        raise HadamHWError("MODEL is required (a *.hrnn.npz artifact), unless --soak is given")
    from hadam_hw.artifact import load_artifact

    from .verify import verify

    model = load_artifact(args.model)
    hw = hardware_config(args, expose_state=args.expose_state, top=args.top)
    if hw.interface.value == "axis":
        from .axi_verify import verify_axi

        if hw.interleave > 1:
            raise HadamHWError("the AXI testbench does not drive interleaved sequences (s_axis_tid): simulate "
                               "--interleave with --interface streams")

        stage(f"AXI design {hw.tag}: cocotbext-axi testbench, {1 + len(args.also_load)} model(s)")
        res = verify_axi([model, *args.also_load], hw, simulator=args.simulator, sequences=args.sequences,
                         seq_len=args.seq_len, seed=args.seed, build_dir=args.build_dir,
                         pauses="bursty" if not args.no_stalls else "never")
        print(res.summary())
        return 0 if res.passed else 1
    if args.also_load:
        raise HadamHWError("--also-load needs --interface axis --weights runtime")
    total = args.sequences * args.seq_len + (0 if args.no_extremes else args.seq_len) \
        + (0 if args.no_resets else 3 * args.seq_len)
    bar = None if args.quiet else StepProgressBar(total, f"simulate ({args.simulator})")
    try:
        res = verify(model, hw, simulator=args.simulator, sequences=args.sequences, seq_len=args.seq_len,
                     seed=args.seed, waves=args.waves, build_dir=args.build_dir, stalls=not args.no_stalls,
                     resets=not args.no_resets, extremes=not args.no_extremes, progress=bar, stage=stage,
                     split_nets={"auto": None, "on": True, "off": False}[args.split_nets])
    except SimulationError as e:
        print(f"hadam-hw sim: {e}", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    print(res.summary())
    return 0 if res.passed else 1
