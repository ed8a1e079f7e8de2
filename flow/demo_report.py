"""The demo's report folder: one summary table (printed and in README.md), JSON, plots."""

from __future__ import annotations

import json
from pathlib import Path

from hadam_hw.artifact import atomic_write_bytes

__all__ = ["summary_table", "write_report"]


def _fmt(v, spec: str = ",") -> str:
    return "-" if v is None else format(v, spec)


def summary_table(summary: dict) -> str:
    """A Markdown table: one row per architecture, with the dense baseline at matched throughput."""
    head = ["arch", "cycles/step", "set by", "latency", "verified (steps, simulator)", "sim cycles/s",
            f"LUTs ({summary['target']})", "FFs", "DSP", "LUTs / adder bound", "dense baseline LUTs (lanes)",
            "LUTs vs dense", "area x time vs dense"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for arch, a in summary["archs"].items():
        e = a.get("estimate") or {}
        dense = e.get("dense") or {}
        cps = a["sim_wall_s"] and a["cycles"] / a["sim_wall_s"]
        cells = [
            arch, str(a["cycles_per_step"]), a.get("set_by") or "-", str(a["latency_cycles"]),
            f"{'PASS' if a['passed'] else 'FAIL'} ({a['steps_checked']:,}, {a.get('simulator', '')})",
            _fmt(round(cps) if cps else None), _fmt(e.get("luts")), _fmt(e.get("ffs")), _fmt(e.get("dsps")),
            _x(e.get("luts_vs_bound")),
            f"{dense['luts']:,} ({dense['lanes']})" if dense else "-",
            _x(e.get("luts_vs_dense")), _x(e.get("area_time_vs_dense")),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _x(v) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _plot_luts(out: Path, summary: dict) -> str | None:
    archs = {k: v["estimate"] for k, v in summary["archs"].items() if v.get("estimate")}
    if not archs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(archs)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(names, [archs[n]["luts"] for n in names], color="tab:blue", label="LUT-equivalents (Yosys)")
    ax.scatter(names, [archs[n]["bound"]["luts"] for n in names], color="tab:red", zorder=3,
               label="adder lower bound at the same cycles/step")
    ax.scatter(names, [archs[n]["dense"]["luts"] for n in names], color="tab:gray", marker="s", zorder=3,
               label="dense ±1 baseline at matched throughput")
    for i, n in enumerate(names):
        cps = summary["archs"][n]["cycles_per_step"]
        ax.annotate(f"{cps} cyc/step", (i, archs[n]["luts"]), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("LUT-equivalents")
    ax.set_title(f"{summary['model']['tag']} on {summary['target']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "luts_by_arch.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path.name


def write_report(out: Path, summary: dict) -> str:
    table = summary_table(summary)
    plot = _plot_luts(out, summary)
    m = summary["model"]
    lines = [
        "# hadam-hw demo report",
        "",
        f"Model `{m['tag']}`: hidden {m['hidden']}, block {m['block']}, {m['n_in']} input(s) per step "
        f"({m['input_mode']}), {m['n_out']} outputs ({m['output']}), {m['weight_bits']}-bit weights, "
        f"{m['state_bits']}-bit state. Artifact: `model.hrnn.npz`.",
    ]
    acc = summary.get("accuracy")
    if acc:
        lines += ["", f"Test accuracy of the **integer** model (what the hardware computes): {acc['integer']:.4f}; "
                  f"float model: {acc['float']:.4f}. Training curves: `training/curves.png`."]
    lines += [
        "", "## Designs", "",
        "Each design was generated (`rtl/<arch>/`: Verilog, `manifest.json`, FuseSoC `.core`) and verified "
        "with cocotb against the golden model, bit for bit, under random stalls, "
        "back-pressure and a reset; `cycles/step` and `latency` are asserted exactly by the simulation. "
        "LUTs are Yosys LUT-equivalents (carry cells counted).",
        "", table, "",
    ]
    if plot:
        lines += [f"![LUTs by architecture]({plot})", ""]
    est = next((a["estimate"] for a in summary["archs"].values() if a.get("estimate")), None)
    if est:
        lines += [f"Synthesis command: `{est['command']}`.", ""]
    lines += ["Reproduce: `hadam-hw demo` (this folder), `hadam-hw sim model.hrnn.npz --arch sdf`, "
              "`hadam-hw generate model.hrnn.npz --arch butterfly -o build/`.", ""]
    atomic_write_bytes(out / "README.md", "\n".join(lines).encode())
    atomic_write_bytes(out / "summary.json", (json.dumps(summary, indent=2, default=str) + "\n").encode())
    return table
