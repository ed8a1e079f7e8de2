"""``hadam-hw sweep``: CSV, Markdown, JSON and plots; the cache makes a re-run instant."""

import csv
import json
import time

from estimate.plots import pareto_front
from estimate.sweep import Grid, expand_grid, run_sweep
from flow.cli import main


def test_expand_grid_skips_what_cannot_be_built():
    pairs, skipped = expand_grid(Grid(hidden=(8, 16), blocks=(0, 16), archs=("butterfly", "sdf"), lanes=(1, 4),
                                      targets=("ecp5",)))
    tags = [p.tag for p, _ in pairs]
    assert "d8b8-butterfly-l1-p0-s12" in tags and not any("butterfly-l4" in t for t in tags)
    assert "d16b16-sdf-l4-p0-s12" in tags
    assert any("block 16" in s for s in skipped)  # hidden 8 with block 16


def test_sweep_synthesizes_then_rerun_is_all_cached(tmp_path, cache_dir, capsys):
    grid = ["--hidden", "8", "--block", "full,4", "--arch", "adder_tree,sdf", "--target", "ecp5",
            "--n-in", "2", "--n-out", "2", "--cache-dir", str(cache_dir), "--no-progress"]
    out = tmp_path / "sweep"
    assert main(["sweep", *grid, "-o", str(out)]) == 0
    first = capsys.readouterr().out
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert len(rows) == 4 and {r["arch"] for r in rows} == {"adder_tree", "sdf"}
    assert all(r["source"] == "yosys" and int(r["luts"]) > 0 for r in rows)
    assert all(r["dense_luts"] and float(r["luts_vs_bound"]) > 1 for r in rows)
    assert "4 configurations" in first
    md = (out / "sweep.md").read_text()
    assert md.count("\n| ecp5 |") == 4 and "Pareto" not in md
    for name in ("luts_vs_hidden_ecp5.png", "luts_vs_cycles_ecp5.png", "sparsity_ecp5.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    t0 = time.perf_counter()
    assert main(["sweep", *grid, "-o", str(out)]) == 0
    dt = time.perf_counter() - t0
    again = capsys.readouterr().out
    assert "0 synthesized, 4 cached" in again
    assert dt < 10
    meta = json.loads((out / "sweep.json").read_text())["meta"]
    assert meta["cached"] == 4 and meta["synthesized"] == 0


def test_fast_sweep_needs_no_synthesis(tmp_path):
    res = run_sweep(Grid(hidden=(16, 32, 64), blocks=(0, 4), archs=("adder_tree", "butterfly", "sdf", "dense"),
                         lanes=(1, 4), targets=("ecp5", "ice40")), tmp_path, fast=True, show_progress=False)
    assert res.synthesized == 0 and len(res.rows) == 3 * 2 * 7 * 2
    assert all(r["source"] == "analytic" for r in res.rows)
    assert (tmp_path / "luts_vs_cycles_ice40.png").is_file()


def test_pareto_front():
    rows = [{"cycles_per_step": c, "luts": n} for c, n in ((1, 100), (2, 120), (2, 50), (4, 60), (8, 10))]
    assert [(r["cycles_per_step"], r["luts"]) for r in pareto_front(rows)] == [(1, 100), (2, 50), (8, 10)]
