"""The training loop end to end on tiny runs: files, resume = uninterrupted, CLI, API."""

import json
import sys

import numpy as np
import pytest
import torch

from flow.cli import main as cli_main
from hadam_hw.artifact import load_artifact
from hadam_hw.errors import ConfigError, HadamHWError
from train.config import TrainConfig
from train.loop import RUN_FILES, run_training
from train.presets import PRESETS, preset

TINY = dict(hidden=16, batch_size=64, steps_per_epoch=4, float_epochs=2, qat_epochs=1, progress=False,
            threads=1)


def test_tiny_digits_run_writes_everything(tmp_path):
    run = run_training(TrainConfig(task="sdigits", out_dir=str(tmp_path), **TINY))
    for f in RUN_FILES:
        assert (run / f).is_file(), f
    m = json.loads((run / "metrics.json").read_text())
    t = m["final"]["test"]
    assert set(t) == {"float", "weights", "integer"}
    assert t["integer"]["golden_check"] and t["integer"]["samples"] == 359  # 20% of 1,797 digits
    assert [r["phase"] for r in m["history"]] == ["float", "float", "qat"]
    hm = load_artifact(run / "model.hrnn.npz")
    assert hm.provenance["task"] == "sdigits"
    assert hm.provenance["metrics"]["test_accuracy_integer"] == t["integer"]["accuracy"]
    assert (run / "metrics.csv").read_text().splitlines()[0].startswith("epoch,phase,lr")
    assert (run / "curves.png").read_bytes()[:4] == b"\x89PNG"


def _weights(run):
    return torch.load(run / "best.pt", weights_only=False)["model"]


@pytest.mark.parametrize("task", ["sdigits", "copy"])
def test_resume_gives_the_uninterrupted_result(tmp_path, task):
    extra = dict(seq_len=24, n_train=256, n_val=64, n_test=64, init="copy") if task == "copy" else {}
    cfg = TrainConfig(task=task, out_dir=str(tmp_path), **{**TINY, "float_epochs": 2, "qat_epochs": 2}, **extra)
    straight = run_training(cfg.replace(run_name="straight"))
    cut = run_training(cfg.replace(run_name="cut"), stop_after_epochs=3)  # interrupted inside QAT
    assert not (cut / "best.pt").exists()
    resumed = run_training(resume=cut)
    a, b = _weights(straight), _weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    ma = json.loads((straight / "metrics.json").read_text())
    mb = json.loads((resumed / "metrics.json").read_text())
    assert ma["final"] == mb["final"]
    assert [r["val_loss"] for r in ma["history"]] == [r["val_loss"] for r in mb["history"]]


def test_cli_train_and_export(tmp_path, capsys):
    rc = cli_main(["train", "--task", "pdigits", "--hidden", "16", "--batch-size", "64", "--steps-per-epoch", "3",
                   "--float-epochs", "1", "--qat-epochs", "1", "--threads", "1", "--out-dir", str(tmp_path),
                   "--run-name", "cli", "-q"])
    assert rc == 0
    out = tmp_path / "x.hrnn.npz"
    assert cli_main(["export", str(tmp_path / "cli"), "-o", str(out)]) == 0
    a, b = load_artifact(out), load_artifact(tmp_path / "cli" / "model.hrnn.npz")
    for k in ("sign", "U", "C", "V", "c"):
        assert np.array_equal(getattr(a, k), getattr(b, k))
    assert a.config == b.config


def test_cli_errors_are_one_line_exit_2(tmp_path, capsys):
    assert cli_main(["train", "--task", "smnist", "--data-dir", str(tmp_path), "--out-dir", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert "MNIST not found" in err and "train-images-idx3-ubyte" in err and len(err.strip().splitlines()) == 1
    assert cli_main(["export", str(tmp_path / "nope"), "-o", str(tmp_path / "m.npz")]) == 2
    assert cli_main(["train", "--hidden", "16"]) == 2  # nothing to train
    assert cli_main(["train", "--task", "copy", "--hidden", "48", "-q"]) == 2


def test_commands_import_no_torch():
    import subprocess

    code = "import sys, train.commands, train.config, train.presets; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_configs_round_trip_and_validate():
    for name, cfg in PRESETS.items():
        assert TrainConfig.from_json(json.loads(cfg.dumps())) == cfg, name
    assert preset("demo", seed=3).seed == 3
    with pytest.raises(ConfigError, match="Block size must be a power of two dividing the hidden size 64, not 12"):
        TrainConfig(hidden=64, block=12)
    with pytest.raises(ConfigError, match="unknown TrainConfig key"):
        TrainConfig.from_json({"hiden": 3})
    with pytest.raises(ConfigError, match="unknown preset"):
        preset("nope")
    with pytest.raises(HadamHWError, match="unknown task"):
        TrainConfig(task="mnist")


def test_paper_presets_carry_the_paper_hyperparameters():
    p = PRESETS
    assert (p["copy"].hidden, p["copy"].lr, p["copy"].batch_size, p["copy"].seq_len) == (128, 1e-4, 128, 1000)
    for k in ("smnist", "pmnist"):
        assert (p[k].hidden, p[k].lr, p[k].batch_size) == (512, 1e-3, 100)
    assert (p["imdb"].hidden, p["imdb"].embed_dim, p["imdb"].seq_len, p["imdb"].vocab) == (128, 512, 500, 10_000)
    assert (p["sst2"].hidden, p["sst2"].embed_dim) == (128, 256)
    assert (p["qqp"].hidden, p["qqp"].block) == (512, 128)
    assert all(0.98 <= c.lr_gamma <= 0.99 for k, c in p.items() if k in ("copy", "smnist", "pmnist", "imdb", "sst2", "qqp"))


def test_official_presets_carry_the_authors_recipe():
    """deel-ai-papers/hadamRNN config/*_paper.yaml: schedules, and the code's init, sign, clipping, grid."""
    p = PRESETS
    c = p["copy-official"]
    assert (c.seq_len, c.hidden, c.lr, c.lr_gamma, c.batch_size) == (1000, 128, 1e-4, 0.98, 128)
    assert c.float_epochs * c.n_train // c.batch_size == 40_000  # steps
    assert (p["pmnist-official"].hidden, p["pmnist-official"].lr, p["pmnist-official"].batch_size,
            p["pmnist-official"].float_epochs, p["pmnist-official"].permutation.value) == (512, 1e-3, 100, 100, "official")
    assert p["smnist-official"].batch_size == 64
    for k in ("copy-official", "smnist-official", "pmnist-official"):
        o = p[k]
        assert (o.init, o.sign_clamp, o.grad_clip, o.sign_lr) == ("official", False, 0.0, 1.0)
        assert (o.weight_grid.value, o.weight_rounding.value) == ("full", "half_even")


def test_official_options_train_and_export_on_the_full_grid(tmp_path):
    from flow.cli import build_parser
    from train.commands import config_from_args

    args = build_parser().parse_args(["train", "--task", "sdigits", "--init", "official", "--no-sign-clamp",
                                      "--grad-clip", "0", "--weight-grid", "full", "--weight-rounding", "half_even"])
    cfg = config_from_args(args)
    assert (cfg.init, cfg.sign_clamp, cfg.grad_clip, cfg.weight_grid.value) == ("official", False, 0.0, "full")
    run = run_training(cfg.replace(out_dir=str(tmp_path), **{**TINY, "float_epochs": 1}))
    hm = load_artifact(run / "model.hrnn.npz")
    assert hm.provenance["net"]["weight_grid"] == "full"
    assert int(hm.U.min()) >= -8 and int(hm.V.max()) <= 7
    assert int(hm.V.min()) == -8 or int(hm.U.min()) == -8 or int(hm.V.max()) == 7  # the full range is used
    m = json.loads((run / "metrics.json").read_text())
    assert m["final"]["test"]["integer"]["golden_check"]
