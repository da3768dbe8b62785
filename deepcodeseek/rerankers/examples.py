"""Training examples for rerankers: (query, document, label) pairs, from the datasets on disk.

``yes_no_pairs.parquet`` (balanced: the positive and the hardest negative per query) and
``triplets.parquet`` (the positive and several hard negatives) are both turned into
:class:`Pair` lists. Labels are floats so that distillation can pass soft labels
(the teacher's probability of "yes") through the same trainers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from deepcodeseek.rerankers.artefacts import rows_digest


@dataclass(frozen=True)
class Pair:
    query: str
    document: str
    label: float  # 1 relevant, 0 not; in between for a teacher's soft judgement
    query_id: str = ""
    namespace: str = ""


def _rows(table) -> list[dict]:
    """Rows of a pyarrow table, a pandas frame or a list of mappings."""
    if hasattr(table, "to_pylist"):
        return table.to_pylist()
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        return table.to_dict("records")
    return [dict(r) for r in table]


def pairs_from_table(table) -> list[Pair]:
    """Pairs from a table with ``query``, ``document`` and ``label`` (PAIR_SCHEMA, or a score table
    with soft labels); ``query_id`` and ``namespace`` are kept when present."""
    pairs = []
    for i, row in enumerate(_rows(table)):
        missing = [c for c in ("query", "document", "label") if row.get(c) is None]
        if missing:
            raise ValueError(f"pair row {i} (query_id {row.get('query_id')!r}) lacks {', '.join(missing)}")
        pairs.append(Pair(str(row["query"]), str(row["document"]), float(row["label"]),
                          str(row.get("query_id") or ""), str(row.get("namespace") or "")))
    return pairs


def pairs_from_triplets(triplets, negatives_per_query: int = 1) -> list[Pair]:
    """Per triplet the positive and its ``negatives_per_query`` hardest negatives.

    The trainers weight the classes so that positives and negatives count equally
    whatever the ratio here.
    """
    pairs = []
    for row in _rows(triplets):
        qid = str(row.get("query_id") or "")
        pairs.append(Pair(row["query"], row["positive"], 1.0, qid, str(row.get("positive_namespace") or "")))
        for namespace, document in list(zip(row["negative_namespaces"], row["negatives"]))[:negatives_per_query]:
            pairs.append(Pair(row["query"], document, 0.0, qid, namespace))
    return pairs


def pairs_from_cases(cases, documents: Mapping[str, str], negatives_per_query: int = 3) -> list[Pair]:
    """Per training case the target's document and the ``negatives_per_query`` highest candidates
    of the first stage that are not the target.

    A reranker only ever sees the first stage's top N, so it must learn to tell the target from
    what that stage confuses it with. Negatives mined by another retriever (the triplets' base
    fusion) are mostly unrelated Script Includes, and a cross-encoder trained on them learns the
    popularity of the usual platform classes instead. ``documents`` maps a bare namespace to its
    text, for targets the first stage missed."""
    pairs = []
    for case in cases:
        positive = (case.documents[case.namespaces.index(case.target)] if case.target in case.namespaces
                    else documents.get(case.target))
        if positive is None:
            continue
        pairs.append(Pair(case.query, positive, 1.0, case.query_id, case.target))
        others = [(n, d) for n, d in zip(case.namespaces, case.documents) if n != case.target]
        for namespace, document in others[:negatives_per_query]:
            pairs.append(Pair(case.query, document, 0.0, case.query_id, namespace))
    return pairs


def pairs_digest(pairs: Sequence[Pair]) -> str:
    return rows_digest((asdict(p) for p in pairs), ("query", "document", "label"))


def class_weights(labels: np.ndarray) -> np.ndarray:
    """Per-example weights under which hard positives and negatives weigh the same in total
    (soft labels count 1): balanced training whatever the ratio in the data."""
    labels = np.asarray(labels, dtype=np.float64)
    hard_pos, hard_neg = labels == 1.0, labels == 0.0
    weights = np.ones_like(labels)
    if hard_pos.any() and hard_neg.any():
        total = hard_pos.sum() + hard_neg.sum()
        weights[hard_pos] = total / (2 * hard_pos.sum())
        weights[hard_neg] = total / (2 * hard_neg.sum())
    return weights


def script_of(query_id: str, source: str | None = None) -> str:
    """The script a training query came from (``mined:<script>``, else the id's first part),
    so that a query's near-copies (FIM and prefix variants, other lines) stay on its side."""
    if source and source.startswith("mined:"):
        return source.split(":", 1)[1]
    return query_id.split(":", 1)[0]


def calibration_scripts(query_ids: Iterable[str], share: float = 0.2, seed: int = 0,
                        sources: Mapping[str, str] | None = None) -> set[str]:
    """A seeded, hash-based choice of about ``share`` of the scripts, for choosing settings on
    training data when no calibration split is given."""
    scripts = sorted({script_of(q, (sources or {}).get(q)) for q in query_ids})
    chosen = set()
    for s in scripts:
        h = int.from_bytes(hashlib.blake2b(f"{seed}:{s}".encode(), digest_size=8).digest(), "big")
        if h / 2**64 < share:
            chosen.add(s)
    return chosen


def without_scripts(pairs: Sequence[Pair], scripts: set[str]) -> list[Pair]:
    return [p for p in pairs if script_of(p.query_id) not in scripts]


def binary_accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.0) -> float:
    """Share of hard-labelled pairs on the right side of ``threshold`` (score > threshold = yes)."""
    labels = np.asarray(labels)
    hard = (labels == 0) | (labels == 1)
    if not hard.any():
        return float("nan")
    return float(np.mean((np.asarray(scores)[hard] > threshold) == (labels[hard] == 1)))
