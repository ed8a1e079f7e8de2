"""Plots of a sweep (matplotlib, Agg backend: no display needed).

Per target: LUTs against hidden size per architecture; LUTs against cycles per step with the
Pareto front (no other configuration is both smaller and at least as fast) marked; and the
sparsity trade-off, LUTs against the fraction of zeros ``1 − b/d`` of Block-HadamRNN.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

__all__ = ["sweep_plots", "pareto_front"]

_COLORS = {"adder_tree": "tab:blue", "butterfly": "tab:orange", "sdf": "tab:green", "dense": "tab:gray"}



def _label(ax, xlabel: str, ylabel: str, title: str, *, xlog: bool = False, ylog: bool = False,
           legend: dict | None = None) -> None:
    """The axes' scales (log2 x, log10 y), labels, title, grid and legend."""
    if xlog:
        ax.set_xscale("log", base=2)
    if ylog:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(**(legend or {}))

def pareto_front(rows: Sequence[dict]) -> list[dict]:
    """Rows that no other row beats on both LUTs and cycles per step (smaller is better)."""
    best: list[dict] = []
    for r in sorted(rows, key=lambda r: (r["cycles_per_step"], r["luts"])):
        if not best or r["luts"] < best[-1]["luts"]:
            best.append(r)
    return best


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def sweep_plots(rows: Sequence[dict], out_dir: str | Path) -> dict[str, str]:
    """Write the plots of ``rows`` (sweep rows) into ``out_dir``; returns ``{name: path}``."""
    plt = _plt()
    out = Path(out_dir)
    files: dict[str, str] = {}
    by_target: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("luts"):
            by_target[r["target"]].append(r)
    for target, rs in by_target.items():
        src = "Yosys" if any(r["source"] == "yosys" for r in rs) else "analytic model"

        # 1. LUTs vs hidden size, one line per architecture (and lanes/block/pipeline variant)
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        lines = defaultdict(list)
        for r in rs:
            lines[(r["arch"], r["lanes"], r["block"] == r["hidden"], r["pipeline"], r["state_bits"])].append(r)
        for (arch, lanes, full, pipe, sb), pts in sorted(lines.items()):
            pts.sort(key=lambda r: r["hidden"])
            label = f"{arch} l{lanes}" + ("" if full else " b<d") + (f" p{pipe}" if pipe else "") + f" s{sb}"
            ax.plot([r["hidden"] for r in pts], [r["luts"] for r in pts], "o-" if full else "s--",
                    color=_COLORS.get(arch), label=label, alpha=0.9 if full else 0.5)
        _label(ax, "hidden size d", "LUT-equivalents", f"LUTs vs hidden size ({target}, {src})", xlog=True, ylog=True, legend=dict(fontsize=6, ncol=2))
        files[f"luts_vs_hidden_{target}"] = _save(fig, out / f"luts_vs_hidden_{target}.png", plt)

        # 2. LUTs vs cycles per step with the Pareto front, per hidden size
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for arch in sorted({r["arch"] for r in rs}):
            pts = [r for r in rs if r["arch"] == arch]
            ax.scatter([r["cycles_per_step"] for r in pts], [r["luts"] for r in pts], color=_COLORS.get(arch),
                       label=arch, s=18, alpha=0.8)
        for d in sorted({r["hidden"] for r in rs}):
            front = pareto_front([r for r in rs if r["hidden"] == d])
            ax.step([r["cycles_per_step"] for r in front], [r["luts"] for r in front], where="post", color="k",
                    lw=0.8, alpha=0.6)
            ax.scatter([r["cycles_per_step"] for r in front], [r["luts"] for r in front], facecolors="none",
                       edgecolors="k", s=60, lw=1.0)
            last = front[-1]
            ax.annotate(f"d={d}", (last["cycles_per_step"], last["luts"]), fontsize=7, xytext=(4, -2),
                        textcoords="offset points")
        _label(ax, "cycles per step (lower = faster)", "LUT-equivalents", f"LUTs vs cycles per step, Pareto front circled ({target})", xlog=True, ylog=True, legend=dict(fontsize=7))
        files[f"luts_vs_cycles_{target}"] = _save(fig, out / f"luts_vs_cycles_{target}.png", plt)

        # 3. sparsity trade-off: LUTs vs 1 - b/d, per architecture and hidden size
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        groups = defaultdict(list)
        for r in rs:
            groups[(r["arch"], r["hidden"], r["lanes"], r["pipeline"], r["state_bits"])].append(r)
        for (arch, d, lanes, _pipe, _sb), pts in sorted(groups.items()):
            pts.sort(key=lambda r: r["sparsity"])
            ax.plot([r["sparsity"] for r in pts], [r["luts"] for r in pts], "o-", color=_COLORS.get(arch),
                    alpha=0.4 + 0.6 * (d / max(x["hidden"] for x in rs)), label=f"{arch} d={d} l{lanes}",
                    markersize=4)
        _label(ax, "sparsity of W (1 − b/d)", "LUT-equivalents", f"Block-HadamRNN sparsity trade-off ({target})", ylog=True, legend=dict(fontsize=6, ncol=2))
        files[f"sparsity_{target}"] = _save(fig, out / f"sparsity_{target}.png", plt)
    return files


def _save(fig, path: Path, plt) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
