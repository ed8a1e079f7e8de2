"""A tqdm bar over simulated steps, fed by the testbench's progress records."""

from __future__ import annotations

import sys

__all__ = ["StepProgressBar"]


class StepProgressBar:
    """A tqdm bar fed by the testbench's progress records, opened on the first record
    (so it does not interleave with the stage lines printed before the simulation)."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.bar = total, desc, None

    def __call__(self, rec: dict) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="step", desc=self.desc, file=sys.stderr, leave=False,
                            dynamic_ncols=True)
        self.bar.n = min(self.total, int(rec.get("steps_in", 0)))
        self.bar.set_postfix(cycles=rec.get("cycles", 0), refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
