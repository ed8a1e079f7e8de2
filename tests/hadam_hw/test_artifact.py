import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hadam_hw.artifact import FORMAT, artifact_bytes, load_artifact, random_model, save_artifact
from hadam_hw.errors import ArtifactError
from hadam_hw.golden import run_golden

from .strategies import random_inputs


@pytest.fixture
def good(tmp_path):
    m = random_model(16, 4, 3, 2, seed=7)
    return m, save_artifact(m, tmp_path / "good.hrnn.npz")


@pytest.mark.parametrize("mode", ["dense", "onehot"])
def test_round_trip_preserves_everything(tmp_path, mode):
    m = random_model(32, 8, 5, 3, input_mode=mode, output="every_step", seed=1)
    path = save_artifact(m, tmp_path / "m.hrnn.npz")
    back = load_artifact(path)
    assert back.config == m.config
    for k in ("sign", "U", "C", "V", "c"):
        np.testing.assert_equal(getattr(back, k), getattr(m, k))
    assert back.scales == m.scales
    assert back.provenance["task"] == "random" and "version" in back.provenance
    x = random_inputs(m, 2, 7, seed=0)
    np.testing.assert_equal(run_golden(back, x).y, run_golden(m, x).y)
    # readable by numpy alone, no pickle
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["format"] == FORMAT and meta["hidden"] == 32
    if mode == "onehot":
        assert meta["vocab"] == 5


def test_bytes_are_deterministic():
    m = random_model(8, 8, 2, 2, seed=3)
    assert artifact_bytes(m) == artifact_bytes(random_model(8, 8, 2, 2, seed=3))


def test_failed_write_keeps_the_old_file(tmp_path, good, monkeypatch):
    m, path = good
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        save_artifact(random_model(8, 8, 1, 1, seed=9), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.hrnn.npz"]  # no temp left behind


def _rewrite(path, out, meta_edit=None, drop=None, **arrays):
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    meta = json.loads(str(data["meta"]))
    if meta_edit:
        meta_edit(meta)
    data["meta"] = np.array(json.dumps(meta))
    data.update(arrays)
    if drop:
        del data[drop]
    buf = io.BytesIO()
    np.savez(buf, **data)
    out.write_bytes(buf.getvalue())
    return out


def _set(key, value):
    def edit(meta):
        meta[key] = value

    return edit


def _del(key):
    def edit(meta):
        del meta[key]

    return edit


BAD = {
    "missing_key": (dict(drop="V"), "field 'V': missing from the archive"),
    "missing_meta_field": (dict(meta_edit=_del("state_bits")), "field 'meta.state_bits': missing"),
    "wrong_dtype": (dict(U=np.zeros((16, 3), dtype=np.int32)), "field 'U': dtype must be int8 or int16, not int32"),
    "wrong_shape": (dict(C=np.zeros(15, dtype=np.int64)), "field 'C': C must have shape (16,), not (15,)"),
    "weights_outside_p_bits": (
        dict(V=np.full((2, 16), 8, dtype=np.int8)),
        "field 'V': V[0, 0] = 8 is outside [-8, 7]",
    ),
    "signs_not_pm1": (dict(sign=np.zeros(16, dtype=np.int8)), "field 'sign': sign[0] = 0: signs must be ±1"),
    "hidden_not_power_of_two": (dict(meta_edit=_set("hidden", 12)), "field 'meta.hidden': hidden must be a power of two, not 12"),
    "block_not_dividing": (
        dict(meta_edit=_set("block", 32)),
        "field 'meta.block': block must be a power of two dividing the hidden size 16, not 32",
    ),
    "unknown_format": (dict(meta_edit=_set("format", "hrnn-int/2")), "field 'meta.format': unknown format version 'hrnn-int/2'"),
    "bad_scale": (dict(meta_edit=_set("s_h", -1.0)), "field 'meta.s_h': s_h must be a positive finite number"),
    "meta_not_json": (dict(meta=np.array("{not json")), "field 'meta': is not valid JSON"),
    "meta_not_object": (dict(meta=np.array("[1, 2]")), "field 'meta': must hold a JSON object"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_artifact_names_the_field(tmp_path, good, case):
    _, path = good
    kwargs, msg = BAD[case]
    kwargs = dict(kwargs)
    meta = kwargs.pop("meta", None)
    bad = _rewrite(path, tmp_path / f"{case}.hrnn.npz", **kwargs)
    if meta is not None:  # replace meta wholesale after the rewrite
        with np.load(bad, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        data["meta"] = meta
        buf = io.BytesIO()
        np.savez(buf, **data)
        bad.write_bytes(buf.getvalue())
    with pytest.raises(ArtifactError) as e:
        load_artifact(bad)
    assert msg in str(e.value)


def test_truncated_and_foreign_files(tmp_path, good):
    _, path = good
    data = path.read_bytes()
    trunc = tmp_path / "trunc.hrnn.npz"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactError, match="field 'file': not an .npz archive"):
        load_artifact(trunc)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ArtifactError, match="field 'file': not an .npz archive"):
        load_artifact(text)
    with pytest.raises(ArtifactError, match="field 'file': no such file"):
        load_artifact(tmp_path / "absent.hrnn.npz")


def test_pickled_object_array_is_refused(tmp_path, good):
    _, path = good
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    data["c"] = np.array([1, "x"], dtype=object)
    bad = tmp_path / "pickled.hrnn.npz"
    buf = io.BytesIO()
    np.savez(buf, **data)
    bad.write_bytes(buf.getvalue())
    with pytest.raises(ArtifactError, match="field 'c': cannot be read without pickle"):
        load_artifact(bad)


@pytest.mark.parametrize("case", ["missing_key", "signs_not_pm1", "unknown_format"])
def test_cli_reports_bad_artifact_in_one_line(tmp_path, good, case):
    _, path = good
    kwargs, msg = BAD[case]
    bad = _rewrite(path, tmp_path / "bad.hrnn.npz", **dict(kwargs))
    r = subprocess.run([sys.executable, "-m", "flow", "info", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and msg in r.stderr
