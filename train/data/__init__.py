"""Tasks' data: generators and loaders for the standard file layouts (no download at run time).

Every loader returns a :class:`TaskData`: integer-coded splits plus what the network needs
to know about them (input kind and width, input number format, classes, output mode).
Dense inputs are stored as their integer codes and a scale ``s_x`` (the model sees
``code · s_x``; the integer model sees ``code``), so the input quantization is exact by
construction. A missing file raises one :class:`DatasetMissingError` saying which files
to put where.
"""

from .common import DatasetMissingError, GeneratedSplit, Split, TaskData

__all__ = ["DatasetMissingError", "GeneratedSplit", "Split", "TaskData"]
