"""The integer mode: a ``HadamModel`` (hrnn-int/1) evaluated in torch int64.

Bit for bit the recurrence of SPEC §2 — the tests hold it against
``hadam_hw.golden.run_golden`` — but batched in torch, with the exact integer butterfly,
so that evaluating a whole test set after training is quick. Sequences start at step 0
and all have the same length (``first``/``last`` flags are the golden model's business).
"""

from __future__ import annotations

import torch

from hadam_hw.config import OutputMode
from hadam_hw.model import HadamModel
from hadam_hw.widths import check_int64

from .hadamard import fwht

__all__ = ["IntegerModel"]


class IntegerModel:
    """A loaded ``HadamModel`` ready to run batches of integer inputs in torch."""

    def __init__(self, model: HadamModel) -> None:
        check_int64(model)  # every intermediate is proven to fit int64
        cfg = model.config
        self.model = model
        self.config = cfg
        self.U = torch.from_numpy(model.U.astype("int64"))
        self.V = torch.from_numpy(model.V.astype("int64"))
        self.C = torch.from_numpy(model.C.astype("int64"))
        self.c = torch.from_numpy(model.c.astype("int64"))
        self.a_sign = cfg.A * torch.from_numpy(model.sign.astype("int64"))
        self.every_step = cfg.output is OutputMode.EVERY_STEP

    def run(self, x: torch.Tensor, keep_states: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(y, h)``: ``y`` is ``(batch, T, n_out)`` every step or ``(batch, n_out)`` for the
        last step; ``h`` is ``(batch, T, d)`` (None unless ``keep_states``).

        ``x``: ``(batch, T, n_in)`` integers, or ``(batch, T)`` token ids in onehot mode,
        already inside the configured input range (``hadam_hw.golden.prepare_inputs`` checks).
        """
        cfg = self.config
        x = torch.as_tensor(x).to(torch.int64)
        if self.model.onehot:
            v = self.U.t()[x]
        else:
            v = torch.einsum("btk,dk->btd", x, self.U)  # exact: int64 arithmetic
        drive = cfg.B * v + self.C + ((1 << cfg.frac_bits) >> 1)
        lo, hi = cfg.h_range
        h = torch.zeros_like(drive[:, 0])
        hs = [] if (keep_states or self.every_step) else None
        for d_t in drive.unbind(1):
            z = self.a_sign * fwht(h, cfg.block) + d_t
            h = torch.clamp(torch.bitwise_right_shift(z, cfg.frac_bits), lo, hi)  # floor division
            if hs is not None:
                hs.append(h)
        H = torch.stack(hs, dim=1) if hs is not None else None
        R = H if self.every_step else h
        y = self._readout(R)
        return y, (H if keep_states else None)

    def _readout(self, h: torch.Tensor) -> torch.Tensor:
        relu = torch.clamp(h, min=0)
        return torch.einsum("...d,od->...o", relu, self.V) + self.c

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The read-out ``y`` only (integers; ``s_V·s_h·y`` are the real logits)."""
        return self.run(x, keep_states=False)[0]
