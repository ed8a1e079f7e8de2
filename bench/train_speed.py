"""Forward+backward time of the training paths of the float HadamRNN, side by side in one run.

The copy task over T = 1000 steps, hidden 128 (HadamRNN, b = 128), batch 128, every-step
read-out and cross-entropy — the paper's copy setting. Each path computes the same loss
and gradients (checked against the step-by-step loop to float tolerance):

- ``parallel``: the whole sequence at once (Schur rotation form + complex cumulative sums,
  hand-written adjoint; :func:`train.scan.parallel_scan`)
- ``fused loop``: one matrix product per step forward and backward in one autograd node
  (:func:`train.scan.fused_loop_scan`)
- ``step loop``: the step-by-step autograd loop (:func:`train.scan.sequential_scan`), the
  QAT path's structure
- ``step loop, v[:, t]``: the same loop slicing the input per step, whose backward writes a
  full-size zero tensor at every step (O(T²) memory traffic) — the usual way to write it,
  and the reference "about 20 s per batch" figure

Usage: ``python bench/train_speed.py [--seq-len 1000] [--hidden 128] [--batch 128] [--repeat 2]
[--skip-naive]``
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from train.config import NetConfig
from train.data.copy_task import copy_batch
from train.model import HadamRNN
from train.scan import fused_loop_scan, parallel_scan, recurrent_step, sequential_scan


def naive_loop(v: torch.Tensor, sign: torch.Tensor, block: int) -> torch.Tensor:
    h = torch.zeros_like(v[:, 0])
    out = []
    for t in range(v.shape[1]):
        h = recurrent_step(h, sign, block) + v[:, t]
        out.append(h)
    return torch.stack(out, dim=1)


def loss_and_grads(model: HadamRNN, scan, x, y):
    model.zero_grad(set_to_none=True)
    t0 = time.perf_counter()
    v = model.input(x, quantize=False) + model.bias
    h = scan(v, model.recurrence.sign(), model.net.block)
    logits = model.readout(h, quantize=False)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    loss.backward()
    dt = time.perf_counter() - t0
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    return dt, loss.item(), grads


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seq-len", type=int, default=1000)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--block", type=int, default=0)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per path (the best is kept)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-naive", action="store_true", help="skip the slow v[:, t] loop")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = NetConfig(hidden=args.hidden, block=args.block or args.hidden, n_in=10, n_out=9,
                    input_kind="onehot", every_step=True)
    model = HadamRNN(net)
    x, y = copy_batch(args.batch, args.seq_len, torch.Generator().manual_seed(1))
    paths = [("parallel", parallel_scan), ("fused loop", fused_loop_scan), ("step loop", sequential_scan)]
    if not args.skip_naive:
        paths.append(("step loop, v[:, t]", naive_loop))
    print(f"copy task T={args.seq_len}, hidden {args.hidden}, block {net.block}, batch {args.batch}, "
          f"{torch.get_num_threads()} threads; forward+backward per batch (best of {args.repeat})")
    results = {}
    for name, scan in paths:
        loss_and_grads(model, scan, x[:2], y[:2])  # warm-up (caches, allocator)
        runs = [loss_and_grads(model, scan, x, y) for _ in range(1 if "v[:, t]" in name else args.repeat)]
        results[name] = min(runs, key=lambda r: r[0])
    _, ref_loss, ref_grads = results["step loop"]
    print(f"{'path':22s} {'seconds':>8s} {'vs step loop':>13s} {'loss':>12s} {'max grad err':>13s}")
    ok = True
    for name, (dt, loss, grads) in results.items():
        err = max(float((grads[k] - ref_grads[k]).abs().max() / ref_grads[k].abs().max().clamp_min(1e-30))
                  for k in ref_grads)
        same = abs(loss - ref_loss) <= 1e-5 * abs(ref_loss) and err <= 1e-3
        ok &= same
        print(f"{name:22s} {dt:8.3f} {results['step loop'][0] / dt:12.1f}x {loss:12.6f} {err:13.2e}"
              f"{'' if same else '  MISMATCH'}")
    par = results["parallel"][0]
    for name in ("step loop, v[:, t]", "step loop", "fused loop"):
        if name in results:
            print(f"parallel path speed-up over {name}: {results[name][0] / par:.1f}x")
    print("loss and gradients agree to float tolerance" if ok else "MISMATCH between paths")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
