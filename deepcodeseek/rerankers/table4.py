"""The paper's Table 4 for one instance: every reranking stage over the same candidates.

Each stage re-orders only the first N candidates of every case (the rest keep the
first stage's order); the table gives top-5/10/15/20, the rerank latency per query
measured here, and the whole path's latency (first stage + rerank). Baselines that
are not rerankers (BM25 over the whole index) join as ranked namespace lists scored
the same way. :func:`choose_top_n` picks N by measurement: the best top-k among the
N whose path stays within a latency budget.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from deepcodeseek.rerankers.artefacts import Progress
from deepcodeseek.rerankers.base import Reranker, top_n_order
from deepcodeseek.rerankers.candidates import RerankCase

KS = (1, 5, 10, 15, 20)  # the paper's top-5/10/15/20, and top-1: re-ordering a top 5 shows only there


def ab_key(top, metric_k: int = 5) -> tuple[float, float, float]:
    """How a reranker is judged against no rerank (and one N against another): top@``metric_k``,
    then top@1, then top@10. ``top`` maps k (or "top@k") to a rate."""
    get = lambda k: float(top.get(k, top.get(f"top@{k}", 0.0)))  # noqa: E731
    return get(metric_k), get(1), get(10)


@dataclass
class StageRow:
    name: str
    top: dict[int, float]
    queries: int
    reranked: int  # N: how many candidates the stage re-orders (0 = none)
    rerank_ms_p50: float | None = None
    rerank_ms_p95: float | None = None
    path_ms_p50: float | None = None  # first stage + rerank
    note: str = ""


@dataclass
class Table4:
    rows: list[StageRow]
    ks: tuple[int, ...] = KS
    candidates: int = 0
    recall: float = 0.0  # share of cases whose target is among the candidates at all
    orders: dict[str, list[list[int]]] = field(default_factory=dict)  # stage -> per case, candidate positions

    def row(self, name: str) -> StageRow:
        return next(r for r in self.rows if r.name == name)

    def as_dict(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "ks": list(self.ks), "candidates": self.candidates,
                "recall": self.recall}

    def markdown(self) -> str:
        def ms(v):
            return "" if v is None else f"{v:.1f}"

        head = "| stage | " + " | ".join(f"top@{k}" for k in self.ks) + " | N | rerank p50 ms | path p50 ms | note |"
        lines = [head, "|" + "---|" * (len(self.ks) + 5)]
        for r in self.rows:
            lines.append(f"| {r.name} | " + " | ".join(f"{r.top[k]:.3f}" for k in self.ks)
                         + f" | {r.reranked or ''} | {ms(r.rerank_ms_p50)} | {ms(r.path_ms_p50)} | {r.note} |")
        return "\n".join(lines)


def _percentile(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if len(values) else None


def top_k_rates(cases: Sequence[RerankCase], orders: Sequence[Sequence[int]], ks: Sequence[int]) -> dict[int, float]:
    return {k: round(sum(c.hit(o, k) for c, o in zip(cases, orders)) / max(1, len(cases)), 4) for k in ks}


def stage_orders(cases: Sequence[RerankCase], reranker: Reranker, top_n: int,
                 progress: Progress = None) -> tuple[list[list[int]], list[float], list[np.ndarray]]:
    """Each case's re-ordered candidate positions, the rerank time per query (ms) and the scores."""
    orders, times, scores = [], [], []
    for i, case in enumerate(cases, start=1):
        n = min(top_n, len(case.documents))
        started = time.perf_counter()
        s = reranker.score(case.query, case.documents[:n]) if n else np.zeros(0, dtype=np.float32)
        times.append((time.perf_counter() - started) * 1000)
        orders.append(top_n_order(s, n, len(case.documents)))
        scores.append(s)
        if progress and (i % 25 == 0 or i == len(cases)):
            progress(f"{reranker.name}: {i}/{len(cases)} queries, rerank p50 {np.median(times):.0f} ms")
    return orders, times, scores


def table4(cases: Sequence[RerankCase], stages: Mapping[str, Reranker | None], top_n: int | Mapping[str, int],
           ks: Sequence[int] = KS, baselines: Mapping[str, Sequence[Sequence[str]]] | None = None,
           notes: Mapping[str, str] | None = None, progress: Progress = None) -> Table4:
    """Table 4 over ``cases``: ``stages`` maps a row name to a reranker (None = the first stage's
    order, "no rerank"); ``top_n`` is one N or one per stage; ``baselines`` maps a row name to
    a ranked namespace list per case (e.g. BM25 over the whole index)."""
    ks = tuple(ks)
    rows, all_orders = [], {}
    for name, reranker in stages.items():
        n = top_n if isinstance(top_n, int) else top_n.get(name, 0)
        if reranker is None:
            orders = [list(range(len(c.namespaces))) for c in cases]
            rows.append(StageRow(name, top_k_rates(cases, orders, ks), len(cases), 0,
                                 path_ms_p50=_percentile([c.retrieval_ms for c in cases], 50)))
        else:
            orders, times, _ = stage_orders(cases, reranker, n, progress)
            path = [c.retrieval_ms + t for c, t in zip(cases, times)]
            rows.append(StageRow(name, top_k_rates(cases, orders, ks), len(cases), n, _percentile(times, 50),
                                 _percentile(times, 95), _percentile(path, 50)))
        all_orders[name] = orders
    for name, ranked in (baselines or {}).items():
        rates = {k: round(sum(c.target in list(r)[:k] for c, r in zip(cases, ranked)) / max(1, len(cases)), 4)
                 for k in ks}
        rows.append(StageRow(name, rates, len(cases), 0))
    for row in rows:
        row.note = (notes or {}).get(row.name, row.note)
    depth = max((len(c.namespaces) for c in cases), default=0)
    recall = sum(c.hit(range(len(c.namespaces)), depth) for c in cases) / max(1, len(cases))
    return Table4(rows, ks, depth, round(recall, 4), all_orders)


@dataclass
class TopNChoice:
    n: int
    metric: str
    budget_ms: float
    within_budget: bool
    by_n: list[dict]  # per N: top@k rates, rerank and path p50

    def markdown(self) -> str:
        keys = [k for k in self.by_n[0] if k.startswith("top@")] if self.by_n else []
        lines = ["| N | " + " | ".join(keys) + " | rerank p50 ms | path p50 ms |", "|" + "---|" * (len(keys) + 3)]
        for row in self.by_n:
            lines.append(f"| {row['n']} | " + " | ".join(f"{row[k]:.3f}" for k in keys)
                         + f" | {row['rerank_ms_p50']:.1f} | {row['path_ms_p50']:.1f} |")
        return "\n".join(lines)


def choose_top_n(cases: Sequence[RerankCase], reranker: Reranker, ns: Sequence[int] = (5, 10, 15, 20, 30, 40),
                 metric_k: int = 5, budget_ms: float = 150.0, latency_cases: int = 20, ks: Sequence[int] = KS,
                 progress: Progress = None) -> TopNChoice:
    """N by measurement on ``cases`` (a calibration split, never test).

    Scores are pointwise, so each case's first max(N) candidates are scored once and
    every N is judged from them; latency is measured per N on the first
    ``latency_cases`` cases. The choice is the best :func:`ab_key` among the N whose
    path p50 is within ``budget_ms`` (ties: the smaller N); if none is, the cheapest N.
    """
    ns = sorted(set(ns))
    _, _, scores = stage_orders(cases, reranker, max(ns), progress)
    by_n = []
    for n in ns:
        orders = [top_n_order(s[:min(n, len(c.documents))], min(n, len(c.documents)), len(c.documents))
                  for c, s in zip(cases, scores)]
        timed = cases[:latency_cases]
        _, times, _ = stage_orders(timed, reranker, n)
        by_n.append({"n": n, **{f"top@{k}": v for k, v in top_k_rates(cases, orders, ks).items()},
                     "rerank_ms_p50": _percentile(times, 50),
                     "path_ms_p50": _percentile([c.retrieval_ms + t for c, t in zip(timed, times)], 50)})
    within = [r for r in by_n if r["path_ms_p50"] is not None and r["path_ms_p50"] <= budget_ms]
    pool = within or [min(by_n, key=lambda r: r["path_ms_p50"])]
    best = max(pool, key=lambda r: (*ab_key(r, metric_k), -r["n"]))
    return TopNChoice(best["n"], f"top@{metric_k}", budget_ms, bool(within), by_n)
