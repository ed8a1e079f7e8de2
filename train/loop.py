"""The training loop: float pre-training, calibration, exact QAT fine-tuning, export.

One run lives in one folder::

    config.json       the TrainConfig (a resumed run reads it back)
    checkpoint.pt     written atomically after every epoch (weights, optimizer, scheduler,
                      RNG states, the best weights so far, the history)
    best.pt           the exported model's weights (what ``hadam-hw export`` reads)
    metrics.json      final float / weights-only / integer figures and the history
    metrics.csv       one row per epoch
    curves.png        loss and accuracy per epoch
    model.hrnn.npz    the hrnn-int/1 artifact

The accuracy reported as final is the integer model's — the exported artifact run in
integers (:class:`train.integer.IntegerModel`, checked against ``run_golden``) — next to
the float model's. The data order depends only on ``(seed, epoch)``, so ``--resume``
continues exactly where an uninterrupted run would be.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch

from hadam_hw.artifact import atomic_write_bytes, save_artifact
from hadam_hw.errors import HadamHWError
from hadam_hw.golden import run_golden

from .build import build_model, build_net
from .config import QuantMode, TrainConfig
from .data.common import GeneratedSplit, Split, TaskData
from .export import export_model
from .integer import IntegerModel
from .metrics import correct_count, scored_count, task_loss
from .model import HadamRNN
from .runfiles import load_run_model, load_torch, save_torch
from .tasks import load_task

__all__ = ["run_training", "load_run_model", "build_net", "build_model", "evaluate", "evaluate_integer",
           "calibrate", "RUN_FILES"]

RUN_FILES = ("config.json", "checkpoint.pt", "best.pt", "metrics.json", "metrics.csv", "curves.png",
             "model.hrnn.npz")
_CALIB_SAMPLES = 1024


# --- inputs -----------------------------------------------------------------------------------
def _model_input(task: TaskData, x: torch.Tensor) -> torch.Tensor:
    return task.model_input(x)


# --- evaluation -------------------------------------------------------------------------------
@torch.no_grad()
def evaluate(model: HadamRNN, task: TaskData, split: Split, mode: QuantMode, batch_size: int = 512,
             max_batches: int = 0) -> dict:
    """Mean loss and accuracy of ``model`` in ``mode`` on ``split``."""
    loss_sum, n_loss, correct, scored = 0.0, 0, 0, 0
    for i, (x, y) in enumerate(split.batches(batch_size)):
        if max_batches and i >= max_batches:
            break
        logits = model(_model_input(task, x), mode=mode)
        loss_sum += float(task_loss(task, logits, y)) * len(x)
        n_loss += len(x)
        correct += correct_count(task, logits, y)
        scored += scored_count(task, y)
    return {"loss": loss_sum / max(n_loss, 1), "accuracy": correct / max(scored, 1), "samples": n_loss}


@torch.no_grad()
def evaluate_integer(model: HadamRNN, task: TaskData, split: Split, batch_size: int = 512,
                     max_batches: int = 0, golden_check: bool = True) -> dict:
    """Loss and accuracy of the exported integer model (what the hardware runs).

    With ``golden_check`` the first batch is also run through ``hadam_hw.golden.run_golden``
    and must agree exactly (an error otherwise).
    """
    hm = export_model(model)
    im = IntegerModel(hm)
    scale = hm.scales["s_V"] * hm.scales["s_h"]
    loss_sum, n, correct, scored = 0.0, 0, 0, 0
    checked = False
    for i, (x, y) in enumerate(split.batches(batch_size)):
        if max_batches and i >= max_batches:
            break
        xi = model.input_codes(_model_input(task, x))  # token ids, or dense codes clamped to in_bits
        y_int = im.logits(xi)
        if golden_check and not checked:
            g = run_golden(hm, xi[:16].numpy())
            gy = g.y if task.every_step else g.y[:, -1]
            if not np.array_equal(gy, y_int[:16].numpy()):
                raise HadamHWError("integer mode and run_golden disagree: this is a bug, please report it")
            checked = True
        logits = y_int.to(torch.float64) * scale
        loss_sum += float(task_loss(task, logits, y)) * len(x)
        n += len(x)
        correct += correct_count(task, y_int, y)
        scored += scored_count(task, y)
    return {"loss": loss_sum / max(n, 1), "accuracy": correct / max(scored, 1), "samples": n,
            "golden_check": checked}


def _calibration_batches(task: TaskData, batch_size: int):
    n = _CALIB_SAMPLES
    if isinstance(task.train, GeneratedSplit):
        for i in range(math.ceil(n / batch_size)):
            yield task.train.draw(batch_size, 1 << 30, i)[0]  # apart from every training epoch
    else:
        for x, _ in task.train.subset(min(n, len(task.train))).batches(batch_size):
            yield x


@torch.no_grad()
def calibrate(model: HadamRNN, task: TaskData, cfg: TrainConfig) -> dict:
    """Set the state scale from the largest ``|h|`` on training samples (weights quantized)."""
    m = 0.0
    for x in _calibration_batches(task, cfg.batch_size):
        h = model.states(_model_input(task, x), quantize_weights=True)
        m = max(m, float(h.abs().max()))
    p = model.calibrate_state(m, cfg.state_margin)
    return {"max_abs_h": m, **p.__dict__}


# --- checkpoints ------------------------------------------------------------------------------
def _rng_state() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def _set_rng_state(s: dict) -> None:
    torch.set_rng_state(s["torch"])
    np.random.set_state(s["numpy"])
    random.setstate(s["python"])


def _state_copy(model: HadamRNN) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# --- the loop ---------------------------------------------------------------------------------
def _optimizer(model: HadamRNN, cfg: TrainConfig, lr: float):
    latent = model.recurrence.latent
    rest = [p for p in model.parameters() if p is not latent]
    groups = [{"params": rest}]
    if cfg.sign_lr:
        groups.append({"params": [latent], "lr": lr * cfg.sign_lr})
    else:
        latent.requires_grad_(False)  # W frozen
    opt = torch.optim.Adam(groups, lr=lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=cfg.lr_gamma)
    return opt, sched


def _epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    s = np.random.SeedSequence([seed, epoch]).generate_state(2, dtype=np.uint32)
    return torch.randperm(n, generator=torch.Generator().manual_seed(int(s[0]) << 32 | int(s[1])))


def _steps(task: TaskData, cfg: TrainConfig, epoch: int) -> int:
    if epoch >= cfg.float_epochs and cfg.qat_steps:
        return cfg.qat_steps
    return cfg.steps_per_epoch or task.steps_per_epoch(cfg.batch_size)


def _train_batches(task: TaskData, cfg: TrainConfig, epoch: int):
    bs = cfg.batch_size
    steps = _steps(task, cfg, epoch)
    if isinstance(task.train, GeneratedSplit):
        for s in range(steps):
            yield task.train.draw(bs, epoch, s)
        return
    n = len(task.train)
    order = _epoch_order(n, cfg.seed, epoch)
    k = 0
    for s in range(steps):
        if k + bs > n and k > 0:  # a new pass when steps_per_epoch exceeds the split
            order, k = _epoch_order(n, cfg.seed, epoch * 1000 + s), 0
        yield task.train.batch(order[k : k + bs])
        k += bs


def _key(metrics: dict) -> tuple[float, float]:
    return (metrics["accuracy"], -metrics["loss"])


def _new_run_dir(cfg: TrainConfig) -> Path:
    base = Path(cfg.out_dir) / (cfg.run_name or cfg.tag)
    path, k = base, 2
    while path.exists() and any(path.iterdir()):
        path, k = base.with_name(f"{base.name}-{k}"), k + 1
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_training(cfg: TrainConfig | None = None, *, resume: str | Path | None = None,
                 run_dir: str | Path | None = None, stop_after_epochs: int | None = None) -> Path:
    """Train (or resume) one run; returns its folder. ``stop_after_epochs`` stops early as an
    interruption would (the tests resume from there)."""
    if resume is not None:
        run_dir = Path(resume)
        cfg_path = run_dir / "config.json"
        if not cfg_path.is_file():
            raise HadamHWError(f"cannot resume: {cfg_path} does not exist")
        cfg = TrainConfig.load(cfg_path)
    elif cfg is None:
        raise HadamHWError("run_training needs a TrainConfig or a run folder to resume")
    torch.set_num_threads(cfg.threads)
    task = load_task(cfg)

    ckpt = None
    if resume is not None and (run_dir / "checkpoint.pt").is_file():
        ckpt = load_torch(run_dir / "checkpoint.pt")
    if run_dir is None:
        run_dir = _new_run_dir(cfg)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(run_dir / "config.json", (cfg.dumps() + "\n").encode())

    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed % (1 << 32))
    random.seed(cfg.seed)
    model = build_model(cfg, task)
    total = cfg.float_epochs + cfg.qat_epochs
    qat_lr = cfg.qat_lr or cfg.lr / 10
    opt, sched = _optimizer(model, cfg, cfg.lr if cfg.float_epochs else qat_lr)
    start, history, best, calib, elapsed = 0, [], None, None, 0.0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        start, history, best, calib, elapsed = (ckpt["epoch"], ckpt["history"], ckpt["best"],
                                                ckpt["calibration"], ckpt["elapsed"])
        if start > cfg.float_epochs:  # inside QAT (at its start the loop builds the optimizer anew)
            opt, sched = _optimizer(model, cfg, qat_lr)
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        _set_rng_state(ckpt["rng"])

    from tqdm.auto import tqdm

    float_mode = QuantMode.WEIGHTS if cfg.qat_weights else QuantMode.FLOAT
    for epoch in range(start, total):
        if stop_after_epochs is not None and epoch >= stop_after_epochs:
            return run_dir
        t0 = time.perf_counter()
        qat = epoch >= cfg.float_epochs
        if qat and epoch == cfg.float_epochs:  # entering QAT: best float weights, calibrate, new optimizer
            if best is not None:
                model.load_state_dict(best["state"])
            calib = calibrate(model, task, cfg)
            opt, sched = _optimizer(model, cfg, qat_lr)
            best = None
        mode = QuantMode.FULL if qat else float_mode
        model.train()
        loss_sum, correct, scored, steps = 0.0, 0, 0, 0
        n_steps = _steps(task, cfg, epoch)
        # disable=None: bars on a terminal only; logs get the one line per epoch below
        bar = tqdm(_train_batches(task, cfg, epoch), total=n_steps, disable=None if cfg.progress else True,
                   desc=f"epoch {epoch + 1}/{total} {'qat' if qat else 'float'}", leave=False, unit="batch",
                   mininterval=2.0)
        for x, y in bar:
            logits = model(_model_input(task, x), mode=mode, scan=cfg.scan)
            loss = task_loss(task, logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            if cfg.sign_clamp:
                model.recurrence.clamp_latent_()
            loss_sum += loss.item()
            correct += correct_count(task, logits.detach(), y)
            scored += scored_count(task, y)
            steps += 1
            if steps % 10 == 0:
                bar.set_postfix(loss=f"{loss_sum / steps:.4f}", acc=f"{correct / max(scored, 1):.3f}")
        bar.close()
        lr_used = opt.param_groups[0]["lr"]
        sched.step()
        model.eval()
        if qat:
            val = evaluate_integer(model, task, task.val, max_batches=cfg.eval_batches, golden_check=False)
        else:
            val = evaluate(model, task, task.val, float_mode, max_batches=cfg.eval_batches)
        row = {"epoch": epoch + 1, "phase": "qat" if qat else "float", "lr": lr_used,
               "train_loss": loss_sum / max(steps, 1), "train_accuracy": correct / max(scored, 1),
               "val_loss": val["loss"], "val_accuracy": val["accuracy"],
               "seconds": time.perf_counter() - t0}
        history.append(row)
        elapsed += row["seconds"]
        if best is None or _key(val) > tuple(best["key"]):
            best = {"state": _state_copy(model), "key": list(_key(val)), "epoch": epoch + 1}
        if cfg.progress:
            tqdm.write(f"epoch {epoch + 1:3d}/{total} {row['phase']:5s} train loss {row['train_loss']:.4f} "
                       f"acc {row['train_accuracy']:.4f} | val loss {val['loss']:.4f} acc {val['accuracy']:.4f}"
                       f"{' (integer)' if qat else ''} | {row['seconds']:.1f}s")
        save_torch({"config": cfg.to_json(), "net": model.net.to_json(), "epoch": epoch + 1,
                     "model": model.state_dict(),
                     "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "best": best,
                     "history": history, "calibration": calib, "elapsed": elapsed, "rng": _rng_state()},
                    run_dir / "checkpoint.pt")

    # --- the end: best weights, calibration if QAT never ran, final figures, artifact ---------
    if best is not None:
        model.load_state_dict(best["state"])
    if not cfg.qat_epochs:
        calib = calibrate(model, task, cfg)
    model.eval()
    final = _final_metrics(model, task, cfg)
    plan = model.plan()
    metrics = {
        "task": task.name, "tag": cfg.tag, "net": model.net.to_json(), "seq_len": task.seq_len,
        "baseline_loss": task.baseline_loss, "best_epoch": best["epoch"] if best else None,
        "final": final, "calibration": calib, "integer_plan": plan.__dict__,
        "train_seconds": elapsed, "history": history, "config": cfg.to_json(),
    }
    atomic_write_bytes(run_dir / "metrics.json", (json.dumps(metrics, indent=2) + "\n").encode())
    _write_csv(history, run_dir / "metrics.csv")
    _plot(history, run_dir / "curves.png", task)
    save_torch({"config": cfg.to_json(), "net": model.net.to_json(), "model": model.state_dict()},
                run_dir / "best.pt")
    save_artifact(export_model(model, _provenance(cfg, task, final, run_dir)), run_dir / "model.hrnn.npz")
    if cfg.progress:
        t, v = final["test"], final["val"]
        print(f"[{run_dir}] test accuracy: integer {t['integer']['accuracy']:.4f}, float {t['float']['accuracy']:.4f} "
              f"(val: integer {v['integer']['accuracy']:.4f}); wrote {run_dir / 'model.hrnn.npz'}")
    return run_dir


def _final_metrics(model: HadamRNN, task: TaskData, cfg: TrainConfig) -> dict:
    out = {}
    for name, split in (("val", task.val), ("test", task.test)):
        out[name] = {
            "float": evaluate(model, task, split, QuantMode.FLOAT),
            "weights": evaluate(model, task, split, QuantMode.WEIGHTS),
            "integer": evaluate_integer(model, task, split, golden_check=True),
        }
    return out


def _provenance(cfg: TrainConfig, task: TaskData, final: dict, run_dir: Path) -> dict:
    t = final["test"]
    return {
        "task": task.name, "run": run_dir.name, "config": cfg.to_json(),
        "metrics": {"test_accuracy_integer": t["integer"]["accuracy"], "test_accuracy_float": t["float"]["accuracy"],
                    "test_loss_integer": t["integer"]["loss"], "test_loss_float": t["float"]["loss"],
                    "test_samples": t["integer"]["samples"], "baseline_loss": task.baseline_loss},
    }


def _write_csv(history: list[dict], path: Path) -> None:
    buf = io.StringIO()
    if history:
        w = csv.DictWriter(buf, fieldnames=list(history[0]))
        w.writeheader()
        w.writerows(history)
    atomic_write_bytes(path, buf.getvalue().encode())


def _plot(history: list[dict], path: Path, task: TaskData) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [r["epoch"] for r in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(ep, [r["train_loss"] for r in history], label="train")
    a1.plot(ep, [r["val_loss"] for r in history], label="validation")
    if task.baseline_loss:
        a1.axhline(task.baseline_loss, color="gray", ls=":", label="memoryless baseline")
    a1.set_yscale("log")
    a1.set_xlabel("epoch")
    a1.set_ylabel("cross-entropy")
    a2.plot(ep, [r["train_accuracy"] for r in history], label="train")
    a2.plot(ep, [r["val_accuracy"] for r in history], label="validation (integer in QAT)")
    a2.set_xlabel("epoch")
    a2.set_ylabel("accuracy" + (" (recalled symbols)" if task.recall else ""))
    qat = [r["epoch"] for r in history if r["phase"] == "qat"]
    for a in (a1, a2):
        if qat:
            a.axvspan(min(qat) - 0.5, max(qat) + 0.5, color="orange", alpha=0.15, label="QAT")
        a.legend()
        a.grid(alpha=0.3)
    fig.suptitle(f"{task.name}: training curves")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
