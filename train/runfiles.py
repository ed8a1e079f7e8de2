"""Reading and writing a run folder's torch files, and the model a run folder holds.

Imported by the loop (which writes runs) and by the exporter (which reads them); it imports
neither, so the modules depend one way: ``loop → export → runfiles → build``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch

from hadam_hw.artifact import atomic_write_bytes
from hadam_hw.errors import HadamHWError

from .build import build_net
from .config import NetConfig, TrainConfig
from .model import HadamRNN
from .tasks import load_task

__all__ = ["save_torch", "load_torch", "load_run_model"]


def save_torch(obj, path: Path) -> None:
    """``torch.save`` written atomically (an interrupted write leaves the old file)."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_torch(path: Path):
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except FileNotFoundError:
        raise HadamHWError(f"{path} does not exist") from None
    except Exception as e:  # a truncated or foreign file
        raise HadamHWError(f"{path} is not a readable checkpoint ({type(e).__name__}: {e})") from None


def load_run_model(run_dir: str | Path) -> tuple[HadamRNN, dict]:
    """The exported model of a run (its ``best.pt``, else the last checkpoint) and its provenance."""
    run_dir = Path(run_dir)
    path = run_dir / "best.pt"
    if not path.is_file():
        path = run_dir / "checkpoint.pt"
    if not path.is_file():
        raise HadamHWError(f"{run_dir} holds no best.pt or checkpoint.pt: is it a training run folder?")
    obj = load_torch(path)
    cfg = TrainConfig.from_json(obj["config"])
    net = NetConfig.from_json(obj["net"]) if "net" in obj else None
    if net is None:
        net = build_net(cfg, load_task(cfg))
    model = HadamRNN(net)
    model.load_state_dict(obj["model"])
    if not model.state_quant.calibrated:
        raise HadamHWError(f"{path} holds a model whose state scale is not calibrated yet: "
                           "let the run reach its QAT phase or finish it with --resume")
    prov = {"task": cfg.task, "run": run_dir.name, "config": cfg.to_json()}
    mpath = run_dir / "metrics.json"
    if mpath.is_file():
        try:
            prov["metrics"] = json.loads(mpath.read_text())["final"]["test"]
        except (json.JSONDecodeError, KeyError):
            pass
    return model, prov
