"""An instance's completion benchmark and training data, mined from its own code.

Samples are mined from call sites (the instance's Script Includes and, when configured,
the platform's classes), leaks and near-duplicates removed, then split train/dev/test
by source script so that no script feeds two splits. Evaluation reads the dev split;
triplets for rerankers and query encoders come from the train split only.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from deepcodeseek.datasets import (
    build_triplets,
    dedupe,
    fim_variants,
    read_provenance,
    split_by_namespace,
    split_by_source,
    split_labels,
    write_dataset,
    write_samples_jsonl,
    yes_no_pairs,
)
from deepcodeseek.datasets.triplets import build_query
from deepcodeseek.evaluation.benchmark import Sample, read_benchmark
from deepcodeseek.evaluation.intent_judge import judge_samples
from deepcodeseek.evaluation.mining import mine_call_site_samples
from deepcodeseek.index.embedder import Embedder
from deepcodeseek.paths import InstancePaths
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.store.duckdb_store import InstanceStore

SPLITS = ("train", "dev", "test")
EVALUATION_SPLIT = "dev"


def datasets_dir(paths: InstancePaths) -> Path:
    return paths.root / "datasets"


def split_path(paths: InstancePaths, split: str) -> Path:
    return datasets_dir(paths) / f"benchmark_{split}.jsonl"


@dataclass
class BenchmarkSummary:
    mined: int = 0
    duplicates_removed: int = 0
    by_split: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    clear_intent: int = 0
    namespaces: int = 0
    path: str = ""
    judge: str = ""
    llm_calls: int = 0
    llm_cost_usd: float = 0.0


def build_benchmark(store: InstanceStore, paths: InstancePaths, split_by: str = "source",
                    llm=None) -> BenchmarkSummary:
    """Mine, de-duplicate and split; each split is written with FIM and prefix-only variants.

    ``split_by="namespace"`` makes the splits namespace-disjoint (for measuring how a
    trained model does on APIs it never saw) instead of grouped by source script.
    """
    mined = mine_call_site_samples(store)
    kept, removed = dedupe(mined)
    kept, judge, usage = judge_samples(kept, llm)
    splits = split_by_namespace(kept) if split_by == "namespace" else split_by_source(kept)
    labels = split_labels(splits)
    folder = datasets_dir(paths)
    write_samples_jsonl(kept, folder / "benchmark.jsonl", split=labels, judge=judge)
    for name in SPLITS:
        write_samples_jsonl(fim_variants(splits[name]), split_path(paths, name), split=name, judge=judge)
    return BenchmarkSummary(
        mined=len(mined), duplicates_removed=len(removed), by_split={k: len(v) for k, v in splits.items()},
        by_kind=dict(Counter(s.kind for s in kept)), clear_intent=sum(bool(s.clear_intent) for s in kept),
        namespaces=len({s.target_namespace for s in kept}), path=str(folder / "benchmark.jsonl"),
        judge=judge, llm_calls=usage.calls, llm_cost_usd=usage.cost_usd,
    )


def read_split(paths: InstancePaths, split: str = EVALUATION_SPLIT, known: set[str] | None = None) -> list[Sample]:
    path = split_path(paths, split)
    return read_benchmark(path, known).samples if path.exists() else []


@dataclass
class TripletsSummary:
    triplets: int
    pairs: int
    queries_without_target: int
    path: str
    reused: bool = False


def build_training_triplets(paths: InstancePaths, home: str, embedder: Embedder,
                            version: str | None = None) -> TripletsSummary:
    """Train-split queries with their target's document and hard negatives from the dense embedder.

    ``version`` is the base version ``embedder`` embedded; by default the published one,
    which must then be embedded by the same model.
    """
    retriever = Retriever(paths.instance, home, embedder=embedder, version=version)
    train = read_split(paths, "train")
    folder = datasets_dir(paths)
    key = _triplets_key(retriever.version, embedder.name, train)
    reused = _reuse(folder, key)
    if reused is not None:
        return reused
    documents = [{"namespace": d["namespace"], "api_name": d["api_name"], "text": d["text"]} for d in retriever.docs]
    vectors = retriever.vectors

    def scores_for(sample: Sample) -> np.ndarray:
        return vectors @ embedder.embed_query(build_query(sample))

    table = build_triplets(train, documents, scores_for, split="train")
    pairs = yes_no_pairs(table)
    provenance = {"instance": paths.instance, "index_version": retriever.version, "model": embedder.name,
                  "split": "train", "negatives": "dense hard negatives, same-line namespaces excluded", "key": key}
    write_dataset(table, folder / "triplets.parquet", provenance)
    write_dataset(pairs, folder / "yes_no_pairs.parquet", provenance)
    known = {d["namespace"] for d in documents}
    return TripletsSummary(triplets=table.num_rows, pairs=pairs.num_rows,
                           queries_without_target=sum(1 for s in train if s.target_namespace not in known),
                           path=str(folder / "triplets.parquet"))


def _triplets_key(version: str, model: str, train: list[Sample]) -> str:
    h = hashlib.sha256(f"{version}|{model}".encode())
    for s in train:
        h.update(f"{s.id}|{s.target_namespace}|{len(s.code_before)}".encode())
    return h.hexdigest()


def _reuse(folder: Path, key: str) -> TripletsSummary | None:
    """The stored triplets when they were built from the same index version and train split."""
    try:
        if read_provenance(folder / "triplets.parquet").get("key") != key:
            return None
        triplets = pq.read_metadata(folder / "triplets.parquet").num_rows
        pairs = pq.read_metadata(folder / "yes_no_pairs.parquet").num_rows
    except (FileNotFoundError, ValueError, OSError):
        return None
    return TripletsSummary(triplets=triplets, pairs=pairs, queries_without_target=0,
                           path=str(folder / "triplets.parquet"), reused=True)
