"""Named training recipes: the paper's hyper-parameters, and small ones that run here.

The paper's recipes (Foucault et al., ICLR 2025, and the authors' configuration files):
Adam, StepLR decaying the rate once per epoch, 4-bit ``U`` and ``V``. The small presets are
what was actually run on a 2-core CPU (see docs/training.md for their figures).
"""

from __future__ import annotations

from hadam_hw.errors import ConfigError

from .config import TrainConfig

__all__ = ["PRESETS", "preset"]

PRESETS: dict[str, TrainConfig] = {
    # --- the paper's recipes (GPU-sized: hours on a CPU) -------------------------------------
    "copy": TrainConfig(task="copy", seq_len=1000, n_train=512_000, hidden=128, batch_size=128, lr=1e-4,
                        lr_gamma=0.98, float_epochs=10, qat_epochs=1, init="copy", sign_lr=0.0),
    "smnist": TrainConfig(task="smnist", hidden=512, batch_size=100, lr=1e-3, lr_gamma=0.98,
                          float_epochs=100, qat_epochs=2),
    "pmnist": TrainConfig(task="pmnist", hidden=512, batch_size=100, lr=1e-3, lr_gamma=0.98,
                          float_epochs=100, qat_epochs=2),
    "imdb": TrainConfig(task="imdb", seq_len=500, vocab=10_000, hidden=128, embed_dim=512, batch_size=100,
                        lr=5e-4, lr_gamma=0.99, float_epochs=30, qat_epochs=1),
    "sst2": TrainConfig(task="sst2", vocab=10_000, hidden=128, embed_dim=256, batch_size=100, lr=5e-4,
                        lr_gamma=0.99, float_epochs=30, qat_epochs=1),
    "qqp": TrainConfig(task="qqp", vocab=10_000, hidden=512, block=128, embed_dim=256, batch_size=20,
                       lr=5e-4, lr_gamma=0.99, float_epochs=50, qat_epochs=1),
    "har": TrainConfig(task="har", hidden=128, batch_size=64, lr=1e-3, lr_gamma=0.98, float_epochs=100,
                       qat_epochs=2),
    "har2": TrainConfig(task="har2", hidden=128, batch_size=64, lr=1e-3, lr_gamma=0.98, float_epochs=100,
                        qat_epochs=2),
    # --- small recipes that finish on a 2-core CPU --------------------------------------------
    "copy200": TrainConfig(task="copy", seq_len=200, n_train=32_000, hidden=64, batch_size=64, lr=1e-3,
                           lr_gamma=0.85, float_epochs=12, qat_epochs=1, qat_lr=1e-4, init="copy", sign_lr=0.0,
                           state_bits=14, steps_per_epoch=500, qat_steps=150),
    # the same with 8-bit U and V: the analytic start survives quantization almost intact
    "copy200-w8": TrainConfig(task="copy", seq_len=200, n_train=32_000, hidden=64, batch_size=64, lr=3e-4,
                              lr_gamma=0.85, float_epochs=2, qat_epochs=1, qat_lr=1e-4, init="copy", sign_lr=0.0,
                              state_bits=14, weight_bits=8, steps_per_epoch=500, qat_steps=150),
    "sdigits": TrainConfig(task="sdigits", hidden=64, batch_size=32, lr=2e-3, lr_gamma=0.97,
                           float_epochs=40, qat_epochs=2),
    "pdigits": TrainConfig(task="pdigits", hidden=64, batch_size=32, lr=2e-3, lr_gamma=0.97,
                           float_epochs=40, qat_epochs=2),
    # the demo: sequential digits in about a minute
    "demo": TrainConfig(task="sdigits", hidden=64, batch_size=32, lr=2e-3, lr_gamma=0.95,
                        float_epochs=12, qat_epochs=1),
}


def preset(name: str, **overrides) -> TrainConfig:
    """The preset ``name`` with some fields replaced (validated again)."""
    try:
        cfg = PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}", field="preset") from None
    return cfg.replace(**overrides) if overrides else cfg
