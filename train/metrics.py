"""Loss and accuracy of a batch, the same way for the float, QAT and integer models."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .data.common import TaskData

__all__ = ["task_loss", "correct_count", "scored_count"]


def task_loss(task: TaskData, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every read-out (every step for the copy task)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1))


def _scored(task: TaskData, pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if task.every_step and task.recall:
        return pred[:, -task.recall :], y[:, -task.recall :]  # copy task: the recalled symbols
    return pred, y


def correct_count(task: TaskData, logits: torch.Tensor, y: torch.Tensor) -> int:
    """How many scored read-outs are right (argmax; for the copy task, the recalled symbols)."""
    p, t = _scored(task, logits.argmax(-1), y)
    return int((p == t).sum())


def scored_count(task: TaskData, y: torch.Tensor) -> int:
    return int(_scored(task, y, y)[1].numel())
