"""The serving path: a loaded index that answers in milliseconds.

A :class:`Retriever` opens an instance's published index version once (vectors and
document metadata from LanceDB into memory, the BM25 index from its folder) and then
answers queries without touching the pipeline's DuckDB file. Candidates are pruned by
the scope/access rule before ranking; every result says which signals ranked it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from deepcodeseek.index.bm25 import BM25Index
from deepcodeseek.index.embedder import Embedder, SentenceTransformerEmbedder
from deepcodeseek.index.publish import current_manifest, open_vector_table
from deepcodeseek.kg.access import admission_rule
from deepcodeseek.paths import InstancePaths, instance_paths
from deepcodeseek.retrieval.query import Query
from deepcodeseek.text import code_tokens, split_identifier

RRF_K = 60
METHODS = ("hybrid", "dense", "bm25")
DEFAULT_METHOD = "hybrid"


class UnknownMethod(ValueError):
    pass


@dataclass
class Result:
    namespace: str
    api_name: str
    scope: str
    methods: list[str]
    score: float
    evidence: dict = field(default_factory=dict)

    def as_dict(self, explain: bool = False) -> dict:
        out = {"namespace": self.namespace, "api_name": self.api_name, "methods": self.methods,
               "score": round(float(self.score), 6)}
        if explain:
            out["evidence"] = self.evidence
        return out


class Retriever:
    """An instance's published index, kept loaded for fast queries."""

    def __init__(self, instance: str, home: str | None = None, embedder: Embedder | None = None):
        self.paths: InstancePaths = instance_paths(instance, home)
        self.manifest = current_manifest(self.paths)
        table = open_vector_table(self.paths, self.manifest["version"]).to_arrow()
        self.model_name = table.schema.metadata[b"model"].decode()
        columns = table.to_pydict()
        self.vectors = np.asarray(columns.pop("vector"), dtype=np.float32)
        self.docs = [dict(zip(columns, values)) for values in zip(*columns.values())]
        for d in self.docs:
            d["methods"] = json.loads(d["methods"])
            d["method_words"] = {m: set(split_identifier(m)) for m in d["methods"]}
        self.bm25 = BM25Index.load(self.paths.version_dir(self.manifest["version"]) / "bm25")
        self.embedder = embedder or SentenceTransformerEmbedder(self.model_name)
        if self.embedder.name != self.model_name:
            raise ValueError(f"index was built with {self.model_name}, embedder is {self.embedder.name}")
        self._admitted_by_scope: dict[str | None, np.ndarray] = {}
        self._scorers: dict[str, Callable[[Query], dict[str, np.ndarray]]] = {
            "dense": self._dense, "bm25": self._bm25, "hybrid": self._hybrid,
        }

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def warm_up(self) -> None:
        """Load the model and run one query so the first real query is not the slow one."""
        self.retrieve("var gr = new GlideRecord('incident');", k=1)

    def retrieve(self, code_before: str, code_after: str | None = None, scope: str | None = None,
                 k: int = 10, method: str = DEFAULT_METHOD) -> list[Result]:
        if method not in self._scorers:
            raise UnknownMethod(f"unknown method {method!r} (known: {', '.join(self._scorers)})")
        query = Query(code_before, code_after, scope)
        started = time.perf_counter()
        signals = self._scorers[method](query)
        score = signals.pop("score")
        admitted = self._admitted(scope)
        score = np.where(admitted, score, -np.inf)
        top = _top_k(score, k)
        context_words = set(code_tokens(query.text(lines_before=20)))
        results = [self._result(i, float(score[i]), signals, context_words, scope) for i in top if np.isfinite(score[i])]
        elapsed = (time.perf_counter() - started) * 1000
        for r in results:
            r.evidence["latency_ms"] = round(elapsed, 3)
        return results

    def _admitted(self, scope: str | None) -> np.ndarray:
        """Which documents code in ``scope`` may call; computed once per scope, then reused."""
        mask = self._admitted_by_scope.get(scope)
        if mask is None:
            mask = np.array([admission_rule(scope, d["scope"], d["access"], d["active"]) is not None
                             for d in self.docs], dtype=bool)
            self._admitted_by_scope[scope] = mask
        return mask

    def _dense(self, query: Query) -> dict[str, np.ndarray]:
        sims = self.vectors @ self.embedder.embed_query(query.text())
        return {"score": sims, "dense": sims}

    def _bm25(self, query: Query) -> dict[str, np.ndarray]:
        scores = self.bm25.scores(query.text())
        return {"score": scores, "bm25": scores}

    def _hybrid(self, query: Query) -> dict[str, np.ndarray]:
        """Reciprocal rank fusion of dense and lexical ranks: robust to their score scales."""
        dense = self._dense(query)["dense"]
        lexical = self._bm25(query)["bm25"]
        fused = _rrf(dense) + _rrf(lexical, has_signal=lexical > 0)
        return {"score": fused, "dense": dense, "bm25": lexical}

    def _result(self, i: int, score: float, signals: dict[str, np.ndarray], context_words: set[str],
                scope: str | None) -> Result:
        doc = self.docs[i]
        methods, matched = self._likely_methods(doc, context_words)
        evidence = {name: round(float(values[i]), 6) for name, values in signals.items()}
        evidence["matched_method"] = matched
        evidence["scope_rule"] = admission_rule(scope, doc["scope"], doc["access"], doc["active"])
        evidence["usage_count"] = int(doc["usage_count"])
        return Result(doc["namespace"], doc["api_name"], doc["scope"], methods, score, evidence)

    def _likely_methods(self, doc: dict, words: set[str], limit: int = 5) -> tuple[list[str], str | None]:
        """Methods whose name words the query context mentions first, then the most used."""
        overlap = {m: len(w & words) for m, w in doc["method_words"].items()}
        ranked = sorted(doc["methods"], key=lambda m: -overlap[m])  # stable: usage order breaks ties
        matched = ranked[0] if ranked and overlap[ranked[0]] > 0 else None
        return ranked[:limit], matched


def _rrf(scores: np.ndarray, has_signal: np.ndarray | None = None) -> np.ndarray:
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    fused = 1.0 / (RRF_K + ranks)
    if has_signal is not None:
        fused = np.where(has_signal, fused, 0.0)
    return fused


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    if k <= 0:
        return np.array([], dtype=int)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
