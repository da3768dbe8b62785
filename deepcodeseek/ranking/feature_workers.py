"""The ranker's training features, computed by several processes at once.

Every training query costs a whole query of the instance (BM25, votes over every usage context,
graph walks, candidates and their features), on one core: the pass is single-threaded numpy and
Python. At 10,000 namespaces its 22,856 queries were most of the build's longest stage, while the
second core waited. The queries are independent, so blocks of them go to worker processes, each
holding its own copy of the stages (the version opened again from its manifest,
``Retriever.reopen_args``), and the blocks come back in order: the groups are the ones a single
process computes, in the same order (``tests/test_pairing_build.py`` compares them).

Workers are spawned, not forked: the building process has thread pools running (ONNX Runtime,
torch, BLAS), and a fork copies their locks but not their threads. And they start without the
building process's ``__main__`` (``_without_main``): a spawned process normally imports the parent's
main script again, so a script that starts a build without an ``if __name__ == "__main__":`` guard
started its build over inside the first worker (it happened, to a benchmark script in ``/tmp``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

PARALLEL_MIN_QUERIES = 1_000  # below this a worker's start (opening the version: seconds) costs more than it saves
BLOCK_QUERIES = 200  # queries per task: small enough to balance the workers and report progress
MAX_WORKERS = 8  # each holds a copy of the version's stages (at 10,000 namespaces about 0.5 GB per stage)

_stages: list | None = None  # a worker's own stages, opened once by ``_open``
_holdout = None


def usable_cores(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may run on: its affinity (a container's cpuset), and no more than its
    cgroup's CPU quota (a pod's CPU limit), rounded down, at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = cpu_quota(cgroup)
    return max(1, min(cores, int(quota))) if quota else cores


def cpu_quota(cgroup: Path) -> float | None:
    """CPUs the cgroup may use (``cpu.max``, cgroup v2; ``cpu.cfs_quota_us``, v1), None without a limit."""
    try:
        limit, period = (cgroup / "cpu.max").read_text().split()[:2]
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        pass
    try:
        limit = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        return None if limit <= 0 else limit / int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None


def worker_count(requested: int, queries: int) -> int:
    """How many processes compute ``queries`` training queries' features: ``requested`` (0: one per
    usable core), at most ``MAX_WORKERS`` and one per block, and 1 below ``PARALLEL_MIN_QUERIES``."""
    if queries < PARALLEL_MIN_QUERIES:
        return 1
    wanted = requested if requested > 0 else usable_cores()
    return max(1, min(wanted, MAX_WORKERS, -(-queries // BLOCK_QUERIES)))


def features_progress(done: int, total: int, started: float, stages: int, workers: int = 1) -> str:
    """The progress line of a features pass, in one process or several."""
    rate = done / max(time.perf_counter() - started, 1e-9)
    return (f"ranker features: {done}/{total} queries ({rate:.0f}/s" + (f", {workers} processes" if workers > 1 else "")
            + (f", {stages} query encoders" if stages > 1 else "") + ")")


def reopenable(stages: Sequence) -> list[dict] | None:
    """Each stage's ``Retriever.reopen_args``, or None when one of them cannot be opened elsewhere."""
    args = [stage.retriever.reopen_args() for stage in stages]
    return None if any(a is None for a in args) else args


def groups_in_workers(stages: Sequence, reopen: list[dict], samples: list, weights: list[float], holdout,
                      max_callers: int, workers: int,
                      progress: Callable[[str], None] | None = None) -> list[tuple[list, list, int]]:
    """``training.groups_of_block`` over ``samples`` in ``workers`` processes, block by block, merged in
    order: per stage, (training groups, validation groups, queries whose target made the candidates)."""
    out = [[[], [], 0] for _ in stages]
    blocks = [(samples[i:i + BLOCK_QUERIES], weights[i:i + BLOCK_QUERIES])
              for i in range(0, len(samples), BLOCK_QUERIES)]
    started, done = time.perf_counter(), 0
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_open,
                             initargs=(reopen, holdout)) as pool:
        with _without_main():  # every worker starts here: submitting more blocks than workers spawns them all
            results = pool.map(_block, [(b, w, max_callers) for b, w in blocks])
        for (block, _), parts in zip(blocks, results):
            for merged, (train, held, found) in zip(out, parts):
                merged[0].extend(train)
                merged[1].extend(held)
                merged[2] += found
            done += len(block)
            if progress:
                progress(features_progress(done, len(samples), started, len(stages), workers))
    return [tuple(merged) for merged in out]


@contextmanager
def _without_main() -> Iterator[None]:
    """Processes spawned meanwhile do not import this process's ``__main__``: ``multiprocessing`` reads
    the main script's path from ``sys.modules["__main__"]`` as it starts each one, and an empty module
    has none. The workers need nothing from it: their functions live in this module."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _open(reopen: list[dict], holdout) -> None:
    """A worker's start: one thread per query (the workers are the parallelism), then the stages."""
    global _stages, _holdout
    from deepcodeseek.retrieval.retriever import Retriever
    from deepcodeseek.threads import one_thread_per_query

    one_thread_per_query()
    _stages = [Retriever.reopen(args).ranking for args in reopen]
    _holdout = holdout


def _block(task: tuple) -> list[tuple[list, list, int]]:
    from deepcodeseek.ranking.training import groups_of_block

    samples, weights, max_callers = task
    return groups_of_block(_stages, samples, weights, _holdout, max_callers)
