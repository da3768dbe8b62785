"""Contrastive training examples from an instance's call sites and mined triplets.

Two sources, both mapping a code context to the document of the namespace it called:
- the train split's triplets (serving-time queries with dense hard negatives);
- the usage contexts of every call site whose script is not held out, capped per
  target so that ``gs`` and ``GlideRecord`` do not drown the rest, each with a BM25
  hard negative: a document that shares words with the context but was not called.

Scripts of calibration, dev or test groups (``datasets.holdout``: a sample's script
and its near-duplicates) are held out entirely, so a tuned model is never scored, nor
calibrated, on code it was trained on.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from deepcodeseek.datasets.splits import mined_script
from deepcodeseek.datasets.triplets import named_in
from deepcodeseek.index.bm25 import BM25Index
from deepcodeseek.index.contexts import UsageContext

PER_TARGET = 24
HARD_POOL = 5


@dataclass(frozen=True)
class ContrastiveExample:
    query: str
    positive: str
    target: str  # the positive's namespace: a batch never holds two examples of one target
    negative: str | None = None
    negative_target: str | None = None
    origin: str = "usage"  # usage | triplet
    caller: str | None = None  # the script the query came from (mined examples): what the held-out rule checks


def from_triplets(table: pa.Table | None) -> list[ContrastiveExample]:
    """Train-split triplets with their hardest negative."""
    if table is None or table.num_rows == 0:
        return []
    columns = ["query", "positive", "positive_namespace", "negatives", "negative_namespaces", "split"]
    rows = table.select(columns + (["source"] if "source" in table.column_names else []))
    out = []
    for row in rows.to_pylist():
        if row["split"] != "train":
            continue
        negative = row["negatives"][0] if row["negatives"] else None
        negative_target = row["negative_namespaces"][0] if row["negative_namespaces"] else None
        out.append(ContrastiveExample(row["query"], row["positive"], row["positive_namespace"], negative,
                                      negative_target, origin="triplet", caller=mined_script(row.get("source"))))
    return out


def from_usage_contexts(contexts: Sequence[UsageContext], documents: Sequence[Mapping], held_out: Set[str],
                        per_target: int = PER_TARGET, seed: int = 0) -> list[ContrastiveExample]:
    """Call-site contexts (not held out, at most ``per_target`` per namespace) with a BM25 hard negative."""
    by_sys_id = {d["sys_id"]: i for i, d in enumerate(documents)}
    by_target: dict[int, list[UsageContext]] = defaultdict(list)
    for c in contexts:
        if c.caller_sys_id not in held_out and c.target_sys_id in by_sys_id:
            by_target[by_sys_id[c.target_sys_id]].append(c)
    chosen: list[tuple[int, UsageContext]] = []
    for target in sorted(by_target):
        group = by_target[target]
        # A generator per target (seeded by its sys_id): a change to one namespace's call
        # sites leaves every other namespace's picks as they were (warm starts rely on it).
        rng = np.random.default_rng([seed, int(hashlib.sha256(documents[target]["sys_id"].encode()).hexdigest()[:8], 16)])
        picks = rng.permutation(len(group))[:per_target] if len(group) > per_target else range(len(group))
        chosen.extend((target, group[i]) for i in picks)
    if not chosen:
        return []
    lexical = BM25Index.build([d["text"] for d in documents])
    namespaces = [str(d["namespace"]) for d in documents]
    out = []
    for target, context in chosen:
        negative = _hard_negative(lexical.scores(context.text), target, namespaces, context.text)
        out.append(ContrastiveExample(
            context.text, documents[target]["text"], namespaces[target],
            documents[negative]["text"] if negative is not None else None,
            namespaces[negative] if negative is not None else None, caller=context.caller_sys_id))
    return out


def _hard_negative(scores: np.ndarray, target: int, namespaces: Sequence[str], context: str) -> int | None:
    """The best-scoring document that is neither the target nor named on the call line
    (an API used on the same line is a co-usage, not a wrong answer)."""
    call_line = context.rstrip().rsplit("\n", 1)[-1]
    for index in np.argsort(-scores, kind="stable")[:HARD_POOL].tolist():
        if scores[index] <= 0:
            break
        if namespaces[index] != namespaces[target] and not named_in(call_line, namespaces[index]):
            return index
    return None


def examples_digest(examples: Sequence[ContrastiveExample]) -> str:
    """Content hash of the training data: the tuned model is keyed by it, so unchanged data reuses the model."""
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.query}\x00{e.positive}\x00{e.negative}\x00{e.target}\x01".encode())
    return h.hexdigest()
