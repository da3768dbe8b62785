"""An instance's completion benchmark and training data, mined from its own code.

Samples are mined from call sites (the instance's Script Includes and, when configured,
the platform's classes), leaks and near-duplicates removed, then split
train/calibration/dev/test by groups of scripts (a script and its near-duplicates),
so that no script feeds two splits. The held-out rule this makes
(``datasets.holdout``) is written beside the splits, and every consumer reads it from
there. Calibration chooses, dev reports, test is read once per release; triplets for
rerankers and query encoders come from the train split only.
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
    write_dataset,
    write_samples_jsonl,
    yes_no_pairs,
)
from deepcodeseek.datasets.holdout import (
    DATASETS_DIR,
    CallContext,
    HoldOut,
    assign_splits,
    near_duplicate_links,
    read_holdout,
    script_groups,
    script_of,
    write_holdout,
)
from deepcodeseek.datasets.query_vectors import query_vectors
from deepcodeseek.datasets.splits import SPLITS, split_of
from deepcodeseek.datasets.triplets import build_query
from deepcodeseek.evaluation.benchmark import Sample, read_benchmark
from deepcodeseek.evaluation.intent_judge import judge_samples
from deepcodeseek.evaluation.mining import cap_per_namespace, mine_call_site_samples
from deepcodeseek.index.contexts import load_usage_contexts
from deepcodeseek.index.embedder import Embedder
from deepcodeseek.paths import InstancePaths
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.store.duckdb_store import InstanceStore

EVALUATION_SPLIT = "dev"
CALIBRATION_SPLIT = "calibration"


def datasets_dir(paths: InstancePaths) -> Path:
    return paths.root / DATASETS_DIR


def split_path(paths: InstancePaths, split: str) -> Path:
    return datasets_dir(paths) / f"benchmark_{split}.jsonl"


@dataclass
class BenchmarkSummary:
    mined: int = 0
    duplicates_removed: int = 0
    prefix_leaks: int = 0  # dropped: the prefix named the target
    suffix_cut: int = 0  # kept with the suffix cut before it names the target
    by_split: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    clear_intent: int = 0
    namespaces: int = 0
    grouped_scripts: int = 0  # scripts that share a group with a near-duplicate
    held_out_scripts: int = 0  # scripts of calibration, dev and test groups
    ranker_queries: int = 0  # first calls of free scripts, for learned rankers (before FIM variants)
    path: str = ""
    judge: str = ""
    llm_calls: int = 0
    llm_cost_usd: float = 0.0


def build_benchmark(store: InstanceStore, paths: InstancePaths, split_by: str = "source",
                    llm=None) -> BenchmarkSummary:
    """Mine, de-duplicate, group and split; each split is written with FIM and prefix-only variants.

    ``split_by="namespace"`` makes the splits namespace-disjoint (for measuring how a
    trained model does on APIs it never saw) instead of grouped by source script; the
    held-out rule then holds out a script group wherever one of its samples is held out.
    """
    mined = mine_call_site_samples(store)
    kept, removed = dedupe(mined.samples)
    kept = cap_per_namespace(kept)
    kept, judge, usage = judge_samples(kept, llm)
    holdout = _holdout(store, mined.samples, kept, removed, split_by)
    splits = {name: [] for name in SPLITS}
    for sample in kept:
        name = holdout.split_of_sample(sample) if split_by == "source" else split_of(sample.target_namespace)
        if name == "train" and holdout.split_of_sample(sample) != "train":
            continue  # a training namespace in a held-out script: in no split, never trained on
        splits[name].append(sample)
    folder = datasets_dir(paths)
    labels = {s.id: name for name, members in splits.items() for s in members}
    write_samples_jsonl([s for s in kept if s.id in labels], folder / "benchmark.jsonl", split=labels, judge=judge)
    for name in SPLITS:
        write_samples_jsonl(fim_variants(splits[name]), split_path(paths, name), split=name, judge=judge)
    write_holdout(holdout, folder)
    held_out = holdout.held_out()
    learnable = [s for s in mined.samples if script_of(s) not in held_out]  # uncapped: every free first call
    write_samples_jsonl(fim_variants(learnable), ranker_queries_path(paths), split="train", judge=judge)
    grouped = sum(len(m) for m in holdout.members.values() if len(m) > 1)
    return BenchmarkSummary(
        mined=len(mined.samples), duplicates_removed=len(removed), prefix_leaks=mined.prefix_leaks,
        suffix_cut=mined.suffix_cut, by_split={k: len(v) for k, v in splits.items()},
        by_kind=dict(Counter(s.kind for s in kept)), clear_intent=sum(bool(s.clear_intent) for s in kept),
        namespaces=len({s.target_namespace for s in kept}), grouped_scripts=grouped,
        held_out_scripts=len(held_out), ranker_queries=len(learnable), path=str(folder / "benchmark.jsonl"),
        judge=judge, llm_calls=usage.calls, llm_cost_usd=usage.cost_usd,
    )


def _holdout(store: InstanceStore, candidates: list[Sample], kept: list[Sample],
             removed: list[tuple[str, str, float]], split_by: str) -> HoldOut:
    """Group scripts by near-duplicate links (de-duplicated twins and same-target usage contexts), then split."""
    by_id = {s.id: s for s in candidates}
    twins = [(script_of(by_id[a]), script_of(by_id[b])) for a, b, _ in removed]
    contexts = [CallContext(c.caller_sys_id, c.target_sys_id, c.text) for c in load_usage_contexts(store)]
    links = [(a, b) for a, b in twins if a and b] + near_duplicate_links(contexts)
    groups = script_groups([script_of(s) for s in kept if script_of(s)], links)
    if split_by == "source":
        return assign_splits(kept, groups)
    # Namespace-disjoint: a group is held out with the most held-out split any of its samples has.
    rank = {name: i for i, name in enumerate(SPLITS)}
    groups = {**groups, **{script_of(s): groups.get(script_of(s), script_of(s)) for s in kept if script_of(s)}}
    splits: dict[str, str] = {}
    for sample in kept:
        group = groups[script_of(sample)]
        name = split_of(sample.target_namespace)
        if rank[name] >= rank[splits.get(group, "train")]:
            splits[group] = name
    return HoldOut(groups=groups, splits=splits)


def ranker_queries_path(paths: InstancePaths) -> Path:
    """Training queries for learned rankers: every leak-free first call of a script that is not held out."""
    return datasets_dir(paths) / "ranker_train.jsonl"


def read_holdout_of(paths: InstancePaths) -> HoldOut:
    """The instance's held-out rule, as its last benchmark build wrote it."""
    return read_holdout(datasets_dir(paths))


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
    docs = retriever.docs
    documents = [{"namespace": n, "api_name": a, "text": t}
                 for n, a, t in zip(docs.column("namespace"), docs.column("api_name"), docs.texts())]
    vectors = retriever.vectors
    texts = {s.id: build_query(s) for s in train}
    by_text = query_vectors(paths.root, embedder, list(texts.values()))  # only new queries are encoded

    def scores_for(sample: Sample) -> np.ndarray:
        return vectors @ by_text[texts[sample.id]]

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
        h.update(f"{s.id}|{s.target_namespace}|{len(s.code_before)}|{len(s.code_after)}".encode())
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
