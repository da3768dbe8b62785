"""How deep each candidate source should reach, chosen on the calibration split.

The learned ranker's first stage unions every source's first documents (``SOURCE_DEPTH`` in
``deepcodeseek/ranking/features.py``). Nothing after it can recover a target it misses, and every
candidate it adds costs features and model time. For each instance this script computes every
calibration query's source lists once (``source_rankings``, reaching ``--reach`` deep), then replays
the first stage with other depths through the library's own ``candidate_pool``: the recall and pool
size each setting gives, exact (the served depths reproduce the built recall). A greedy search then
deepens, one step at a time, the source that finds the most targets per candidate added, while every
instance's median pool stays within ``--cap``.

    .venv/bin/python benchmarks/candidate_depths.py --home $DEEPCODESEEK_HOME --instance stock --instance corpus

Read the calibration split only (the default); dev is for reporting what the chosen depths give.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deepcodeseek.ranking.features import MAX_CANDIDATES, SOURCE_DEPTH  # noqa: E402

STEPS = (5, 10, 20)


@dataclass
class QueryLists:
    lists: dict[str, np.ndarray]
    fusion: np.ndarray
    targets: np.ndarray


def instance_queries(name: str, home: str, split: str, reach: int) -> list[QueryLists]:
    """Every sample of ``split`` whose target has a document: its source lists and targets."""
    from deepcodeseek.datasets.holdout import exclusions_for
    from deepcodeseek.evaluation.benchmark_build import read_holdout_of, read_split
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.ranking.features import source_rankings
    from deepcodeseek.retrieval.query import Query
    from deepcodeseek.retrieval.retriever import Retriever

    retriever = Retriever(name, home)
    stage = retriever.ranking
    paths = instance_paths(name, home)
    holdout = read_holdout_of(paths)
    namespaces = np.array(retriever.docs.column("namespace"), dtype=object)
    out = []
    started = time.perf_counter()
    for sample in read_split(paths, split):
        targets = np.flatnonzero(namespaces == sample.target_namespace)
        if not len(targets):
            continue
        query = Query(sample.code_before, sample.code_after or None, sample.scope)
        ranked = source_rankings(retriever, query, exclusions_for(sample, holdout), stage.graph,
                                 retriever.fusion_weights, stage.with_dense, retriever._admitted(query.scope), reach)
        out.append(QueryLists(ranked.lists, ranked.parts["fusion"], targets))
    print(f"{name}: {len(out)} {split} queries in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return out


def replay(queries: list[QueryLists], depth: dict[str, int], cap: int) -> tuple[float, float, float]:
    """(recall, median pool, 95th percentile pool) of the first stage with ``depth``."""
    from deepcodeseek.ranking.features import candidate_pool

    found, pools = 0, []
    for q in queries:
        candidates, sources = candidate_pool(q.lists, q.fusion, depth, cap)
        pools.append(int(np.count_nonzero(sources)))
        found += bool(np.isin(q.targets, candidates).any())
    return found / max(1, len(queries)), statistics.median(pools), float(np.percentile(pools, 95))


def source_recall(queries: list[QueryLists], source: str, depth: int) -> float:
    return float(np.mean([bool(np.isin(q.targets, q.lists.get(source, np.zeros(0, int))[:depth]).any())
                          for q in queries]))


def greedy(by_instance: dict[str, list[QueryLists]], start: dict[str, int], cap: int, reach: int,
           steps: int) -> list[tuple[dict[str, int], dict[str, tuple]]]:
    """Depth settings, one deeper source per step, each the most recall per candidate added."""
    def score(depth):
        rows = {n: replay(q, depth, cap) for n, q in by_instance.items()}
        return float(np.mean([r[0] for r in rows.values()])), max(r[1] for r in rows.values()), rows

    depth = dict(start)
    recall, pool, rows = score(depth)
    path = [(dict(depth), rows)]
    for _ in range(steps):
        best = None
        for source in depth:
            for step in STEPS:
                if depth[source] + step > reach:
                    continue
                trial = {**depth, source: depth[source] + step}
                r, p, trial_rows = score(trial)
                if p > cap or r <= recall:
                    continue
                gain = (r - recall) / max(1.0, p - pool)
                if best is None or gain > best[0]:
                    best = (gain, trial, r, p, trial_rows)
        if best is None:
            break
        _, depth, recall, pool, rows = best
        path.append((dict(depth), rows))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", required=True)
    parser.add_argument("--instance", action="append", required=True)
    parser.add_argument("--split", default="calibration")
    parser.add_argument("--reach", type=int, default=100, help="how deep each source's list is kept")
    parser.add_argument("--cap", type=int, default=MAX_CANDIDATES, help="candidates per query at most")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--start", default="", help='depths to start from, as JSON (default: the served ones), '
                        'e.g. \'{"ppr": 15}\' for the depths before this search')
    args = parser.parse_args()
    start = {**SOURCE_DEPTH, **json.loads(args.start)} if args.start else dict(SOURCE_DEPTH)

    by_instance = {n: instance_queries(n, args.home, args.split, args.reach) for n in args.instance}
    print(f"\nEach source alone ({args.split}): share of queries whose target it ranks within the depth\n")
    depths = (10, 15, 30, 40, 60, args.reach)
    print("| instance | source | " + " | ".join(f"@{d}" for d in depths) + " |")
    print("|---|---|" + "---|" * len(depths))
    for name, queries in by_instance.items():
        for source in SOURCE_DEPTH:
            cells = " | ".join(f"{source_recall(queries, source, d):.3f}" for d in depths)
            print(f"| {name} | {source} | {cells} |")

    print(f"\nGreedy deepening from {start} (cap {args.cap}): recall (median / p95 pool) per instance\n")
    print("| step | changed | " + " | ".join(by_instance) + " |")
    print("|---|---|" + "---|" * len(by_instance))
    previous = start
    for i, (depth, rows) in enumerate(greedy(by_instance, start, args.cap, args.reach, args.steps)):
        changed = ", ".join(f"{s} {previous[s]} -> {depth[s]}" for s in depth if depth[s] != previous[s]) or "start"
        cells = " | ".join(f"{r:.3f} ({p:.0f} / {p95:.0f})" for r, p, p95 in rows.values())
        print(f"| {i} | {changed} | {cells} |")
        previous = depth
    print(f"\nfinal depths: {previous}")


if __name__ == "__main__":
    main()
