"""Core subcommands: ``random-model``, ``info``, ``golden``, ``regmap``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from .cliargs import add_hardware_options, existing_file, hardware_config, nonneg_int, positive_int
from .errors import HadamHWError

__all__ = ["register"]


def register(sub) -> None:
    p = sub.add_parser(
        "random-model",
        help="create a valid random model artifact (for hardware exploration without training)",
        description="Create a random hrnn-int/1 model artifact from a seed.",
    )
    p.add_argument("--hidden", type=positive_int, default=128, help="hidden size d, a power of two (default 128)")
    p.add_argument("--block", type=positive_int, default=None, help="Hadamard block size b dividing d (default d: HadamRNN)")
    p.add_argument("--n-in", type=positive_int, default=10, help="inputs per step, or the vocabulary in onehot mode (default 10)")
    p.add_argument("--n-out", type=positive_int, default=9, help="outputs (default 9)")
    p.add_argument("--input-mode", choices=("dense", "onehot"), default="dense")
    p.add_argument("--output", choices=("every_step", "last_step"), default="last_step")
    p.add_argument("--in-bits", type=positive_int, default=8, help="bits per dense input lane (default 8, signed)")
    p.add_argument("--weight-bits", "--bits", type=positive_int, default=4, help="p, bits of U and V (default 4)")
    p.add_argument("--state-bits", type=positive_int, default=12, help="bits of the state h (default 12)")
    p.add_argument("--frac-bits", type=nonneg_int, default=12, help="F, the rounding shift (default 12)")
    p.add_argument("--a-digits", type=positive_int, default=None,
                   help="limit A to this many signed digits, rounding down (odd log2 b only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output-file", dest="out", required=True, help="the artifact to write (*.hrnn.npz)")
    p.set_defaults(func=_random_model)

    p = sub.add_parser("info", help="print sizes, sparsity, storage and additions per step of a model",
                       description="Summarize a model artifact.")
    p.add_argument("model", type=existing_file, help="a *.hrnn.npz artifact")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--seq-len", type=positive_int, default=1000,
                   help="sequence length for the gain figure A·sqrt(b)/2^F to the power T (default 1000)")
    p.set_defaults(func=_info)

    p = sub.add_parser("golden", help="run the integer golden model on inputs from a .npy file",
                       description="Run the bit-exact golden model; writes h (every step), y and y_valid. "
                       "With --ids: interleaved sequences (SPEC §4.1), the steps in arrival order, each with "
                       "the id of its sequence; the results in the same order, with id.")
    p.add_argument("model", type=existing_file)
    p.add_argument("--input", required=True, type=existing_file,
                   help="X.npy: (batch, T, n_in) or (T, n_in) integers; onehot: (batch, T) or (T,) token ids; "
                   "with --ids: (N, n_in) or (N,) steps in arrival order")
    p.add_argument("--ids", type=existing_file, default=None,
                   help="IDS.npy: (N,) non-negative integers, the sequence of each step (interleaved traffic)")
    p.add_argument("--first", type=existing_file, help="optional (batch, T) booleans: a new sequence starts here "
                   "(with --ids: (N,), default the first step of each id)")
    p.add_argument("--last", type=existing_file, help="optional (batch, T) booleans: a sequence ends here "
                   "(with --ids: (N,), default the last step of each id)")
    p.add_argument("-o", "--output-file", dest="out", required=True, help="OUT.npz with h, y, y_valid (and id)")
    p.set_defaults(func=_golden)

    p = sub.add_parser(
        "regmap", help="print the AXI4-Lite register map of a runtime-weights design; write a C header and a "
        "Python dict of offsets",
        description="The register map (SPEC §4.2) of MODEL built with --interface axis --weights runtime: "
        "registers, weight memories with base, depth and packing. With -o: DIR/<top>_regmap.h, "
        "DIR/<top>_regmap.py (a dict of offsets) and DIR/regmap.json (the manifest's regmap section).")
    p.add_argument("model", type=existing_file, help="a *.hrnn.npz artifact (any model of the design's shape)")
    add_hardware_options(p, arch_default="butterfly")
    p.add_argument("--top", default="hadamrnn", help="top module name, the files' prefix (default hadamrnn)")
    p.add_argument("--json", action="store_true", help="print the regmap JSON instead of the table")
    p.add_argument("-o", "--output-dir", dest="out", default=None, help="folder to write the header files into")
    p.set_defaults(func=_regmap)


def _random_model(args) -> int:
    from .artifact import random_model, save_artifact

    m = random_model(
        args.hidden, args.block or args.hidden, args.n_in, args.n_out,
        input_mode=args.input_mode, output=args.output, in_bits=args.in_bits,
        weight_bits=args.weight_bits, state_bits=args.state_bits, frac_bits=args.frac_bits,
        a_digits=args.a_digits, seed=args.seed,
    )
    path = save_artifact(m, args.out)
    print(f"wrote {path} ({m.config.tag})")
    return 0


def model_summary(model, seq_len: int = 1000) -> dict:
    """The figures ``hadam-hw info`` prints, as a JSON-able dict."""
    from .constants import RecurrenceConstant
    from .fixedpoint import csd
    from .widths import derive_widths, size_bits

    cfg = model.config
    sizes = size_bits(model)
    rc = RecurrenceConstant(cfg.A, cfg.block, cfg.frac_bits)
    adds = model.additions_per_step()
    return {
        "tag": cfg.tag,
        "config": cfg.to_json(),
        "hidden": cfg.hidden,
        "block": cfg.block,
        "blocks": cfg.n_blocks,
        "sparsity": cfg.sparsity,
        "size_bits": sizes,
        "size_kbit": sum(sizes.values()) / 1000,
        "float32_kbit": 32 * (cfg.hidden * cfg.hidden + cfg.hidden * (cfg.n_in + 1) + cfg.n_out * (cfg.hidden + 1)) / 1000,
        "additions_per_step": adds,
        "A": {"value": cfg.A, "signed_digits": len(csd(cfg.A)), "exact": rc.exact, "shift_only": rc.shift_only,
              "gain": rc.gain, "gain_over_seq": rc.gain_over(seq_len), "seq_len": seq_len},
        "B": {"value": cfg.B, "signed_digits": len(csd(cfg.B))},
        "widths": derive_widths(model).to_json(),
        "scales": model.scales,
        "provenance": model.provenance,
    }


def format_summary(s: dict) -> str:
    cfg = s["config"]
    adds = s["additions_per_step"]
    a = s["A"]
    lines = [
        f"model          {s['tag']}",
        f"hidden         {s['hidden']}   block {s['block']} ({s['blocks']} block{'s' if s['blocks'] > 1 else ''})"
        f"   {'HadamRNN (binary W)' if s['blocks'] == 1 else 'Block-HadamRNN (ternary W)'}",
        f"sparsity       {s['sparsity']:.3f}   (zeros of W: 1 - b/d)",
        f"inputs         {cfg['n_in']} {cfg['input_mode']}, {cfg['in_bits']}-bit {'signed' if cfg['in_signed'] else 'unsigned'}",
        f"outputs        {cfg['n_out']}, {cfg['output']}",
        f"formats        weights {cfg['weight_bits']}-bit, state {cfg['state_bits']}-bit, F = {cfg['frac_bits']}",
        f"A              {a['value']} ({a['signed_digits']} signed digit{'s' if a['signed_digits'] > 1 else ''}"
        f"{', a shift' if a['shift_only'] else ''}), gain A*sqrt(b)/2^F = {a['gain']:.6f}, "
        f"over {a['seq_len']} steps {a['gain_over_seq']:.4g}",
        f"B              {s['B']['value']}",
        "size           " + ", ".join(f"{k} {v / 1000:.2f}" for k, v in s["size_bits"].items())
        + f"  = {s['size_kbit']:.2f} kbit  (float32: {s['float32_kbit']:.1f} kbit, "
        f"{s['float32_kbit'] / s['size_kbit']:.1f}x)",
        "additions/step (recurrence S·h)",
        f"  dense ±1/0 matrix  {adds['dense']:>10,}",
        f"  adder tree         {adds['adder_tree']:>10,}   ({adds['dense'] / adds['adder_tree']:.1f}x fewer)"
        if adds["adder_tree"] else f"  adder tree         {adds['adder_tree']:>10,}",
        f"  butterfly (FWHT)   {adds['butterfly']:>10,}"
        + (f"   ({adds['dense'] / adds['butterfly']:.1f}x fewer)" if adds["butterfly"] else ""),
        "widths         " + " ".join(f"{k}:{v}" for k, v in s["widths"].items()),
    ]
    return "\n".join(lines)


def _info(args) -> int:
    from .artifact import load_artifact

    model = load_artifact(args.model)
    s = model_summary(model, args.seq_len)
    print(json.dumps(s, indent=2) if args.json else format_summary(s))
    return 0


def _load_npy(path: Path, what: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise HadamHWError(f"{what} {path}: not a readable .npy array ({e})") from None


def _golden(args) -> int:
    from .artifact import atomic_write_bytes, load_artifact
    from .golden import run_golden

    model = load_artifact(args.model)
    x = _load_npy(args.input, "--input")
    first = _load_npy(args.first, "--first") if args.first else None
    last = _load_npy(args.last, "--last") if args.last else None
    if args.ids is not None:
        from .golden import run_interleaved

        ires = run_interleaved(model, _load_npy(args.ids, "--ids"), x, first, last)
        buf = io.BytesIO()
        np.savez(buf, id=ires.id, h=ires.h, y=ires.y, y_valid=ires.y_valid)
        atomic_write_bytes(args.out, buf.getvalue())
        print(f"ran {len(np.unique(ires.id))} interleaved sequence(s), {len(ires.id)} steps; wrote id, h "
              f"{ires.h.shape}, y {ires.y.shape} ({int(ires.y_valid.sum())} emitted) to {args.out}")
        return 0
    res = run_golden(model, x, first, last)
    buf = io.BytesIO()
    np.savez(buf, h=res.h, y=res.y, y_valid=res.y_valid)
    atomic_write_bytes(args.out, buf.getvalue())
    b, t, _ = res.h.shape
    print(f"ran {b} sequence(s) x {t} steps; wrote h {res.h.shape}, y {res.y.shape} "
          f"({int(res.y_valid.sum())} emitted) to {args.out}")
    return 0


def _regmap(args) -> int:
    from .artifact import atomic_write_bytes, load_artifact
    from .regmap import c_header, design_regmap, python_offsets

    model = load_artifact(args.model)
    hw = hardware_config(args, top=args.top, interface="axis", weights="runtime")
    from .schedule import check_hardware

    check_hardware(model, hw)
    rm = design_regmap(model, hw)
    js = rm.to_json()
    if args.json:
        print(json.dumps(js, indent=2))
    else:
        print(f"register map of {rm.design_tag} (AXI4-Lite, 32-bit data, {rm.addr_bits}-bit addresses)")
        print(f"shape hash {rm.shape_hash:#010x}, design hash {rm.design_hash:#010x}")
        for r in rm.registers:
            fields = ", ".join(f"{n}[{f['bit']}{':' + str(f['bit'] + f['width'] - 1) if f['width'] > 1 else ''}]"
                               for n, f in r.fields.items())
            print(f"  {r.offset:#06x}  {r.name:<8} {r.access:<2}  {fields}")
        for t in rm.tables:
            print(f"  {t.base:#06x}  mem {t.name:<4} {t.depth:>5} words  {t.rows} x {t.lanes} lanes of {t.lane_bits} "
                  f"bits ({t.storage})")
        print(f"  weight memories: {js['memory_access']}")
    if args.out:
        out = Path(args.out)
        atomic_write_bytes(out / f"{args.top}_regmap.h", c_header(rm, args.top).encode())
        text = (f'"""AXI4-Lite offsets of {rm.design_tag} (generated by hadam-hw regmap)."""\n\n'
                f"REGMAP = {python_offsets(rm)!r}\n")
        atomic_write_bytes(out / f"{args.top}_regmap.py", text.encode())
        atomic_write_bytes(out / "regmap.json", (json.dumps(js, indent=2) + "\n").encode())
        print(f"wrote {out}/{args.top}_regmap.h, {args.top}_regmap.py and regmap.json")
    return 0
