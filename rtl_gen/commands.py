"""``hadam-hw generate``: Verilog and manifest for a model artifact (imports nothing heavy here)."""

from __future__ import annotations

import time

from hadam_hw.commands import existing_file, nonneg_int, positive_int

__all__ = ["register"]

ARCHS = ("adder_tree", "butterfly", "sdf", "dense")


def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate Verilog and manifest.json for a model artifact",
        description="Build the HadamRNN cell for MODEL in the chosen architecture and write "
        "OUT/<top>.v and OUT/manifest.json (format hrnn-rtl/1).",
    )
    p.add_argument("model", type=existing_file, help="a *.hrnn.npz artifact")
    p.add_argument("--arch", choices=ARCHS, default="butterfly",
                   help="recurrence datapath (default butterfly)")
    p.add_argument("--lanes", type=positive_int, default=1,
                   help="rows per cycle for adder_tree/dense, elements per cycle for sdf (default 1)")
    p.add_argument("--pipeline", type=nonneg_int, default=0,
                   help="a register after every K adder levels; 0 = combinational (default 0)")
    p.add_argument("--expose-state", action="store_true", help="add the h stream (h_t every step)")
    p.add_argument("--top", default="hadamrnn", help="top module name (default hadamrnn)")
    p.add_argument("-o", "--output-dir", dest="out", required=True, help="build folder to write into")
    p.set_defaults(func=_generate)


def _generate(args) -> int:
    from hadam_hw.artifact import artifact_sha256, load_artifact
    from hadam_hw.config import HardwareConfig

    from .writer import generate

    t0 = time.perf_counter()
    model = load_artifact(args.model)
    hw = HardwareConfig(arch=args.arch, lanes=args.lanes, pipeline=args.pipeline,
                        expose_state=args.expose_state, top=args.top)
    man = generate(model, hw, args.out, artifact_sha256=artifact_sha256(args.model))
    dt = time.perf_counter() - t0
    print(f"wrote {args.out}/{man['verilog']}, manifest.json and {man['top']}.core ({man['tag']}): "
          f"{man['cycles_per_step']} cycles/step (set by {man['cycles_per_step_set_by']}), "
          f"latency {man['latency_cycles']} cycles, {dt:.1f} s")
    return 0
