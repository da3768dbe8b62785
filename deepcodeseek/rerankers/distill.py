"""Distillation for the CPU (the issue's 3c): the LM reranker's judgements, in a model a CPU
query can afford.

The LM reranker scores each (query, candidate) pair of the training queries; its
margin logit("yes") - logit("no") becomes a soft label sigmoid(margin / T), and the
MiniLM cross-encoder learns those labels (binary cross-entropy on soft targets).
The same scores are written as a table keyed by (query_id, namespace), so a
learned ranker can use them as a feature or a label.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from deepcodeseek.rerankers.artefacts import Progress, TrainingSummary
from deepcodeseek.rerankers.base import Reranker
from deepcodeseek.rerankers.candidates import RerankCase
from deepcodeseek.rerankers.cross_encoder import (
    DEFAULT_BASE,
    CrossEncoderConfig,
    CrossEncoderReranker,
    train_cross_encoder,
)
from deepcodeseek.rerankers.examples import Pair

LM_SCORE_SCHEMA = pa.schema([
    ("query_id", pa.string()), ("query", pa.string()), ("namespace", pa.string()), ("document", pa.string()),
    ("candidate_rank", pa.int32()), ("lm_score", pa.float32()), ("label", pa.int8()), ("model", pa.string()),
])


def lm_score_table(reranker: Reranker, cases: Sequence[RerankCase], top_n: int,
                   progress: Progress = None) -> pa.Table:
    """The teacher's score for each of the first ``top_n`` candidates of every case.

    ``label`` is 1 for the case's target and 0 for the other candidates, so the table
    also serves as a ranking dataset.
    """
    rows: dict[str, list] = {f.name: [] for f in LM_SCORE_SCHEMA}
    started = time.perf_counter()
    for i, case in enumerate(cases, start=1):
        documents = case.documents[:top_n]
        scores = reranker.score(case.query, documents)
        for rank, (namespace, document, score) in enumerate(zip(case.namespaces, documents, scores)):
            rows["query_id"].append(case.query_id)
            rows["query"].append(case.query)
            rows["namespace"].append(namespace)
            rows["document"].append(document)
            rows["candidate_rank"].append(rank)
            rows["lm_score"].append(float(score))
            rows["label"].append(int(namespace == case.target))
            rows["model"].append(reranker.name)
        if progress and (i % 10 == 0 or i == len(cases)):
            progress(f"{reranker.name} scores: {i}/{len(cases)} queries ({time.perf_counter() - started:.0f} s)")
    return pa.table(rows, schema=LM_SCORE_SCHEMA)


def soft_pairs(scores: pa.Table, temperature: float = 1.0, hard_weight: float = 0.0) -> list[Pair]:
    """Pairs labelled sigmoid(lm_score / temperature), mixed with the hard label by ``hard_weight``."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    pairs = []
    for row in scores.select(["query_id", "query", "namespace", "document", "lm_score", "label"]).to_pylist():
        soft = 1.0 / (1.0 + math.exp(-float(row["lm_score"]) / temperature))
        label = (1 - hard_weight) * soft + hard_weight * float(row["label"] if row["label"] is not None else soft)
        pairs.append(Pair(row["query"], row["document"], round(label, 6), row["query_id"], row["namespace"]))
    return pairs


def distil_cross_encoder(scores: pa.Table, home: Path | str, config: CrossEncoderConfig = CrossEncoderConfig(),
                         temperature: float = 1.0, hard_weight: float = 0.0, base: str = DEFAULT_BASE,
                         name: str = "cross-encoder-distilled", device: str = "auto", progress: Progress = None,
                         dev_pairs: Sequence[Pair] | None = None) -> tuple[CrossEncoderReranker, TrainingSummary]:
    """A cross-encoder trained on the teacher's soft labels (content-addressed like any other)."""
    pairs = soft_pairs(scores, temperature, hard_weight)
    return train_cross_encoder(pairs, home, config, base, name, device, progress, dev_pairs)


def teacher_agreement(student: Reranker, scores: pa.Table) -> float:
    """Spearman-free agreement: share of the teacher's pairwise orders within a query the student keeps."""
    agree = total = 0
    by_query: dict[str, list[dict]] = {}
    for row in scores.select(["query_id", "query", "document", "lm_score"]).to_pylist():
        by_query.setdefault(row["query_id"], []).append(row)
    for rows in by_query.values():
        teacher = np.array([r["lm_score"] for r in rows])
        mine = student.score(rows[0]["query"], [r["document"] for r in rows])
        for a in range(len(rows)):
            for b in range(a + 1, len(rows)):
                if teacher[a] != teacher[b]:
                    total += 1
                    agree += (teacher[a] > teacher[b]) == (mine[a] > mine[b])
    return agree / total if total else float("nan")
