"""Latency formulas of pipelined sums, shared by the schedule and every datapath.

Plain integers in, cycles out: the architecture registry (:mod:`hadam_hw.archs`) builds each
datapath's latency from these, the schedule (:mod:`hadam_hw.schedule`) places the events of a
step with them, and the Amaranth components assert that they register exactly this much.
"""

from __future__ import annotations

__all__ = [
    "ceil_log2",
    "pipeline_registers",
    "registered_tree_latency",
    "TABLE_READ_LATENCY",
    "STATE_READ_LATENCY",
]

# registered design: a table (weights, constants) is read in two registered stages kept in logic
# (16-word sub-tables, then the sub-table chosen): an inferred block RAM has no output register
# and its clock-to-out alone caps ECP5 near 149 MHz. A state memory (distributed RAM) is read
# through its read register and a second register that zeroes it for `first`
TABLE_READ_LATENCY = 2
STATE_READ_LATENCY = 2


def ceil_log2(n: int) -> int:
    """Smallest ``k`` with ``2^k >= n`` (0 for ``n <= 1``)."""
    return max(0, (int(n) - 1).bit_length())


def pipeline_registers(levels: int, pipeline: int) -> int:
    """Registers in a chain of ``levels`` adder levels with one after every ``pipeline`` levels."""
    return 0 if pipeline == 0 else levels // pipeline


def registered_tree_latency(leaves: int, pipeline: int) -> int:
    """Registers of a registered sum of ``leaves`` operands: one after every ``pipeline``
    levels of its balanced binary tree and one at its root (0 for a single operand)."""
    levels = ceil_log2(leaves) if leaves > 1 else 0
    return 0 if levels == 0 else -(-levels // pipeline)
