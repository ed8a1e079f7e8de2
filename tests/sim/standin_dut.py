"""A deliberately plain stand-in design (behavioural Verilog + ``hrnn-rtl/1`` manifest).

It exists to test the testbench itself, independently of ``rtl_gen``: one step per
handshake, 64-bit arithmetic, output registers with back-pressure. ``bug`` plants a known
defect so the tests can show the testbench catches it. It is not a reference for the
arithmetic: the scoreboard's only reference is ``hadam_hw.golden.run_golden``.
"""

from __future__ import annotations

import json
from pathlib import Path

from hadam_hw.config import OutputMode
from hadam_hw.hadamard import block_hadamard
from hadam_hw.model import HadamModel
from hadam_hw.widths import derive_widths

__all__ = ["write_standin", "BUGS"]

BUGS = (None, "sign", "saturation", "drop_first", "stall_ready", "x_on_reset")


def _lit(v: int, W: int) -> str:
    return f"-{W}'sd{-v}" if v < 0 else f"{W}'sd{v}"


def write_standin(model: HadamModel, out_dir: Path, *, expose_state: bool = True, top: str = "standin",
                  bug: str | None = None) -> Path:
    """Write ``top.v`` and ``manifest.json`` into ``out_dir``; returns the manifest path."""
    if bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}")
    cfg = model.config
    d, sb = cfg.hidden, cfg.state_bits
    n_lanes = 1 if model.onehot else cfg.n_in
    xw = cfg.in_bits
    yw = derive_widths(model).width("y")
    xpw, ypw, hpw = n_lanes * xw + 2, cfg.n_out * yw + 1, d * sb + 1
    S = block_hadamard(d, cfg.block)
    hlo, hhi = cfg.h_range
    half = (1 << cfg.frac_bits) >> 1
    wd = derive_widths(model)
    # one width for every intermediate: wide enough for all of them (and narrow, for speed)
    W = max(wd.width(k) for k in ("z", "y", "Ar", "Bv", "x")) + 2
    W1 = W - 1
    L = []
    a = L.append
    a(f"module {top}(input clk, input rst,")
    a(f"  input x_valid, output x_ready, input [{xpw - 1}:0] x_payload,")
    a(f"  output reg y_valid, input y_ready, output reg [{ypw - 1}:0] y_payload,")
    a(f"  output reg h_valid, input h_ready, output reg [{hpw - 1}:0] h_payload);")
    a(f"  reg [{d * sb - 1}:0] state;")
    a(f"  wire first = x_payload[{n_lanes * xw}];")
    a(f"  wire last = x_payload[{n_lanes * xw + 1}];")
    a("  wire y_free = !y_valid || y_ready;")
    hs_free = "(!h_valid || h_ready)" if expose_state else "1'b1"
    ready = f"y_free && {hs_free}"
    if bug == "stall_ready":  # accepts only every other cycle: breaks cycles_per_step = 1
        a("  reg toggle;")
        ready += " && toggle"
    a(f"  assign x_ready = {ready};")
    a("  wire fire = x_valid && x_ready;")
    for j in range(d):
        keep = "1'b1" if bug == "drop_first" else "!first"
        a(f"  wire signed [{W1}:0] s{j} = {keep} ? {{{{{W - sb}{{state[{j * sb + sb - 1}]}}}}, state[{j * sb + sb - 1}:{j * sb}]}} : {W}'sd0;")
    for k in range(n_lanes):
        if cfg.in_signed:
            a(f"  wire signed [{W1}:0] x{k} = {{{{{W - xw}{{x_payload[{k * xw + xw - 1}]}}}}, x_payload[{k * xw + xw - 1}:{k * xw}]}};")
        else:
            a(f"  wire signed [{W1}:0] x{k} = {{{W - xw}'d0, x_payload[{k * xw + xw - 1}:{k * xw}]}};")
    for i in range(d):
        terms = [("+" if S[i, j] > 0 else "-") + f" s{j}" for j in range(d) if S[i, j] != 0]
        a(f"  wire signed [{W1}:0] r{i} = {W}'sd0 {' '.join(terms)};")
        if model.onehot:
            cases = " : ".join(f"(x0 == {t}) ? {_lit(int(model.U[i, t]), W)}" for t in range(cfg.n_in))
            a(f"  wire signed [{W1}:0] v{i} = {cases} : {W}'sd0;")
        else:
            terms = " + ".join(f"{_lit(int(model.U[i, k]), W)} * x{k}" for k in range(n_lanes))
            a(f"  wire signed [{W1}:0] v{i} = {terms};")
        sign = int(model.sign[i]) * (-1 if (bug == "sign" and i == d // 2) else 1)
        a(f"  wire signed [{W1}:0] z{i} = {_lit(cfg.A * sign, W)} * r{i} + {_lit(cfg.B, W)} * v{i} + {_lit(int(model.C[i]) + half, W)};")
        a(f"  wire signed [{W1}:0] q{i} = z{i} >>> {cfg.frac_bits};")
        if bug == "saturation":
            a(f"  wire signed [{W1}:0] n{i} = q{i};")
        else:
            a(f"  wire signed [{W1}:0] n{i} = q{i} < {_lit(hlo, W)} ? {_lit(hlo, W)} : q{i} > {_lit(hhi, W)} ? {_lit(hhi, W)} : q{i};")
        a(f"  wire signed [{W1}:0] p{i} = n{i} < {W}'sd0 ? {W}'sd0 : n{i};")
    for o in range(cfg.n_out):
        terms = " + ".join(f"{_lit(int(model.V[o, i]), W)} * p{i}" for i in range(d))
        a(f"  wire signed [{W1}:0] yo{o} = {terms} + {_lit(int(model.c[o]), W)};")
    ycat = ", ".join(f"yo{o}[{yw - 1}:0]" for o in reversed(range(cfg.n_out)))
    hcat = ", ".join(f"n{i}[{sb - 1}:0]" for i in reversed(range(d)))
    emit = "1'b1" if cfg.output is OutputMode.EVERY_STEP else "last"
    a("  always @(posedge clk) begin")
    a("    if (rst) begin")
    a("      state <= 0; y_valid <= 0; h_valid <= 0;")
    if bug == "x_on_reset":
        a(f"      y_payload <= {ypw}'bx;")
    if bug == "stall_ready":
        a("      toggle <= 0;")
    a("    end else begin")
    if bug == "stall_ready":
        a("      toggle <= !toggle;")
    a("      if (y_valid && y_ready) y_valid <= 0;")
    a("      if (h_valid && h_ready) h_valid <= 0;")
    a("      if (fire) begin")
    a(f"        state <= {{{hcat}}};")
    if expose_state:
        a(f"        h_valid <= 1; h_payload <= {{last, {hcat}}};")
    a(f"        if ({emit}) begin y_valid <= 1; y_payload <= {{last, {ycat}}}; end")
    a("      end")
    a("    end")
    a("  end")
    if bug != "x_on_reset":
        a("  initial begin y_payload = 0; h_payload = 0; y_valid = 0; h_valid = 0; state = 0; end")
    a("endmodule")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{top}.v").write_text("\n".join(L) + "\n")
    streams = {
        "x": {"valid": "x_valid", "ready": "x_ready", "payload": "x_payload", "width": xpw,
              "fields": {"data": {"offset": 0, "width": n_lanes * xw, "lanes": n_lanes, "lane_width": xw,
                                  "signed": cfg.in_signed},
                         "first": {"offset": n_lanes * xw, "width": 1},
                         "last": {"offset": n_lanes * xw + 1, "width": 1}}},
        "y": {"valid": "y_valid", "ready": "y_ready", "payload": "y_payload", "width": ypw,
              "fields": {"data": {"offset": 0, "width": cfg.n_out * yw, "lanes": cfg.n_out, "lane_width": yw,
                                  "signed": True},
                         "last": {"offset": cfg.n_out * yw, "width": 1}}},
    }
    if expose_state:
        streams["h"] = {"valid": "h_valid", "ready": "h_ready", "payload": "h_payload", "width": hpw,
                        "fields": {"data": {"offset": 0, "width": d * sb, "lanes": d, "lane_width": sb,
                                            "signed": True},
                                   "last": {"offset": d * sb, "width": 1}}}
    manifest = {
        "format": "hrnn-rtl/1", "top": top, "verilog": f"{top}.v", "artifact_sha256": None,
        "arch": "standin", "params": {"lanes": d, "pipeline": 0, "bug": bug},
        "clock": "clk", "reset": "rst", "streams": streams, "widths": {"y": yw, "h": sb},
        "cycles_per_step": 1, "latency_cycles": 1,
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=1))
    return path
