"""The ranker's training features in one process against several (``deepcodeseek.ranking.feature_workers``).

Usage:
    .venv/bin/python benchmarks/feature_workers.py --home $DEEPCODESEEK_HOME --instance corpus \
        --queries 3000 --workers 2 [--pairs]

Times ``training.training_groups_of`` over the first ``--queries`` training queries of the published
version, as the build computes them (the build's cold-start copies and target weights), first in this
process, then in ``--workers`` spawned processes, and checks that the groups are the same to the bit and
in the same order. ``--pairs`` passes the stages of every student that a build would pair (the cheaper
students of ``ranking.pairing``), as the pairs' one pass does; without it, the served encoder's stage
alone (the first ranker's pass). Prints wall seconds, queries per second and the ratio of the two, with
the load average beside them: on a shared machine the ratio is what the other work left.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pairs", action="store_true", help="every student a build would pair, in one pass")
    args = parser.parse_args()
    from deepcodeseek.ranking.feature_workers import PARALLEL_MIN_QUERIES, worker_count

    stages, samples, holdout = stages_and_queries(args.home, args.instance, args.queries, args.pairs)
    if worker_count(args.workers, len(samples)) < 2:
        raise SystemExit(f"{len(samples)} queries with --workers {args.workers}: the build would use one process "
                         f"(at least {PARALLEL_MIN_QUERIES} queries and 2 workers spread them)")
    print(f"{args.instance}: {len(samples)} training queries, {len(stages)} stage(s) "
          f"({', '.join(s.retriever.query_encoder_name for s in stages)})", flush=True)
    one, one_s = timed(stages, samples, holdout, 1)
    many, many_s = timed(stages, samples, holdout, args.workers)
    row = {"instance": args.instance, "queries": len(samples), "stages": len(stages),
           "one_process_s": round(one_s, 1), f"{args.workers}_processes_s": round(many_s, 1),
           "speedup": round(one_s / many_s, 2), "queries_per_s": [round(len(samples) / one_s, 1),
                                                                  round(len(samples) / many_s, 1)],
           "identical": all(same_groups(a, b) for a, b in zip(one, many)), "load_average": os.getloadavg()[0]}
    print(json.dumps(row), flush=True)


def stages_and_queries(home: Path, instance: str, queries: int, pairs: bool) -> tuple[list, list, object]:
    """The ranking stages the build would train (the served encoder's, or every paired student's), the
    first ``queries`` training queries, and the version's hold-out."""
    from deepcodeseek.encoders.measure import TEACHER
    from deepcodeseek.evaluation.benchmark import read_benchmark
    from deepcodeseek.evaluation.benchmark_build import ranker_queries_path, read_holdout_of
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.retrieval.retriever import Retriever

    paths = instance_paths(instance, home)
    served = Retriever(instance, str(home))
    stages = [served.ranking]
    if pairs:
        manifest = served.manifest
        folders = (manifest.get("query_encoders") or {}).get("students") or {}
        tried = [p["student"] for p in (manifest.get("paired_query_encoder") or {}).get("pairs", [])]
        if not tried:
            raise SystemExit(f"{instance}: the published version paired no student (see benchmarks/pairing.py)")
        stages = [Retriever(instance, str(home), manifest={**manifest, "query_encoder": {"name": n, "model": folders[n]}}
                            ).ranking for n in tried if n != TEACHER]
    samples = read_benchmark(ranker_queries_path(paths), served.docs.namespaces()).samples[:queries]
    return stages, samples, read_holdout_of(paths)


def timed(stages: list, samples: list, holdout, workers: int) -> tuple[list, float]:
    from deepcodeseek.ranking.ranker import RankerConfig
    from deepcodeseek.ranking.training import training_groups_of

    config = RankerConfig()  # every one of the given queries: what is timed is the pass, not the sampling
    started = time.perf_counter()
    groups = training_groups_of(stages, samples, holdout, None, config.cold_copies_max_callers,
                                config.target_weight_cap, workers)
    seconds = time.perf_counter() - started
    print(f"  {workers} process(es): {seconds:.1f} s", flush=True)
    return groups, seconds


def same_groups(ours: tuple, theirs: tuple) -> bool:
    """(training groups, validation groups, candidates' recall) equal to the bit, in the same order."""
    (train, valid, recall), (train2, valid2, recall2) = ours, theirs
    return (recall == recall2 and len(train) == len(train2) and len(valid) == len(valid2)
            and all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
                    for a, b in zip(train + valid, train2 + valid2)))


if __name__ == "__main__":
    main()
