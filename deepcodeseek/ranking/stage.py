"""The learned ranking stage of a loaded index version: candidates, features, the instance's ranker.

A :class:`RankingStage` belongs to one :class:`~deepcodeseek.retrieval.retriever.Retriever`
and reads the version's graph sidecar and (when one was trained) its ranker folder.
Training and serving both go through :meth:`RankingStage.inputs`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deepcodeseek.ranking.doc_facts import DocFacts
from deepcodeseek.ranking.features import QuerySignals, RankingInputs, query_signals, ranking_inputs
from deepcodeseek.ranking.graph import GRAPH_FILE, DocGraph
from deepcodeseek.ranking.ranker import LearnedRanker, saved_in
from deepcodeseek.retrieval.query import Query

RANKER_DIR = "ranker"  # ranker-<training key> inside the version folder
NOT_A_CANDIDATE = -1e6  # documents outside the candidates rank below every candidate, in fusion order


def ranker_folder(paths, manifest: dict, version_rel: str) -> Path | None:
    """A local copy of the ranker a version's manifest names, when it is complete (local or object storage)."""
    name = (manifest.get("ranker") or {}).get("folder")
    if not name or not paths.index.is_complete(f"{version_rel}/{name}"):
        return None
    folder = paths.index.local(f"{version_rel}/{name}")
    return folder if saved_in(folder) else None


class RankingStage:
    def __init__(self, retriever, version_rel: str):
        """``version_rel`` is the version's folder inside the instance's index storage."""
        self.retriever = retriever
        index = retriever.paths.index
        graph = f"{version_rel}/{GRAPH_FILE}"
        self.graph = DocGraph.load(index.local(graph) if index.exists(graph) else None, retriever.docs,
                                   retriever.context_callers, retriever.context_targets)
        self.facts = DocFacts(retriever.docs)
        self.version_rel = version_rel
        named = ranker_folder(retriever.paths, retriever.manifest, version_rel)
        self.ranker = LearnedRanker.load(named) if named is not None else None

    @property
    def with_dense(self) -> bool:
        """The dense feature costs a query-model call: only where the model is tuned, or calibration used it."""
        return self.retriever.adapted or self.retriever.fusion_weights.get("dense", 0) > 0

    def inputs(self, query: Query, exclude: frozenset[str] = frozenset(),
               shared: QuerySignals | None = None) -> RankingInputs:
        """``shared``: the query's ``signals``, computed by a stage of the same version (another query encoder);
        where a driver shares a memo (``retrieval.query_memo``), the signals another stage left there."""
        if shared is None and self.retriever.memo is not None:
            shared = self.signals(query, exclude)
        return ranking_inputs(self.retriever, query, exclude, self.graph, self.retriever.fusion_weights,
                              self.with_dense, self.retriever._admitted(query.scope), shared)

    def signals(self, query: Query, exclude: frozenset[str] = frozenset()) -> QuerySignals:
        """What every query encoder's stage of this version shares for the query (``features.query_signals``)."""
        return self.retriever.memoized(
            ("ranking signals", query.code_before, query.code_after, query.scope, exclude),
            lambda: query_signals(self.retriever, query, exclude, self.graph, self.retriever._admitted(query.scope)))

    def scores(self, query: Query, exclude: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        """Every document's score: the ranker's for candidates, fusion order below them for the rest."""
        if self.ranker is None:
            from deepcodeseek.retrieval.llm_forms import MethodUnavailable

            raise MethodUnavailable(f"index version {self.retriever.version} has no learned ranker "
                                    "(too few call sites to learn from, or not trained yet)")
        inputs = self.inputs(query, exclude)
        score = NOT_A_CANDIDATE + inputs.fusion
        score[inputs.candidates] = self.ranker.score(inputs.features)
        return {"score": score, **inputs.raw, "fusion": inputs.fusion}
