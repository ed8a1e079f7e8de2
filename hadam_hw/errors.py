"""The one error family of hadam-hw.

Every problem a user can cause (a bad size, a bad file, a bad flag) raises a subclass of
:class:`HadamHWError` carrying one sentence that names the problem; the CLI prints that
sentence and exits with status 2, never a traceback.
"""

from __future__ import annotations

__all__ = ["HadamHWError", "ConfigError", "ArtifactError", "WidthError"]


class HadamHWError(ValueError):
    """A user-facing error: its message is one sentence naming the problem."""


class ConfigError(HadamHWError):
    """A model or hardware configuration is invalid; ``field`` names the culprit when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ArtifactError(HadamHWError):
    """A model artifact (``*.hrnn.npz``) is missing, malformed or inconsistent."""

    def __init__(self, field: str, problem: str, path: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}field '{field}': {problem}")


class WidthError(HadamHWError):
    """An exact intermediate would not fit the integer type that must hold it."""
