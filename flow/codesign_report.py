"""The results of a co-design sweep: ``codesign.csv``, ``.md``, ``.json``, plots and the summary.

Plots: integer test accuracy against LUT-equivalents, and against the latency of one
sequence (µs at Fmax with ``--pnr``, else cycles), one per target, with the Pareto front
(no other point is at least as accurate and at most as costly, better in one) circled.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from hadam_hw.artifact import atomic_write_bytes

__all__ = ["COLUMNS", "write_results", "accuracy_front", "markdown", "summary_text"]

COLUMNS = (
    "tag", "status", "task", "hidden", "block", "weight_bits", "state_bits", "arch", "lanes", "pipeline", "target",
    "accuracy", "accuracy_float", "source", "luts", "ffs", "dsps", "brams", "fmax_mhz", "cycles_per_step",
    "latency_cycles", "latency_ns", "seq_len", "sequence_cycles", "sequence_us", "steps_per_s", "set_by",
    "analytic_luts", "dense_luts", "luts_vs_dense", "verified", "verified_steps", "cached", "train_key",
    "artifact_sha256", "error",
)

# the table that is compared: everything but where and when it ran
TABLE_COLUMNS = [c for c in COLUMNS if c != "cached"]


def accuracy_front(rows: Sequence[dict], cost: str) -> list[dict]:
    """Rows no other row beats: at most the cost and at least the accuracy, better in one."""
    best: list[dict] = []
    for r in sorted(rows, key=lambda r: (r[cost], -r["accuracy"])):
        if not best or r["accuracy"] > best[-1]["accuracy"]:
            best.append(r)
    return best


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else v


def _csv(rows: Sequence[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _fmt(r.get(k)) for k in COLUMNS})
    return buf.getvalue()


def markdown(rows: Sequence[dict], meta: dict) -> str:
    cols = [("tag", "point"), ("accuracy", "accuracy"), ("luts", "LUT-eq"), ("ffs", "FFs"), ("dsps", "DSP"),
            ("brams", "BRAM"), ("fmax_mhz", "Fmax MHz"), ("cycles_per_step", "cycles/step"),
            ("latency_cycles", "latency cyc"), ("sequence_cycles", "sequence cyc"), ("steps_per_s", "steps/s"),
            ("source", "source"), ("verified", "verified"), ("status", "status")]
    lines = [f"# Co-design: {meta['points']} points ({meta['computed']} computed, {meta['cached']} cached, "
             f"{meta['failed']} failed{', ' + str(meta['not_run']) + ' not run' if meta['not_run'] else ''}) "
             f"in {meta['seconds']:.1f} s on {meta['backend']}\n",
             f"Preset `{meta['grid']['preset']}`; estimates: "
             + ("analytic model" if meta["options"]["fast"] else "Yosys " + meta["options"]["flow"] + " flow"
                + (" + nextpnr" if meta["options"]["pnr"] else ""))
             + ("; verified with cocotb (" + meta["options"]["simulator"] + f", {meta['options']['sequences']} sequence × "
                f"{meta['options']['seq_len']} steps)" if meta["options"]["verify"] else "; not verified")
             + ". Accuracy: the integer model's (what the hardware computes) on the test set. Sequence cycles: "
             "(T − 1) × cycles/step + latency, one sequence of T steps at full rate.\n"]
    if meta.get("stopped"):
        lines.append(f"**{meta['stopped']}**\n")
    lines.append("| " + " | ".join(h for _, h in cols) + " |")
    lines.append("|" + "|".join("---" for _ in cols) + "|")
    for r in rows:
        cells = []
        for k, _ in cols:
            v = r.get(k)
            if k == "accuracy" and v is not None:
                v = f"{v:.4f}"
            elif k == "steps_per_s" and v:
                v = f"{v:,.0f}"
            elif isinstance(v, float):
                v = f"{v:.1f}"
            cells.append("—" if v is None else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        lines.append("\nFailed points:\n")
        lines += [f"- `{r['tag']}`: {r['error']} (log: logs/{r['tag']}.log)" for r in failed]
    if meta.get("skipped"):
        lines.append("\nSkipped: " + "; ".join(meta["skipped"]))
    return "\n".join(lines) + "\n"


def write_results(res, out: Path, grid, opts, *, plots: bool = True) -> dict[str, str]:
    """Write the tables (and plots) of ``res`` into ``out``; returns ``{name: path}``."""
    grid_json = {k: v for k, v in grid.__dict__.items()}
    meta = {"points": len(res.rows), "computed": res.computed, "cached": res.cached, "failed": res.failed,
            "not_run": res.not_run, "seconds": round(res.seconds, 2), "backend": res.backend, "jobs": res.jobs,
            "stopped": res.stopped, "skipped": res.skipped, "grid": grid_json, "options": opts.__dict__}
    files = {"csv": out / "codesign.csv", "markdown": out / "codesign.md", "json": out / "codesign.json"}
    atomic_write_bytes(files["csv"], _csv(res.rows).encode())
    atomic_write_bytes(files["markdown"], markdown(res.rows, meta).encode())
    atomic_write_bytes(files["json"], (json.dumps({"meta": meta, "rows": res.rows}, indent=1, default=str) + "\n").encode())
    out_files = {k: str(v) for k, v in files.items()}
    if plots:
        out_files.update(plot_results(res.rows, out))
    return out_files


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_results(rows: Sequence[dict], out: Path) -> dict[str, str]:
    """Accuracy against LUTs and against sequence latency, per target, the Pareto front circled."""
    good = [r for r in rows if r["status"] == "ok" and r.get("accuracy") is not None and r.get("luts")]
    by_target: dict[str, list[dict]] = defaultdict(list)
    for r in good:
        by_target[r["target"]].append(r)
    files: dict[str, str] = {}
    if not by_target:
        return files
    plt = _plt()
    for target, rs in sorted(by_target.items()):
        timed = all(r.get("sequence_us") for r in rs)
        lat_key, lat_label = (("sequence_us", "latency of one sequence (µs at Fmax)") if timed else
                              ("sequence_cycles", "latency of one sequence (cycles)"))
        for cost, xlabel, name in (("luts", "LUT-equivalents (" + rs[0]["source"] + ")", "accuracy_vs_luts"),
                                   (lat_key, lat_label, "accuracy_vs_latency")):
            pts = [r for r in rs if r.get(cost)]
            if not pts:
                continue
            fig, ax = plt.subplots(figsize=(6.4, 4.4))
            groups = defaultdict(list)
            for r in pts:
                groups[(r["block"] == r["hidden"], r["weight_bits"])].append(r)
            markers = {True: "o", False: "s"}
            for (full, wb), g in sorted(groups.items()):
                ax.scatter([r[cost] for r in g], [r["accuracy"] for r in g], marker=markers[full], s=28, alpha=0.85,
                           label=f"{'HadamRNN' if full else 'block'} w{wb}")
            front = accuracy_front(pts, cost)
            ax.step([r[cost] for r in front], [r["accuracy"] for r in front], where="post", color="k", lw=0.8,
                    alpha=0.6)
            ax.scatter([r[cost] for r in front], [r["accuracy"] for r in front], facecolors="none", edgecolors="k",
                       s=90, lw=1.0, label="Pareto front")
            for r in front:
                ax.annotate(f"d{r['hidden']}b{r['block']} w{r['weight_bits']}s{r['state_bits']} {r['arch']}",
                            (r[cost], r["accuracy"]), fontsize=6, xytext=(4, -8), textcoords="offset points")
            xs = [r[cost] for r in pts]
            if max(xs) > 10 * min(xs):  # a log axis only where the costs span decades
                ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("test accuracy (integer model)")
            ax.set_title(f"accuracy vs {'LUTs' if cost == 'luts' else 'latency'} ({target})")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
            path = out / f"{name}_{target}.png"
            fig.tight_layout()
            fig.savefig(path, dpi=110)
            plt.close(fig)
            files[f"{name}_{target}"] = str(path)
    return files


def summary_text(res) -> str:
    """What the command prints: the table's head line, the failures with their error line, the files."""
    lines = [Path(res.files["markdown"]).read_text().split("\n| ")[0].strip()]
    if res.failures:
        lines.append(f"{len(res.failures)} failed point{'s' if len(res.failures) != 1 else ''}:")
        lines += [f"  {r['tag']}: {r['error']}" for r in res.failures]
    lines.append(f"{len(res.rows)} points: {res.computed} computed, {res.cached} cached, {res.failed} failed"
                 + (f", {res.not_run} not run" if res.not_run else "") + "; jobs run: "
                 + ", ".join(f"{k} {v}" for k, v in res.jobs.items()) + f"; {res.seconds:.1f} s")
    if res.files:
        folder = Path(res.files["csv"]).parent
        lines.append(f"wrote {folder}/: " + ", ".join(sorted(Path(f).name for f in res.files.values())) + ", logs/")
    return "\n".join(lines)
