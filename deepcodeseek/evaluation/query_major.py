"""Score several methods, retrievers and query encoders over the same samples, sample by sample.

A choice on calibration reads one split many times: the ranker's A/B against the fusion, every
query encoder through the default method, each paired student's ranker. Scored method by method,
each pass recomputed the query's BM25, votes, graph signals and, per encoder, its dense
similarities. Here each sample is answered by every job in turn, and the retrievers (one index
version) share a memo of what the query has already computed (``retrieval.query_memo``). The
ranks are the same as method by method; a job's latency is its own time plus the time of what it
read from the memo, so it is what the query would have cost alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from deepcodeseek.datasets.holdout import HoldOut, exclusions_for
from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.evaluation.metrics import MethodScores, record
from deepcodeseek.retrieval.query_memo import sharing

PROGRESS_EVERY = 200  # samples


@dataclass(frozen=True)
class Job:
    """``method`` of ``retriever``, its queries encoded by ``embedder`` where one is given (a query
    encoder's ``ServingAdapter``; one object for the whole pass, so the memo tells encoders apart)."""

    label: str
    retriever: object
    method: str
    embedder: object | None = None


@contextmanager
def answering(job: Job) -> Iterator[object]:
    """The job's retriever, answering with the job's embedder (where it has one) for as long as the block runs."""
    if job.embedder is None:
        yield job.retriever
        return
    with job.retriever.encoding_with(job.embedder) as retriever:
        yield retriever


def score_jobs(jobs: Sequence[Job], samples: Sequence[Sample], holdout: HoldOut | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, MethodScores]:
    """Each job's scores over ``samples`` (top-40 namespaces per sample, its held-out group set aside),
    by label. The jobs' retrievers must hold one index version."""
    labels = [job.label for job in jobs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"score_jobs: labels repeat ({', '.join(labels)})")
    for job in jobs:  # loaded before the pass, outside the memo: the first sample is not the slow one
        with answering(job) as retriever:
            retriever.warm_up(job.method)
    out = {job.label: MethodScores(method=job.method, ranks=[], latencies_ms=[]) for job in jobs}
    started = time.perf_counter()
    with sharing(job.retriever for job in jobs) as memo:
        for n, sample in enumerate(samples, start=1):
            memo.clear()
            exclude = exclusions_for(sample, holdout)
            for job in jobs:
                with answering(job) as retriever:
                    memo.reused_ms = 0.0
                    began = time.perf_counter()
                    results = retriever.retrieve(sample.code_before, sample.code_after or None, sample.scope, k=40,
                                                 method=job.method, exclude_callers=exclude)
                    latency_ms = (time.perf_counter() - began) * 1000 + memo.reused_ms
                record(out[job.label], sample, [r.namespace for r in results], latency_ms)
            if progress and n % PROGRESS_EVERY == 0:
                progress(f"scored {n}/{len(samples)} samples x {len(jobs)} jobs "
                         f"({n / (time.perf_counter() - started):.1f} samples/s)")
    if progress:
        for job in jobs:
            progress(f"{job.label}: top@5 {out[job.label].top_k(5):.3f} over {len(samples)} samples")
    return out
