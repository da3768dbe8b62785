"""Top-K accuracy, MRR and latency for one retrieval method over a benchmark."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from deepcodeseek.evaluation.benchmark import Sample

KS = (1, 5, 10, 20, 40)
MRR_AT = 40


@dataclass
class MethodScores:
    method: str
    ranks: list[int | None]  # 1-based rank of the target, None when not in the top MRR_AT
    latencies_ms: list[float]
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (sample id, target, top-3 returned)
    # (rank-or-None per sample, in sample order) is kept in ``ranks``; subsets index into it

    @property
    def n(self) -> int:
        return len(self.ranks)

    def top_k(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / max(1, self.n)

    def mrr(self, at: int = MRR_AT) -> float:
        return sum(1.0 / r for r in self.ranks if r is not None and r <= at) / max(1, self.n)

    def latency(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    def hits(self, k: int) -> np.ndarray:
        return np.array([1.0 if r is not None and r <= k else 0.0 for r in self.ranks])

    def reciprocal_ranks(self) -> np.ndarray:
        return np.array([1.0 / r if r is not None and r <= MRR_AT else 0.0 for r in self.ranks])

    def interval(self, values: np.ndarray) -> tuple[float, float]:
        return bootstrap_interval(values)

    def subset(self, keep: list[bool]) -> "MethodScores":
        pick = [i for i, k in enumerate(keep) if k]
        return MethodScores(self.method, [self.ranks[i] for i in pick], [self.latencies_ms[i] for i in pick])

    def row(self) -> dict:
        row = {"method": self.method, "n": self.n}
        row.update({f"top@{k}": round(self.top_k(k), 3) for k in KS})
        lo, hi = self.interval(self.hits(5))
        row["top@5 95% CI"] = f"{lo:.2f}-{hi:.2f}"
        row[f"mrr@{MRR_AT}"] = round(self.mrr(), 3)
        row["p50_ms"] = round(self.latency(50), 2)
        row["p95_ms"] = round(self.latency(95), 2)
        return row


BOOTSTRAP_RESAMPLES = 1000


def bootstrap_interval(values: np.ndarray, level: float = 0.95, seed: int = 7) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean: how much the figure could move on another draw of samples."""
    if len(values) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(BOOTSTRAP_RESAMPLES, len(values)), replace=True).mean(axis=1)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def latency_interval(latencies_ms: list[float], q: float, level: float = 0.95, seed: int = 7) -> tuple[float, float]:
    """Bootstrap interval of a latency percentile."""
    if not latencies_ms:
        return float("nan"), float("nan")
    values = np.asarray(latencies_ms)
    rng = np.random.default_rng(seed)
    draws = np.percentile(rng.choice(values, size=(BOOTSTRAP_RESAMPLES, len(values)), replace=True), q, axis=1)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(draws, tail)), float(np.percentile(draws, 100 - tail))


Search = Callable[[Sample], list[str]]  # returns namespaces, best first


def score_method(method: str, samples: list[Sample], search: Search) -> MethodScores:
    scores = MethodScores(method=method, ranks=[], latencies_ms=[])
    for sample in samples:
        started = time.perf_counter()
        returned = search(sample)
        record(scores, sample, returned, (time.perf_counter() - started) * 1000)
    return scores


def record(scores: MethodScores, sample: Sample, returned: list[str], latency_ms: float) -> None:
    """Add one sample's answer (namespaces, best first) and its latency to ``scores``."""
    scores.latencies_ms.append(latency_ms)
    rank = next((i for i, ns in enumerate(returned[:MRR_AT], start=1) if ns == sample.target_namespace), None)
    scores.ranks.append(rank)
    if rank is None or rank > 5:
        scores.misses.append((sample.id, sample.target_namespace, returned[:3]))
