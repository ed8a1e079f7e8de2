"""hadam-hw: the shared kernel (configs, Hadamard math, golden model, artifact, estimates, CLI).

numpy only: nothing here imports torch or amaranth.
"""

__version__ = "0.1.0"

from .artifact import FORMAT, load_artifact, random_model, save_artifact  # noqa: E402
from .config import Arch, HardwareConfig, InputMode, ModelConfig, OutputMode  # noqa: E402
from .errors import ArtifactError, ConfigError, HadamHWError, WidthError  # noqa: E402
from .golden import GoldenResult, run_golden  # noqa: E402
from .model import HadamModel  # noqa: E402

__all__ = [
    "__version__", "FORMAT", "load_artifact", "save_artifact", "random_model", "Arch",
    "HardwareConfig", "InputMode", "ModelConfig", "OutputMode", "ArtifactError", "ConfigError",
    "HadamHWError", "WidthError", "GoldenResult", "run_golden", "HadamModel",
]
