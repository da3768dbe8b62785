"""Ranking signals and how they are fused.

Each signal gives one score per document. Fusion is either reciprocal rank fusion
(robust when scales differ wildly, used by ``hybrid``) or a weighted sum of
max-normalised scores (used by ``fusion``, where a sparse signal such as usage votes
must be able to lift a document that the others barely see).
"""

from __future__ import annotations

import numpy as np

RRF_K = 60
VOTE_NEIGHBOURS = 20
FUSION_SIGNALS = ("bm25", "votes", "prior", "semantic_votes", "dense")


def fuse(parts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The weighted sum of normalised signals: the one place the fusion is computed.

    Works on one query (vectors) or many (rows): calibration scores every weighting of
    the same signals with it, so what it chooses is exactly what serving computes.
    """
    total = None
    for name, values in parts.items():
        weight = weights.get(name, 0.0)
        if weight:
            total = weight * values if total is None else total + weight * values
    if total is None:
        return np.zeros_like(next(iter(parts.values())), dtype=np.float64)
    return total


def rrf(scores: np.ndarray, has_signal: np.ndarray | None = None) -> np.ndarray:
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    fused = 1.0 / (RRF_K + ranks)
    if has_signal is not None:
        fused = np.where(has_signal, fused, 0.0)
    return fused


def max_normalised(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if len(scores) else 0.0
    return scores / top if top > 0 else np.zeros_like(scores, dtype=np.float64)


def floored(scores: np.ndarray, rank: int = 50) -> np.ndarray:
    """Max-normalised excess over the ``rank``-th best score: a dense similarity is never
    zero, so without a floor every document would get a share of the weight."""
    if not len(scores):
        return np.zeros(0, dtype=np.float64)
    at = len(scores) - min(rank, len(scores))
    floor = np.partition(scores, at)[at]
    return max_normalised(np.clip(scores - floor, 0, None).astype(np.float64))


def neighbour_votes(context_scores: np.ndarray, context_targets: np.ndarray, n_docs: int,
                    neighbours: int = VOTE_NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """Each of the nearest usage contexts votes for the document it went on to call.

    Votes are weighted by the context's similarity relative to the best one, so one
    close precedent outweighs many loose ones. Returns votes and voter counts per document.
    """
    votes = np.zeros(n_docs, dtype=np.float64)
    voters = np.zeros(n_docs, dtype=np.int32)
    if not len(context_scores):
        return votes, voters
    k = min(neighbours, len(context_scores))
    nearest = np.argpartition(-context_scores, k - 1)[:k]
    best = float(context_scores[nearest].max())
    if best <= 0:
        return votes, voters
    voting = nearest[context_scores[nearest] > 0]  # in the same order as a loop over ``nearest`` would add them
    targets = context_targets[voting]
    votes = np.bincount(targets, weights=context_scores[voting] / best, minlength=n_docs).astype(np.float64)
    voters = np.bincount(targets, minlength=n_docs).astype(np.int32)
    return votes, voters


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best indices, best first; equal scores rank by index.

    Why the tie rule: ``argpartition`` picks arbitrarily among scores tied at the cut, and picks
    differently for another ``k``. A reranker that re-orders a first stage's top N asked for
    ``top_k(score, N)`` and got other documents than the first ``N`` of ``top_k(score, 10)``, so the
    same query answered with other namespaces depending on how deep it was read.
    """
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.array([], dtype=int)
    part = np.argpartition(-scores, k - 1)[:k]
    if k < n:
        kth = scores[part].min()
        tied = np.flatnonzero(scores == kth)  # one pass; usually just the one at the cut
        if len(tied) > 1:
            above = part[scores[part] > kth]
            part = np.concatenate((above, tied[:k - len(above)]))
    return part[np.lexsort((part, -scores[part]))]
