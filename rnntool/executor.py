"""Where independent work runs: one Dask client helper shared by every parallel path.

Dask is the only scheduler (the optional ``dask`` extra; ``cluster`` adds dask-jobqueue).
Three places a client can come from:

- a local cluster of ``workers`` single-threaded processes (the default; two one-thread
  processes outrun one two-thread process for independent jobs on this kind of machine);
- a running scheduler at ``scheduler`` (``tcp://host:8786``), e.g. started by hand;
- a batch system (``cluster`` = slurm, pbs or sge) through dask-jobqueue, scaled to
  ``jobs`` batch jobs, with ``cluster_options`` passed to its cluster class unchanged.

:func:`run_jobs` runs a graph of named jobs on a client with one progress bar; a failing
job never stops the others, and every failure is reported at the end.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rnntool.errors import ConfigError

#: Batch systems reachable through dask-jobqueue, by the name ``--cluster`` takes.
CLUSTERS = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster"}


@dataclass(frozen=True)
class ExecutorSettings:
    """Where jobs run: a local cluster (``workers``), a scheduler, or a batch system."""

    workers: int | None = None
    scheduler: str | None = None
    cluster: str | None = None
    cluster_options: Mapping[str, Any] = field(default_factory=dict)
    jobs: int | None = None

    def check(self) -> None:
        """Raise ConfigError for contradictory or out-of-range settings."""
        if self.scheduler and self.cluster:
            raise ConfigError("give either a scheduler address or a --cluster, not both")
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"the number of workers must be ≥ 1, got {self.workers}")
        if self.workers is not None and (self.scheduler or self.cluster):
            raise ConfigError("--workers sizes the local cluster; with --scheduler or "
                              "--cluster the workers come from there (use --jobs for a cluster)")
        if self.cluster is not None and self.cluster not in CLUSTERS:
            raise ConfigError(f"unknown cluster {self.cluster!r} (known: {', '.join(CLUSTERS)})")
        if self.jobs is not None and (self.jobs < 1 or self.cluster is None):
            raise ConfigError("--jobs must be ≥ 1 and needs --cluster")
        if self.cluster_options and self.cluster is None:
            raise ConfigError("--cluster-opt needs --cluster")
        if self.cluster is not None:
            check_cluster_options(self.cluster, self.cluster_options)


def local_cores() -> int:
    """Cores this process may run on (the default number of local workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError("parallel execution needs Dask: pip install 'rnntool[dask]'") from None
    return distributed


def _jobqueue_class(kind: str) -> Any:
    try:
        import dask_jobqueue
    except ImportError:
        raise ConfigError("--cluster needs dask-jobqueue: pip install 'rnntool[cluster]'") from None
    return getattr(dask_jobqueue, CLUSTERS[kind])


def check_cluster_options(kind: str, options: Mapping[str, Any]) -> None:
    """Raise ConfigError for an option that neither the dask-jobqueue cluster class nor its
    job class takes (before anything starts)."""
    from dask_jobqueue.core import Job as JobqueueJob

    cls = _jobqueue_class(kind)
    known = set()
    for fn in (cls.__init__, cls.job_cls.__init__, JobqueueJob.__init__):
        known |= set(inspect.signature(fn).parameters) - {"self", "scheduler", "config_name",
                                                           "base_class_kwargs", "job_kwargs"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"bad --cluster-opt for {kind}: no option {unknown[0]!r} "
                          f"(options: {', '.join(sorted(known))})")


def jobqueue_cluster(kind: str, options: Mapping[str, Any] | None = None) -> Any:
    """A dask-jobqueue cluster object for ``kind`` (slurm, pbs, sge); no job is submitted.

    Defaults: one core and 4 GiB per job, and as many worker processes as cores, so that
    every worker has one thread. Every option is passed to the cluster class as given
    (``queue``, ``account``, ``walltime``, ``cores``, ``memory``, ``job_extra_directives``…).
    """
    if kind not in CLUSTERS:
        raise ConfigError(f"unknown cluster {kind!r} (known: {', '.join(CLUSTERS)})")
    cls = _jobqueue_class(kind)
    opts = dict(options or {})
    check_cluster_options(kind, opts)
    opts.setdefault("cores", 1)
    opts.setdefault("memory", "4GiB")
    opts.setdefault("processes", opts["cores"])
    try:
        return cls(**opts)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"bad --cluster-opt for {kind}: {err}") from None


@contextmanager
def dask_client(settings: ExecutorSettings) -> Iterator[Any]:
    """A connected ``distributed.Client`` for ``settings``, closed (with any cluster it
    started) when the block ends."""
    settings.check()
    distributed = _distributed()
    cluster = None
    try:
        if settings.scheduler:
            try:
                client = distributed.Client(settings.scheduler, timeout="20s")
            except (OSError, TimeoutError) as err:
                raise ConfigError(f"cannot reach the Dask scheduler at {settings.scheduler} "
                                  f"({err})") from None
        else:
            if settings.cluster:
                cluster = jobqueue_cluster(settings.cluster, settings.cluster_options)
                cluster.scale(jobs=settings.jobs or 1)
            else:
                cluster = distributed.LocalCluster(
                    n_workers=settings.workers or local_cores(), threads_per_worker=1,
                    processes=True, dashboard_address=":0", silence_logs=logging.CRITICAL)
            client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


@dataclass(frozen=True)
class Job:
    """One unit of work: ``fn(*args)`` once every job named in ``after`` has finished."""

    name: str
    fn: Callable[..., Any]
    args: tuple = ()
    after: tuple[str, ...] = ()


@dataclass
class JobReport:
    """Results of the jobs that finished, and a one-line reason for each that did not;
    ``seconds`` holds each finished job's (wall, CPU) seconds on its worker."""

    results: dict[str, Any]
    failed: dict[str, str]
    blocked: dict[str, str]
    seconds: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.blocked


def _after(fn: Callable[..., Any], args: tuple, *_done: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run_jobs(client: Any, jobs: Sequence[Job], console: Console | None = None,
             description: str = "jobs") -> JobReport:
    """Submit every job (dependencies first) and wait for all of them with one progress bar.

    A job that raises is recorded as failed; jobs that depend on it are recorded as blocked;
    every other job still runs.
    """
    distributed = _distributed()
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise ValueError("job names must be unique")
    run = uuid.uuid4().hex[:8]
    futures: dict[str, Any] = {}
    for job in _ordered(jobs):
        deps = [futures[d] for d in job.after]
        futures[job.name] = client.submit(_after, job.fn, job.args, *deps, pure=False,
                                          key=f"rnntool-{run}-{len(futures)}")
    by_key = {f.key: name for name, f in futures.items()}
    report = JobReport({}, {}, {})
    errors: dict[str, BaseException] = {}
    with _progress(console) as progress:
        bar = progress.add_task(description, total=len(jobs)) if progress else None
        for future in distributed.as_completed(list(futures.values())):
            name = by_key[future.key]
            if future.status == "finished":
                report.results[name], *times = future.result()
                report.seconds[name] = tuple(times)
            else:
                errors[name] = future.exception()
            if progress:
                progress.update(bar, advance=1, description=f"{description} "
                                f"({len(errors)} failed)" if errors else description)
    parents = {j.name: j.after for j in jobs}
    for name, err in errors.items():
        roots = [p for p in _ancestors(name, parents)
                 if p in errors and not any(q in errors for q in parents[p])]
        if roots:
            report.blocked[name] = f"not run: {roots[0]} failed"
        else:
            report.failed[name] = _one_line(err)
    return report


def _ordered(jobs: Sequence[Job]) -> list[Job]:
    """Jobs with every dependency before its dependents (input order kept otherwise)."""
    by_name = {j.name: j for j in jobs}
    done: set[str] = set()
    out: list[Job] = []

    def visit(job: Job, path: tuple[str, ...]) -> None:
        if job.name in done:
            return
        for dep in job.after:
            if dep not in by_name:
                raise ValueError(f"job {job.name!r} depends on unknown job {dep!r}")
            if dep in path:
                raise ValueError(f"jobs depend on each other in a cycle through {dep!r}")
            visit(by_name[dep], path + (job.name,))
        done.add(job.name)
        out.append(job)

    for job in jobs:
        visit(job, ())
    return out


def _ancestors(name: str, parents: Mapping[str, tuple[str, ...]]) -> list[str]:
    seen, stack = [], list(parents[name])
    while stack:
        p = stack.pop()
        if p not in seen:
            seen.append(p)
            stack.extend(parents[p])
    return seen


def _one_line(err: BaseException | None) -> str:
    text = str(err).strip().splitlines()[0] if err is not None and str(err).strip() else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


@contextmanager
def _progress(console: Console | None) -> Iterator[Progress | None]:
    if console is None:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        yield progress
