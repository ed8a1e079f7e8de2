"""Execution backends: where the jobs of a sweep run, behind one interface.

A :class:`Job` is a picklable callable (a module-level function), its arguments and the
resources it needs (:class:`Resources`: CPUs, GPUs). A backend takes jobs with
:meth:`Backend.submit` and hands back a :class:`JobResult` for each, in completion order,
from :meth:`Backend.as_completed` (jobs may be submitted while iterating: a training that
finishes can release the syntheses that need its model). A job that raises does not stop
the others: its result carries the error as one line and the traceback as its log.

A job may return :class:`JobOutput` (a value and files as bytes); the backend writes those
files on the driver, atomically, under the job's ``files_to`` folder, before it yields the
result. So a job on a Ray worker of another machine still fills the driver's result folder
and caches, and an interrupted run never leaves half a file behind.

- ``local`` (:class:`LocalBackend`): threads (jobs that spend their time in subprocesses,
  such as Yosys) or processes (jobs that hold the interpreter, such as training), at most
  ``cpus`` CPUs busy at a time, as each job declares them.
- ``ray`` (:class:`RayBackend`): each job a ``ray.remote`` task with ``num_cpus`` and
  ``num_gpus``; ``address`` joins a running cluster (``auto`` or ``HOST:PORT``), otherwise a
  local instance is started with ``ray.init(num_cpus=...)``. Ray is imported only here,
  when this backend is made (``pip install hadam-hw[ray]``).
"""

from __future__ import annotations

import os
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hadam_hw.artifact import atomic_write_bytes
from hadam_hw.errors import HadamHWError

from .points import cpu_count

__all__ = ["Resources", "Job", "JobOutput", "JobResult", "Backend", "LocalBackend", "RayBackend", "BACKENDS",
           "make_backend", "run_jobs", "error_line"]


@dataclass(frozen=True)
class Resources:
    """What one job needs while it runs."""

    cpus: float = 1.0
    gpus: float = 0.0

    def __post_init__(self) -> None:
        if not self.cpus > 0 or self.gpus < 0:
            raise HadamHWError(f"a job needs more than 0 CPUs and at least 0 GPUs, not {self.cpus} and {self.gpus}")


@dataclass
class Job:
    """``fn(*args, **kwargs)`` somewhere; ``key`` names it in results, logs and errors."""

    key: str
    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    resources: Resources = Resources()
    files_to: str | os.PathLike | None = None  # where the driver writes the job's JobOutput files


@dataclass
class JobOutput:
    """What a job returns when it also produces files: ``{relative path: bytes}``, written in order."""

    value: Any
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class JobResult:
    key: str
    value: Any = None
    error: str | None = None  # one line; None when the job succeeded
    log: str = ""  # the traceback of a failure
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)  # the paths written on the driver

    @property
    def ok(self) -> bool:
        return self.error is None


def error_line(e: BaseException) -> str:
    """One line naming a failure: the message of a :class:`HadamHWError`, else type and message."""
    text = str(e).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(e, HadamHWError):
        return first or type(e).__name__
    return f"{type(e).__name__}: {first}" if first else type(e).__name__


def _call(fn: Callable, args: tuple, kwargs: dict) -> tuple[Any, str | None, str, float]:
    """Run one job where it lands (thread, process or Ray worker): never raises."""
    t0 = time.perf_counter()
    try:
        return fn(*args, **kwargs), None, "", time.perf_counter() - t0
    except Exception as e:  # noqa: BLE001 - a job's failure is data for the driver
        return None, error_line(e), traceback.format_exc(), time.perf_counter() - t0


def _finish(job: Job, out: tuple[Any, str | None, str, float]) -> JobResult:
    """On the driver: the result of ``job``, its files written atomically under ``files_to``."""
    value, err, log, seconds = out
    res = JobResult(job.key, None, err, log, seconds)
    if err is not None:
        return res
    if isinstance(value, JobOutput):
        if value.files and job.files_to is None:
            res.error = "the job returned files but names no folder for them"
            return res
        root = Path(job.files_to) if job.files_to is not None else None
        for rel, data in value.files.items():
            path = root / rel
            if root.resolve() not in path.resolve().parents:
                res.error = f"the job returned a file outside its folder: {rel}"
                return res
            atomic_write_bytes(path, data)
            res.files.append(str(path))
        value = value.value
    res.value = value
    return res


class Backend:
    """Where jobs run. Use as a context manager, or call :meth:`close`."""

    name = "backend"

    def submit(self, job: Job) -> None:
        raise NotImplementedError

    def as_completed(self) -> Iterator[JobResult]:
        """Results as jobs finish, until no submitted job is left (including ones submitted meanwhile)."""
        raise NotImplementedError

    @property
    def running(self) -> int:
        """Jobs started and not yet finished."""
        raise NotImplementedError

    @property
    def capacity(self) -> float:
        """CPUs this backend can keep busy."""
        raise NotImplementedError

    def cancel(self) -> None:
        """Drop the jobs not yet started and stop waiting for the others (Ctrl-C, too many failures)."""

    def close(self) -> None:
        self.cancel()

    def describe(self) -> str:
        return self.name

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalBackend(Backend):
    """This machine: ``threads`` or ``processes``, at most ``cpus`` CPUs of declared needs busy.

    A job that declares more CPUs than the machine has runs alone. Processes start with
    ``spawn`` (no fork of a driver holding threads) and are kept for later jobs.
    """

    name = "local"

    def __init__(self, cpus: int | None = None, *, mode: str = "threads") -> None:
        if mode not in ("threads", "processes"):
            raise HadamHWError(f"local backend mode must be threads or processes, not {mode!r}")
        self.mode = mode
        self._cpus = max(1, cpus or cpu_count())
        self._queue: deque[Job] = deque()
        self._futures: dict = {}  # future -> (job, cpus held)
        self._busy = 0.0
        self._pool = None

    @property
    def capacity(self) -> float:
        return self._cpus

    @property
    def running(self) -> int:
        return len(self._futures)

    def describe(self) -> str:
        return f"local ({self._cpus} CPUs, {self.mode})"

    def _executor(self):
        if self._pool is None:
            if self.mode == "threads":
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(max_workers=self._cpus)
            else:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                self._pool = ProcessPoolExecutor(max_workers=self._cpus,
                                                 mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def submit(self, job: Job) -> None:
        self._queue.append(job)
        self._start()

    def _start(self) -> None:
        while self._queue:
            job = self._queue[0]
            need = min(job.resources.cpus, self._cpus)
            if self._futures and self._busy + need > self._cpus:
                return
            self._queue.popleft()
            fut = self._executor().submit(_call, job.fn, job.args, job.kwargs)
            self._futures[fut] = (job, need)
            self._busy += need

    def as_completed(self) -> Iterator[JobResult]:
        from concurrent.futures import FIRST_COMPLETED, wait

        while self._futures or self._queue:
            self._start()
            done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            for fut in done:
                job, need = self._futures.pop(fut)
                self._busy -= need
                try:
                    out = fut.result()
                except Exception as e:  # noqa: BLE001 - the worker process died, or the job could not be pickled
                    out = (None, error_line(e), traceback.format_exc(), 0.0)
                self._start()
                yield _finish(job, out)

    def cancel(self) -> None:
        self._queue.clear()
        for fut in list(self._futures):
            fut.cancel()

    def close(self) -> None:
        self.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=not self._futures, cancel_futures=True)
            self._pool = None
        self._futures.clear()
        self._busy = 0.0


class RayBackend(Backend):
    """Ray: each job a task with ``num_cpus``/``num_gpus``; the driver collects results and files.

    Jobs are handed to Ray while the declared CPUs fit the cluster's (read again after each
    result: nodes join and leave), so the jobs Ray holds are the ones running and a cancel
    has little to drop; a job that needs more GPUs than the cluster has fails at once
    instead of waiting forever.

    ``address``: ``"auto"`` or ``"HOST:PORT"`` joins a running cluster; ``None`` starts a
    local instance with ``cpus`` CPUs, unless Ray is already initialized in this process
    (a test, a notebook), which is then used as it is. Only an instance this backend
    started is shut down by :meth:`close`.
    """

    name = "ray"

    def __init__(self, address: str | None = None, cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise HadamHWError("the ray backend needs Ray: pip install 'hadam-hw[ray]'") from None
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kw: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False}
            try:
                if address:
                    ray.init(address=address, **kw)
                else:
                    ray.init(num_cpus=cpus or cpu_count(), **kw)
            except (ConnectionError, RuntimeError, ValueError) as e:
                where = f"the Ray cluster at {address}" if address else "a local Ray instance"
                raise HadamHWError(f"cannot start or join {where}: {error_line(e)}") from None
            self._started = True
        self._remote = ray.remote(_call)
        self._refs: dict = {}  # ObjectRef -> (job, CPUs held)
        self._queue: deque[Job] = deque()  # held here, not in Ray's queue: "running" means running
        self._busy = 0.0
        self._resources = ray.cluster_resources()

    @property
    def capacity(self) -> float:
        return float(self._resources.get("CPU", 1))

    @property
    def running(self) -> int:
        return len(self._refs)

    def describe(self) -> str:
        res = self._ray.cluster_resources()
        nodes = sum(1 for n in self._ray.nodes() if n.get("Alive"))
        gpus = f", {res['GPU']:g} GPUs" if res.get("GPU") else ""
        return f"ray ({nodes} node{'s' if nodes != 1 else ''}, {res.get('CPU', 0):g} CPUs{gpus})"

    def submit(self, job: Job) -> None:
        self._queue.append(job)

    def _start(self) -> list[JobResult]:
        """Hand queued jobs to Ray while the cluster's CPUs allow; jobs it can never place fail here."""
        refused = []
        while self._queue:
            job = self._queue[0]
            if job.resources.gpus > self._resources.get("GPU", 0):
                self._queue.popleft()
                refused.append(_finish(job, (None, f"the job needs {job.resources.gpus:g} GPUs; the Ray cluster "
                                                   f"has {self._resources.get('GPU', 0):g}", "", 0.0)))
                continue
            need = min(job.resources.cpus, self.capacity)
            if self._refs and self._busy + need > self.capacity:
                break
            self._queue.popleft()
            task = self._remote.options(num_cpus=job.resources.cpus, num_gpus=job.resources.gpus, max_retries=0)
            self._refs[task.remote(job.fn, job.args, job.kwargs)] = (job, need)
            self._busy += need
        return refused

    def as_completed(self) -> Iterator[JobResult]:
        ray = self._ray
        while self._refs or self._queue:
            yield from self._start()
            if not self._refs:
                continue
            done, _ = ray.wait(list(self._refs), num_returns=1)
            for ref in done:
                job, need = self._refs.pop(ref)
                self._busy -= need
                try:
                    out = ray.get(ref)
                except Exception as e:  # noqa: BLE001 - a lost worker or node: that job fails, not the sweep
                    out = (None, error_line(e), traceback.format_exc(), 0.0)
                self._resources = ray.cluster_resources()  # nodes may have joined or left
                yield _finish(job, out)

    def cancel(self) -> None:
        self._queue.clear()
        for ref in list(self._refs):
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - already finished
                pass
        self._refs.clear()
        self._busy = 0.0

    def close(self) -> None:
        self.cancel()
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
            self._started = False


BACKENDS: dict[str, type[Backend]] = {"local": LocalBackend, "ray": RayBackend}


def make_backend(name: str = "local", *, cpus: int | None = None, address: str | None = None,
                 mode: str = "threads") -> Backend:
    """The backend ``name`` (``local`` or ``ray``); ``address`` only for ``ray``."""
    if name not in BACKENDS:
        raise HadamHWError(f"backend must be one of {', '.join(BACKENDS)}, not {name!r}")
    if name == "local":
        if address:
            raise HadamHWError("--address needs --backend ray")
        return LocalBackend(cpus, mode=mode)
    return RayBackend(address, cpus)


def run_jobs(backend: Backend, jobs: Sequence[Job] | Iterable[Job],
             progress: Callable[[JobResult], None] | None = None) -> list[JobResult]:
    """Submit ``jobs``, wait for all; results in the order of ``jobs``. ``progress(result)`` after each."""
    jobs = list(jobs)
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        raise HadamHWError("job keys must be unique")
    for j in jobs:
        backend.submit(j)
    by_key: dict[str, JobResult] = {}
    for r in backend.as_completed():
        by_key[r.key] = r
        if progress:
            progress(r)
    return [by_key[k] for k in keys]
