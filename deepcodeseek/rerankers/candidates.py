"""Reranking cases: a query, its target and the first stage's candidates, fixed once.

Every stage of Table 4 re-orders the same candidates, so they are built once per
sample from the retriever's default method (with the sample's own script kept out of
the votes, as the evaluation does) and kept with their document texts and the
first stage's latency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from deepcodeseek.rerankers.artefacts import Progress


@dataclass
class RerankCase:
    query_id: str
    query: str
    target: str  # the namespace that is right (bare, as documents name it)
    namespaces: list[str]  # candidates, first-stage order
    documents: list[str]  # their document texts
    retrieval_ms: float = 0.0
    source: str = ""
    extra: dict = field(default_factory=dict)

    def hit(self, order: Sequence[int], k: int) -> bool:
        return any(self.namespaces[i] == self.target for i in order[:k])


def short_namespace(namespace: str) -> str:
    return namespace.rsplit(".", 1)[-1]


def build_cases(retriever, samples, depth: int = 40, method: str | None = None,
                progress: Progress = None, holdout=None) -> list[RerankCase]:
    """One case per sample: the top ``depth`` of ``method`` (the retriever's default), each sample's
    held-out group (``holdout``; its own script when none) kept out of votes and prior."""
    from deepcodeseek.datasets.holdout import exclusions_for
    from deepcodeseek.datasets.triplets import build_query

    method = method or retriever.default_method
    docs = retriever.docs
    text_of = dict(zip(reversed(docs.column("namespace")), reversed(docs.texts())))  # first document wins
    cases = []
    for i, sample in enumerate(samples, start=1):
        results = retriever.retrieve(sample.code_before, sample.code_after or None, sample.scope, k=depth,
                                     method=method, exclude_callers=exclusions_for(sample, holdout))
        namespaces = [r.namespace for r in results]
        cases.append(RerankCase(
            query_id=sample.id, query=build_query(sample), target=short_namespace(sample.target_namespace),
            namespaces=namespaces, documents=[text_of[n] for n in namespaces],
            retrieval_ms=float(results[0].evidence.get("latency_ms", 0.0)) if results else 0.0,
            source=sample.source))
        if progress and i % 100 == 0:
            progress(f"candidates: {i}/{len(samples)} samples")
    return cases


def recall_at(cases: Sequence[RerankCase], depth: int) -> float:
    """Share of cases whose target is among the first ``depth`` candidates: the ceiling of any reranker."""
    return sum(c.hit(range(len(c.namespaces)), depth) for c in cases) / max(1, len(cases))
