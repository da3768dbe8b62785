"""Candidates from every signal, and the features that describe each (query, candidate) pair.

The first stage unions the best documents of every signal (BM25, votes, tuned dense,
semantic votes, the graph neighbours of the APIs the code already names, same-scope
Script Includes, the instance's most used APIs), cut to about a hundred by the best
rank each reached in any source, so that no one signal decides what the ranker may see.
Nothing downstream can recover a target the candidates miss; the report shows their recall.

One function computes both what training learns from and what serving scores, so the
two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcodeseek.ranking.graph import DocGraph, tables_in
from deepcodeseek.retrieval.query import Query
from deepcodeseek.text import query_tokens

MAX_CANDIDATES = 100
# Each signal's ranks are exact to here (``_ranks``); deeper documents share the next. Above the
# instances measured (2,610 namespaces at most), so their features are what a full sort gave: capped
# at 1,000 instead, the stock ranker's calibration MRR went from 0.501 to 0.462 (the corpus's from
# 0.501 to 0.512), and nothing chose that change.
RANK_LIMIT = 3000
# How deep each source reaches into its own ranking. Personalised PageRank reaches 40 (it was 15):
# chosen on the calibration splits of two instances (corpus, stock) by the greedy search over every
# source's depth in benchmarks/candidate_depths.py (recall gained per candidate added): recall
# 0.906 -> 0.936 and 0.905 -> 0.944 there, pools mostly under MAX_CANDIDATES (median 93-95 a query,
# from 77). Deeper bm25, fusion or prior added more candidates than targets. Seeded by the APIs the
# code already names, PageRank finds the Script Includes that callers of those APIs also call, which
# no text signal ranks high.
SOURCE_DEPTH = {"bm25": 30, "votes": 30, "dense": 30, "semantic_votes": 15, "fusion": 40,
                "ppr": 40, "co_usage": 15, "scope": 10, "prior": 10}
SIGNALS = ("bm25", "votes", "prior", "semantic_votes", "dense", "fusion", "ppr", "co_usage")
FEATURES = (
    *(f"{s}_value" for s in SIGNALS), *(f"{s}_rank" for s in SIGNALS),
    "bm25_raw", "dense_raw", "votes_raw", "voters", "usage_after",
    "same_scope", "target_global", "rule_public", "rule_same_scope", "access_public", "is_platform",
    "mentioned", "parent_mentioned", "child_mentioned", "sibling_mentioned",
    "table_overlap", "doc_tables", "query_tables",
    "method_overlap", "name_overlap", "name_words",
    "q_mentioned", "q_max_bm25", "q_voters", "q_tokens", "q_has_usage", "candidate_sources",
)


@dataclass
class RankingInputs:
    candidates: np.ndarray  # document indices, best first by their best source rank
    features: np.ndarray  # (candidates, len(FEATURES)) float32
    fusion: np.ndarray  # the fusion score of every document (orders what is not a candidate)
    raw: dict[str, np.ndarray]  # raw signals of every document, for explanations


def _ranks(values: np.ndarray, admitted: np.ndarray, limit: int | None = None) -> np.ndarray:
    """1-based rank of every admitted document by ``values`` (ties by document order), exact to
    ``limit``; every deeper document, and every one not admitted, shares ``limit + 1``.

    Only candidates' ranks become features, and a candidate is within some source's first 40.
    A full sort per signal was a quarter of a 50,000-namespace query (nine sorts of the whole
    index); see ``_best_first`` for what is sorted instead.
    """
    limit = RANK_LIMIT if limit is None else limit
    ranks = np.full(len(values), float(limit + 1))
    rows = np.flatnonzero(admitted)
    if len(rows):
        order = _best_first(-values[rows], limit)
        ranks[rows[order]] = np.arange(1, len(order) + 1)
    return ranks


def _best_first(negated: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the ``limit`` smallest of ``negated``, smallest first, equal values by position
    (what a stable sort of the whole array, cut at ``limit``, gives).

    Most signals are sparse (votes, graph walks, the floored dense similarity): a few dozen positive
    values, then zeros. Those few are sorted and the zeros follow in position order, unsorted. Where
    there are more than ``limit`` positive values, a partition finds the first ``limit`` in linear
    time and only they are sorted.
    """
    head = np.flatnonzero(negated < 0)  # the positive values
    if len(head) < limit:
        head = head[stable_argsort(negated[head])]
        tail = np.flatnonzero(~(negated < 0))  # zeros, and any negative value (none of the signals has one)
        if len(tail) and negated[tail].any():
            tail = tail[stable_argsort(negated[tail])]
        return np.concatenate([head, tail[: limit - len(head)]])
    kth = np.partition(negated, limit - 1)[limit - 1]  # minus the limit-th largest value
    above = np.flatnonzero(negated < kth)
    chosen = np.concatenate([above, np.flatnonzero(negated == kth)[: limit - len(above)]])  # ties: lowest first
    chosen.sort()
    return chosen[stable_argsort(negated[chosen])]  # rows in position order: ties stay so


def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")``, computed by numpy's vectorised (unstable) sorts.

    Why: a stable argsort of floats is a merge sort without SIMD, 4× slower than the default
    quicksort on the two thousand positive BM25, prior or fusion values of a corpus query; these
    sorts were a sixth of a ranked query. The default sort may put equal keys in any order, so
    runs of equal keys are put back in position order by one sort of (run, position) as integers.
    """
    order = np.argsort(keys)
    if len(order) < 2:
        return order
    ranked = keys[order]
    tied = ranked[1:] == ranked[:-1]
    if ranked.dtype.kind == "f":
        tied |= np.isnan(ranked[1:]) & np.isnan(ranked[:-1])  # NaNs sort last, as one run
    if not tied.any():
        return order
    runs = np.concatenate(([0], np.cumsum(~tied)))
    n = len(order)
    return np.sort(runs * n + order) % n


def _normalised(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values, dtype=np.float64)


@dataclass
class SourceRankings:
    """Every candidate source's ranking of the documents for one query, before any depth applies."""

    parts: dict[str, np.ndarray]  # normalised signal values per document
    raw: dict[str, np.ndarray]
    ranks: dict[str, np.ndarray]  # per signal: rank among admitted documents (``_ranks``)
    lists: dict[str, np.ndarray]  # per source: its eligible documents, best first (see ``source_lists``)
    usage: np.ndarray
    mentioned: np.ndarray


@dataclass
class QuerySignals:
    """What one (query, set-aside scripts) gives every query encoder alike: the lexical, vote, prior and
    graph signals and their ranks. A build that trains a ranker per query encoder (``ranking.pairing``)
    computes them once per training query for all of them: they were three quarters of a query's
    features on the corpus (the votes' context similarities alone a fifth)."""

    parts: dict[str, np.ndarray]  # normalised, in the order the fusion sums them (bm25, votes, prior, semantic votes)
    raw: dict[str, np.ndarray]
    graph_parts: dict[str, np.ndarray]  # ppr, co_usage: candidate sources, not fusion terms
    ranks: dict[str, np.ndarray]  # ``_ranks`` of every signal above
    scope_rank: np.ndarray  # the same-scope source: the scope's most used, then BM25
    in_scope: np.ndarray
    usage: np.ndarray
    mentioned: np.ndarray


def query_signals(retriever, query: Query, exclude: frozenset[str], graph: DocGraph,
                  admitted: np.ndarray) -> QuerySignals:
    """The signals no query encoder changes, ``exclude``'s scripts set aside as votes and prior do."""
    names = ("bm25", "votes", "prior") + (("semantic_votes",) if retriever._static_signals()[0] is not None else ())
    components = retriever.fusion_components(query, exclude, names)
    mask = graph.caller_mask(exclude)
    mentioned = graph.mentioned(query.code_before)
    graph_parts = {"ppr": _normalised(graph.personalised_pagerank(mentioned, mask)),
                   "co_usage": _normalised(np.log1p(graph.co_usage(mentioned, mask)))}
    parts = dict(components["parts"])
    scope = query.scope
    per_scope = admitted is retriever._admitted(scope)  # then what depends on the scope alone is kept per scope
    ranks = {}
    for name, values in (parts | graph_parts).items():
        if name == "prior" and not exclude and per_scope:  # the prior of a query that sets nothing aside is fixed
            ranks[name] = retriever.per_scope("prior_rank", scope, lambda v=values: _ranks(v, admitted))
        else:
            ranks[name] = _ranks(values, admitted)
    usage = retriever.usage_after(exclude)

    def same_scope() -> np.ndarray:
        return admitted & (retriever.doc_scopes == (scope or "")) & ~retriever.is_platform

    in_scope = retriever.per_scope("in_scope", scope, same_scope) if per_scope else same_scope()
    scope_rank = _ranks(usage + 1e-3 * parts["bm25"], in_scope)
    return QuerySignals(parts, dict(components["raw"]), graph_parts, ranks, scope_rank, in_scope, usage, mentioned)


def source_rankings(retriever, query: Query, exclude: frozenset[str], graph: DocGraph, weights: dict[str, float],
                    with_dense: bool, admitted: np.ndarray, reach: int | None = None,
                    shared: QuerySignals | None = None) -> SourceRankings:
    """The signals, their ranks and each source's first ``reach`` eligible documents (default: as
    deep as ``SOURCE_DEPTH`` reaches), ``exclude``'s scripts set aside as votes and prior do.
    ``shared``: this query's ``query_signals``, already computed for another query encoder."""
    from deepcodeseek.retrieval.signals import floored, fuse

    signals = shared if shared is not None else query_signals(retriever, query, exclude, graph, admitted)
    parts, raw = dict(signals.parts), dict(signals.raw)
    if with_dense:
        dense = retriever._dense(query)["dense"]
        parts["dense"], raw["dense"] = floored(dense), dense
    parts["fusion"] = fuse(parts, weights)
    parts.update(signals.graph_parts)
    n = len(retriever.docs)
    absent = float(min(n, RANK_LIMIT + 1))  # a signal the version lacks: every document last
    ranks = {s: signals.ranks[s] if s in signals.ranks else _ranks(parts[s], admitted) if s in parts
             else np.full(n, absent) for s in SIGNALS}
    source_ranks = {s: ranks[s] for s in SIGNALS if s in parts}
    source_ranks["scope"] = signals.scope_rank
    eligible = {s: admitted & (parts[s] > 0) for s in source_ranks if s != "scope"} | {"scope": signals.in_scope}
    lists = source_lists(source_ranks, eligible, max(SOURCE_DEPTH.values()) if reach is None else reach)
    return SourceRankings(parts, raw, ranks, lists, signals.usage, signals.mentioned)


def source_lists(source_ranks: dict[str, np.ndarray], eligible: dict[str, np.ndarray],
                 reach: int) -> dict[str, np.ndarray]:
    """Per source, the eligible documents it ranks within ``reach``, best first.

    A source's rank counts only documents it admits, and its positive values come before its zeros,
    so a document's position in its source's list (from 1) is its rank there: a depth keeps a prefix.
    """
    out = {}
    for source, rank in source_ranks.items():
        rows = np.flatnonzero(eligible[source] & (rank <= reach))
        out[source] = rows[np.argsort(rank[rows], kind="stable")]
    return out


def candidate_pool(lists: dict[str, np.ndarray], fusion: np.ndarray, depth: dict[str, int] | None = None,
                   limit: int = MAX_CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
    """``(candidates, sources)``: the union of each source's first ``depth[source]`` documents,
    ordered by their best rank in any source (then fusion) and cut at ``limit``; and per document
    how many sources put it there. ``benchmarks/candidate_depths.py`` replays it with other depths."""
    depth = SOURCE_DEPTH if depth is None else depth
    best = np.full(len(fusion), np.inf)
    sources = np.zeros(len(fusion))
    for source, reach in depth.items():
        rows = lists.get(source)
        if rows is None:
            continue
        rows = rows[:reach]
        sources[rows] += 1
        best[rows] = np.minimum(best[rows], np.arange(1, len(rows) + 1))
    pool = np.flatnonzero(np.isfinite(best))
    return pool[np.lexsort((-fusion[pool], best[pool]))][:limit], sources


def ranking_inputs(retriever, query: Query, exclude: frozenset[str], graph: DocGraph, weights: dict[str, float],
                   with_dense: bool, admitted: np.ndarray, shared: QuerySignals | None = None) -> RankingInputs:
    """Candidates and their features for one query, ``exclude``'s scripts set aside as votes and prior do."""
    s = source_rankings(retriever, query, exclude, graph, weights, with_dense, admitted, shared=shared)
    candidates, sources = candidate_pool(s.lists, s.parts["fusion"])
    features = _features(retriever, query, graph, candidates, s.parts, s.raw, s.ranks, s.usage, s.mentioned, sources)
    return RankingInputs(candidates, features, s.parts["fusion"], s.raw)


def _features(retriever, query: Query, graph: DocGraph, candidates: np.ndarray, parts: dict, raw: dict,
              ranks: dict, usage: np.ndarray, mentioned: np.ndarray, sources: np.ndarray) -> np.ndarray:
    docs = retriever.docs
    context_words = set(query_tokens(query.text(lines_before=20)))
    query_tables = {t.lower() for t in tables_in(query.code_before)}
    parents = graph.parent
    mentioned_parents = {int(parents[m]) for m in mentioned if parents[m] >= 0}
    voters = raw.get("voters", np.zeros(len(docs)))
    columns: dict[str, np.ndarray] = {}
    for s in SIGNALS:
        columns[f"{s}_value"] = parts[s][candidates] if s in parts else np.zeros(len(candidates))
        columns[f"{s}_rank"] = np.log1p(ranks[s][candidates])
    columns["bm25_raw"] = raw["bm25"][candidates]
    columns["dense_raw"] = raw["dense"][candidates] if "dense" in raw else np.zeros(len(candidates))
    columns["votes_raw"] = raw["votes"][candidates]
    columns["voters"] = voters[candidates]
    columns["usage_after"] = np.log1p(usage[candidates])
    scope = query.scope
    facts = retriever.ranking.facts
    rules = retriever.scope_rules(scope)[candidates]
    scopes = facts.scopes[candidates]
    columns["same_scope"] = (scopes == scope).astype(float)
    columns["target_global"] = (scopes == "global").astype(float)
    columns["rule_public"] = (rules == "public").astype(float)
    columns["rule_same_scope"] = (rules == "same scope").astype(float)
    columns["access_public"] = facts.access_public[candidates]
    columns["is_platform"] = retriever.is_platform[candidates].astype(float)
    # Membership by lookup in per-document masks (``np.isin`` sorts both sides, four times a query).
    is_mentioned = np.zeros(len(docs), dtype=bool)
    is_mentioned[mentioned] = True
    is_mentioned_parent = np.zeros(len(docs), dtype=bool)
    is_mentioned_parent[np.fromiter(mentioned_parents, dtype=np.int64, count=len(mentioned_parents))] = True
    candidate_parents = parents[candidates]
    has_parent = candidate_parents >= 0
    parent_row = np.where(has_parent, candidate_parents, 0)  # -1 would wrap to the last document
    columns["mentioned"] = is_mentioned[candidates].astype(float)
    columns["parent_mentioned"] = (has_parent & is_mentioned[parent_row]).astype(float)
    columns["child_mentioned"] = is_mentioned_parent[candidates].astype(float)
    columns["sibling_mentioned"] = (has_parent & is_mentioned_parent[parent_row]).astype(float)
    columns["table_overlap"] = np.array([len(graph.tables[i] & query_tables) for i in candidates], dtype=float) \
        if query_tables else np.zeros(len(candidates))
    columns["doc_tables"] = graph.doc_tables[candidates]
    columns["query_tables"] = np.full(len(candidates), float(len(query_tables)))
    columns["method_overlap"] = facts.best_method_overlap(context_words, candidates)
    columns["name_overlap"] = facts.names.overlaps(context_words, candidates)
    columns["name_words"] = facts.names.sizes[candidates]
    columns["q_mentioned"] = np.full(len(candidates), float(len(mentioned)))
    columns["q_max_bm25"] = np.full(len(candidates), float(raw["bm25"].max()) if len(raw["bm25"]) else 0.0)
    columns["q_voters"] = np.full(len(candidates), float(voters.sum()))
    columns["q_tokens"] = np.full(len(candidates), float(len(context_words)))
    columns["q_has_usage"] = np.full(len(candidates), float(usage.sum() > 0))
    columns["candidate_sources"] = sources[candidates]
    return np.column_stack([columns[f] for f in FEATURES]).astype(np.float32) if len(candidates) \
        else np.zeros((0, len(FEATURES)), dtype=np.float32)
