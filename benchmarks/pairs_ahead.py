"""The first ranker's training features and the pairs' in two passes, against one pass (``training.GroupsAhead``).

Usage:
    .venv/bin/python benchmarks/pairs_ahead.py --home $DEEPCODESEEK_HOME --instance corpus --queries 1000

A build trains the first ranker with the served encoder's similarities, then a ranker for each cheaper
student it pairs (``ranking.pairing``). Both passes compute every training query's encoder-free signals
(BM25, votes, the graph); with the pairs' stages guessed ahead (``pairing.pairs_ahead``), one pass computes
them once for all. This times, in one process and in the same run, the two passes as a build made them
before, and the one pass, over the first ``--queries`` training queries of the published version; it checks
that every stage's groups are the same to the bit, and prints the seconds of each of ``--rounds`` alternated
rounds, the ratio of their medians and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--first", help="the encoder the first ranker trained with (default: the one the query "
                        "encoders' choice named through the fusion, as the version's note says)")
    parser.add_argument("--rounds", type=int, default=2, help="alternate the two ways this many times; medians")
    args = parser.parse_args()
    from feature_workers import same_groups, stages_and_queries

    pairs, samples, holdout = stages_and_queries(args.home, args.instance, args.queries, True)
    first = [first_stage(args.home, args.instance, args.first)]
    print(f"{args.instance}: {len(samples)} training queries; first ranker "
          f"{first[0].retriever.query_encoder_name}, pairs {', '.join(s.retriever.query_encoder_name for s in pairs)}",
          flush=True)
    passes(first + pairs, samples[:20], holdout)  # load what every stage reads lazily, outside the timings
    two, one = [], []
    for _ in range(args.rounds):  # alternated, so that neither way always runs on a warmer cache
        (alone, pairs_alone), seconds = timed(lambda: (passes(first, samples, holdout), passes(pairs, samples, holdout)))
        two.append(seconds)
        together, seconds = timed(lambda: passes(first + pairs, samples, holdout))
        one.append(seconds)
    two_s, one_s = statistics.median(two), statistics.median(one)
    row = {"instance": args.instance, "queries": len(samples), "stages": 1 + len(pairs),
           "two_passes_s": [round(s, 1) for s in two], "one_pass_s": [round(s, 1) for s in one],
           "ratio_of_medians": round(two_s / one_s, 2),
           "identical": all(same_groups(a, b) for a, b in zip(alone + pairs_alone, together)),
           "load_average": os.getloadavg()[0]}
    print(json.dumps(row), flush=True)


def first_stage(home: Path, instance: str, name: str | None):
    """The ranking stage of the encoder the first ranker trained with: the one chosen through the fusion,
    before the ranker chose again (``encoders.pipeline.rechoose_for_default`` notes it)."""
    import re

    from deepcodeseek.encoders.measure import TEACHER
    from deepcodeseek.retrieval.retriever import Retriever

    manifest = Retriever(instance, str(home)).manifest
    choice = manifest.get("query_encoders") or {}
    found = re.search(r"\(through fusion: ([\w.-]+)\)", choice.get("note", ""))
    name = name or (found.group(1) if found else (manifest.get("query_encoder") or {}).get("name", TEACHER))
    encoder = None if name == TEACHER else {"name": name, "model": choice["students"][name]}
    return Retriever(instance, str(home), manifest={**manifest, "query_encoder": encoder}).ranking


def passes(stages: list, samples: list, holdout) -> list:
    """One pass over ``samples`` for ``stages``, as the build computes it (one process, one BLAS thread)."""
    from deepcodeseek.ranking.ranker import RankerConfig
    from deepcodeseek.ranking.training import training_groups_of

    config = RankerConfig()
    return training_groups_of(stages, samples, holdout, None, config.cold_copies_max_callers,
                              config.target_weight_cap, 1, config.sample_factor)


def timed(work):
    started = time.perf_counter()
    out = work()
    return out, time.perf_counter() - started


if __name__ == "__main__":
    main()
