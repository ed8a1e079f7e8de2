"""``hadam-hw generate``: Verilog and manifest for a model artifact (imports nothing heavy here)."""

from __future__ import annotations

import time

from hadam_hw.cliargs import add_hardware_options, existing_file, hardware_config

__all__ = ["register"]


def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate Verilog and manifest.json for a model artifact",
        description="Build the HadamRNN cell for MODEL in the chosen architecture and write "
        "OUT/<top>.v and OUT/manifest.json (format hrnn-rtl/1).",
    )
    p.add_argument("model", type=existing_file, help="a *.hrnn.npz artifact")
    add_hardware_options(p, arch_default="butterfly")
    p.add_argument("--expose-state", action="store_true", help="add the h stream (h_t every step)")
    p.add_argument("--top", default="hadamrnn", help="top module name (default hadamrnn)")
    p.add_argument("-o", "--output-dir", dest="out", required=True, help="build folder to write into")
    p.set_defaults(func=_generate)


def _generate(args) -> int:
    from hadam_hw.artifact import artifact_sha256, load_artifact

    from .writer import generate

    t0 = time.perf_counter()
    model = load_artifact(args.model)
    hw = hardware_config(args, expose_state=args.expose_state, top=args.top)
    man = generate(model, hw, args.out, artifact_sha256=artifact_sha256(args.model))
    dt = time.perf_counter() - t0
    c = man["interleave"]
    agg = f"; aggregate over {c} interleaved sequences, {man['loop_cycles']} for one alone" if c > 1 else ""
    print(f"wrote {args.out}/{man['verilog']}, manifest.json and {man['top']}.core ({man['tag']}): "
          f"{man['cycles_per_step']} cycles/step (set by {man['cycles_per_step_set_by']}{agg}), "
          f"latency {man['latency_cycles']} cycles, {dt:.1f} s")
    return 0
