"""Training data for rerankers and query encoders: (query, positive, hard negatives).

The query is what the retriever sees at serving time (the last lines before the
cursor, plus a little code after it), the positive is the target API's document, and
the negatives are the documents the current retriever ranks highest that are *not*
the answer: those teach a reranker more than random ones. Two kinds of "negative" are
really false negatives and are left out: another document for the target namespace,
and APIs the very same call line also uses (``new GlideRecord(...)`` beside the
target is right, not wrong).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from deepcodeseek import atomic
from deepcodeseek.datasets.splits import SplitLabels, label_for
from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.text import last_lines

QUERY_BEFORE_LINES = 10
QUERY_AFTER_LINES = 3
PROVENANCE_KEY = b"deepcodeseek.provenance"
GENERATOR = "deepcodeseek.datasets.triplets"

TRIPLET_SCHEMA = pa.schema([
    ("query_id", pa.string()), ("query", pa.string()),
    ("positive_namespace", pa.string()), ("positive", pa.string()),
    ("negative_namespaces", pa.list_(pa.string())), ("negatives", pa.list_(pa.string())),
    ("split", pa.string()), ("source", pa.string()),
])
PAIR_SCHEMA = pa.schema([
    ("query_id", pa.string()), ("query", pa.string()), ("namespace", pa.string()),
    ("document", pa.string()), ("label", pa.int8()),
])


def build_query(sample: Sample) -> str:
    """The serving-time query: the last non-blank lines before the cursor, then the
    first non-blank lines after it when there are any (never the call line itself)."""
    query = last_lines(sample.code_before, QUERY_BEFORE_LINES)
    after = [line for line in sample.code_after.replace("\r\n", "\n").split("\n") if line.strip()]
    if after:
        query += "\n" + "\n".join(after[:QUERY_AFTER_LINES])
    return query


def _short(namespace: str) -> str:
    """Benchmarks may name a target by its API name (``x_acme.CaseUtils``); documents
    are keyed by the bare namespace, as ``read_benchmark`` does."""
    return namespace.rsplit(".", 1)[-1]


def named_in(line: str, namespace: str) -> bool:
    """Whether ``line`` names ``namespace`` as a whole identifier: ``CaseUtils`` is in
    ``new x_acme.CaseUtils()`` but not in ``CaseUtilsV2``."""
    if not namespace:
        return False
    return re.search(rf"(?<![\w$]){re.escape(namespace)}(?![\w$])", line) is not None


def _sample_rng(seed: int, sample_id: str) -> np.random.Generator:
    """A generator per sample, so a sample's random negatives do not depend on which
    other samples were built before it."""
    digest = hashlib.blake2b(sample_id.encode("utf-8"), digest_size=8).digest()
    return np.random.default_rng([seed, int.from_bytes(digest, "big")])


def _excluded(sample: Sample, namespace: str, target: str, exclude_same_line: bool) -> bool:
    if namespace == target:
        return True
    return exclude_same_line and named_in(sample.code_middle, namespace)


def hard_negatives(sample: Sample, namespaces: Sequence[str], scores: np.ndarray, target_index: int,
                   count: int, pool: int, exclude_same_line: bool = True) -> list[int]:
    """Indices of the best-scoring documents in the top ``pool`` that are not false
    negatives, best first (ties broken by document order, for determinism)."""
    scores = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-np.inf)
    order = np.argsort(-scores, kind="stable")[:pool]
    target = namespaces[target_index]
    picked: list[int] = []
    for index in order.tolist():
        if len(picked) == count:
            break
        if index != target_index and not _excluded(sample, namespaces[index], target, exclude_same_line):
            picked.append(index)
    return picked


def random_negatives(sample: Sample, namespaces: Sequence[str], target_index: int, taken: list[int],
                     count: int, rng: np.random.Generator, exclude_same_line: bool = True) -> list[int]:
    """Seeded random fill-up for when the hard pool runs short, under the same exclusions."""
    target = namespaces[target_index]
    chosen = set(taken)
    picked: list[int] = []
    for index in rng.permutation(len(namespaces)).tolist():
        if len(picked) == count:
            break
        if index == target_index or index in chosen:
            continue
        if not _excluded(sample, namespaces[index], target, exclude_same_line):
            picked.append(index)
    return picked


def build_triplets(samples: Iterable[Sample], documents: Sequence[Mapping], scores_for: Callable[[Sample], np.ndarray],
                   *, negatives_per_query: int = 4, hard_pool: int = 30, exclude_same_line: bool = True,
                   seed: int = 0, split: SplitLabels = None) -> pa.Table:
    """One row per sample whose target has a document; hard negatives first, then
    random ones if the pool ran short.

    ``documents`` are ordered as the vectors ``scores_for`` returns. ``split`` tags
    rows (one name, or sample id -> name). Samples whose target has no document, or
    that end up with no negative at all, are left out: they cannot teach a contrast.
    """
    namespaces = [str(doc["namespace"]) for doc in documents]
    position = {ns: i for i, ns in reversed(list(enumerate(namespaces)))}  # first document wins
    rows: dict[str, list] = {field.name: [] for field in TRIPLET_SCHEMA}
    for sample in samples:
        target_index = position.get(_short(sample.target_namespace))
        if target_index is None:
            continue
        negatives = _negatives(sample, namespaces, scores_for, target_index, negatives_per_query,
                               hard_pool, exclude_same_line, seed)
        if negatives:
            _append_row(rows, sample, documents, target_index, negatives, label_for(split, sample.id))
    return pa.table(rows, schema=TRIPLET_SCHEMA)


def _negatives(sample: Sample, namespaces: Sequence[str], scores_for: Callable[[Sample], np.ndarray],
               target_index: int, count: int, pool: int, exclude_same_line: bool, seed: int) -> list[int]:
    scores = np.asarray(scores_for(sample))
    if scores.shape != (len(namespaces),):
        raise ValueError(f"scores_for({sample.id!r}) returned shape {scores.shape}, "
                         f"expected ({len(namespaces)},): one score per document")
    picked = hard_negatives(sample, namespaces, scores, target_index, count, pool, exclude_same_line)
    if len(picked) < count:
        picked += random_negatives(sample, namespaces, target_index, picked, count - len(picked),
                                   _sample_rng(seed, sample.id), exclude_same_line)
    return picked


def _append_row(rows: dict[str, list], sample: Sample, documents: Sequence[Mapping], target_index: int,
                negatives: list[int], split: str | None) -> None:
    rows["query_id"].append(sample.id)
    rows["query"].append(build_query(sample))
    rows["positive_namespace"].append(str(documents[target_index]["namespace"]))
    rows["positive"].append(str(documents[target_index]["text"]))
    rows["negative_namespaces"].append([str(documents[i]["namespace"]) for i in negatives])
    rows["negatives"].append([str(documents[i]["text"]) for i in negatives])
    rows["split"].append(split)
    rows["source"].append(sample.source)


def yes_no_pairs(triplets: pa.Table, seed: int = 0) -> pa.Table:
    """Balanced pointwise pairs for a yes/no reranker: per triplet the positive
    (label 1) and the hardest negative (label 0). Rows are shuffled with ``seed`` so a
    trainer reading in order never sees long runs of one label or one query."""
    rows: dict[str, list] = {field.name: [] for field in PAIR_SCHEMA}
    for row in triplets.select(["query_id", "query", "positive_namespace", "positive",
                                "negative_namespaces", "negatives"]).to_pylist():
        if not row["negatives"]:
            continue
        for namespace, document, label in ((row["positive_namespace"], row["positive"], 1),
                                           (row["negative_namespaces"][0], row["negatives"][0], 0)):
            rows["query_id"].append(row["query_id"])
            rows["query"].append(row["query"])
            rows["namespace"].append(namespace)
            rows["document"].append(document)
            rows["label"].append(label)
    table = pa.table(rows, schema=PAIR_SCHEMA)
    return table.take(np.random.default_rng(seed).permutation(table.num_rows))


def _provenance(table: pa.Table, provenance: Mapping) -> dict:
    """The caller's provenance, completed with what the writer itself knows."""
    out = dict(provenance)
    out.setdefault("counts", {"rows": table.num_rows})
    out.setdefault("created_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    out.setdefault("generator", GENERATOR)
    return out


def write_dataset(table: pa.Table, path: Path | str, provenance: Mapping) -> Path:
    """Parquet with its provenance (instance, index version, model, counts,
    created_at, generator) in the schema metadata, so the file alone says where it
    came from. Written beside the destination and renamed into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = dict(table.schema.metadata or {})
    metadata[PROVENANCE_KEY] = json.dumps(_provenance(table, provenance), sort_keys=True, default=str).encode()
    atomic.write_with(path, lambda tmp: pq.write_table(table.replace_schema_metadata(metadata), tmp))
    return path


def read_provenance(path: Path | str) -> dict:
    """The provenance :func:`write_dataset` stored; a file without it is an error, since
    training data of unknown origin should not be used silently."""
    metadata = pq.read_schema(path).metadata or {}
    if PROVENANCE_KEY not in metadata:
        raise ValueError(f"{path} carries no {PROVENANCE_KEY.decode()} metadata")
    return json.loads(metadata[PROVENANCE_KEY])
