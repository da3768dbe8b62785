"""Evaluation of every retrieval method against BM25, in one run, as Markdown."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.evaluation.metrics import KS, MethodScores, score_method
from deepcodeseek.retrieval.retriever import METHODS, Retriever

BASELINE = "bm25"


@dataclass
class EvaluationReport:
    scores: list[MethodScores]
    samples: int
    skipped: list[str]

    def table(self) -> pd.DataFrame:
        rows = [s.row() for s in self.scores]
        base = next((s for s in self.scores if s.method == BASELINE), None)
        for row, s in zip(rows, self.scores):
            row["top@5 vs bm25"] = round(s.top_k(5) / base.top_k(5), 2) if base and base.top_k(5) else None
        return pd.DataFrame(rows)

    def markdown(self) -> str:
        parts = [f"**{self.samples} samples**" + (f", {len(self.skipped)} skipped" if self.skipped else ""), "",
                 self.table().to_markdown(index=False)]
        worst = self.worst_namespaces()
        if worst:
            parts += ["", "Most missed targets (default method, not in top 5): " +
                      ", ".join(f"{ns} ({n})" for ns, n in worst)]
        if self.skipped:
            parts += ["", "Skipped samples:", *[f"- {s}" for s in self.skipped[:20]]]
        return "\n".join(parts)

    def worst_namespaces(self, limit: int = 5) -> list[tuple[str, int]]:
        default = self.scores[0] if self.scores else None
        return Counter(t for _, t, _ in default.misses).most_common(limit) if default else []

    def metrics(self) -> dict[str, float]:
        flat = {}
        for s in self.scores:
            for k in KS:
                flat[f"{s.method}/top@{k}"] = round(s.top_k(k), 4)
            flat[f"{s.method}/mrr@40"] = round(s.mrr(), 4)
            flat[f"{s.method}/p50_ms"] = round(s.latency(50), 3)
        return flat


def source_scripts(sample: Sample) -> frozenset[str]:
    """The script a mined sample came from: its own call sites must not vote for it."""
    return frozenset([sample.source.split(":", 1)[1]]) if sample.source.startswith("mined:") else frozenset()


def evaluate(retriever: Retriever, samples: list[Sample], methods: tuple[str, ...] = METHODS,
             skipped: list[str] | None = None) -> EvaluationReport:
    """Score each method over the same samples; BM25 is always included as the baseline."""
    methods = tuple(dict.fromkeys([*methods, BASELINE]))
    for method in methods:
        retriever.warm_up(method)
    scores = []
    for method in methods:
        def search(sample: Sample, method=method) -> list[str]:
            results = retriever.retrieve(sample.code_before, sample.code_after or None, sample.scope, k=40,
                                         method=method, exclude_callers=source_scripts(sample))
            return [r.namespace for r in results]
        scores.append(score_method(method, samples, search))
    return EvaluationReport(scores=scores, samples=len(samples), skipped=list(skipped or []))
