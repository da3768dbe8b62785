"""What a ranker signal buys against what it costs a query: the learned ranker trained with and without it.

The served query spends about 0.65 of its 4.6 ms on the semantic votes (the static encoder's vector of the
query against every usage context, exact). They carry 1-2% of the rankers' gain directly, but half a
weight in the fusion, whose rank is the rankers' first or second feature. Whether a ranker trained
without them keeps the quality is a question for the calibration split, so this benchmark asks it there:

- the features of every training query (with the build's cold-start copies), calibration and dev sample
  are computed twice on the served version: as built, and with the signals of ``--without`` left out of
  the query (their candidates, features and fusion term: the fusion's other weights stay as calibrated);
- each feature set trains the build's ranker (``RankerConfig``'s defaults) with each seed;
- every model is scored on the same samples (all, and the cold-start subset), beside BM25 and votes;
- each variant's ranked path (candidates, features and the model's scores) is timed on the dev queries,
  alternating the variants query by query, so drift on a shared machine falls on both alike.

The rule, fixed before the figures: leaving the signals out is worth building as a choice of the
ranker stage only where the mean calibration top@5 and MRR@40 over the seeds are no lower without them.
Dev is printed for the record and chooses nothing.

    .venv/bin/python benchmarks/signal_ablation.py --home $DEEPCODESEEK_HOME --instance corpus
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ranker_settings import groups_for, instance_rows, line, score, signal_scorer  # noqa: E402

from deepcodeseek.paths import instance_paths  # noqa: E402
from deepcodeseek.ranking.ranker import RankerConfig, fit_ranker  # noqa: E402
from deepcodeseek.retrieval.query import Query  # noqa: E402
from deepcodeseek.retrieval.retriever import Retriever  # noqa: E402
from deepcodeseek.threads import one_thread_per_query  # noqa: E402

DROPPABLE = ("semantic_votes",)  # what a Retriever can leave out of a query without another index


def without(retriever: Retriever, signals: tuple[str, ...]) -> Retriever:
    """``retriever`` answering without ``signals``: no static context vectors, and no fusion weight on them."""
    unknown = set(signals) - set(DROPPABLE)
    if unknown:
        raise SystemExit(f"cannot leave out {sorted(unknown)} (known: {', '.join(DROPPABLE)})")
    if "semantic_votes" in signals:
        retriever._static = (None, None)  # ``query_signals`` then neither computes nor ranks them
        retriever.fusion_weights = {**retriever.fusion_weights, "semantic_votes": 0.0}
    return retriever


def trained(rows: dict, seeds: list[int]) -> list:
    config = RankerConfig()
    train, valid = groups_for(rows["train"], config.target_weight_cap, config.cold_copies_max_callers,
                              sample_factor=config.sample_factor)
    return [fit_ranker(train, valid, replace(config, seed=seed), "signal ablation", 1.0) for seed in seeds]


def timed_paths(variants: dict[str, tuple[Retriever, object]], samples, rounds: int = 2) -> dict[str, list[float]]:
    """Per variant, the ranked path's milliseconds per dev query (candidates, features, the model's scores),
    the variants alternating query by query."""
    one_thread_per_query()
    ms: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for sample in samples:
            query = Query(sample.code_before, sample.code_after or None, sample.scope)
            for name, (retriever, model) in variants.items():
                started = time.perf_counter()
                model.score(retriever.ranking.inputs(query).features)
                ms[name].append((time.perf_counter() - started) * 1000)
    return ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--without", default="semantic_votes", help="signals to leave out, comma-separated")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", help="write every figure as JSON here")
    args = parser.parse_args()

    paths = instance_paths(args.instance, args.home)
    seeds = [int(s) for s in args.seeds.split(",")]
    dropped = tuple(s for s in args.without.split(",") if s)
    label = f"without {', '.join(dropped)}"
    retrievers = {"as built": Retriever(args.instance, args.home),
                  label: without(Retriever(args.instance, args.home), dropped)}
    print(f"instance {args.instance}, version {retrievers['as built'].version}, query encoder "
          f"{retrievers['as built'].query_encoder_name}", file=sys.stderr)
    results: dict = {}
    rows_of: dict = {}
    for name, retriever in retrievers.items():
        rows = instance_rows(retriever, paths)
        models = trained(rows, seeds)
        rows_of[name] = rows
        results[name] = {"runs": [{split: score(rows[split], m.score) for split in ("calibration", "dev")}
                                  for m in models], "models": models}
        print(f"  {name}: trained {len(models)} rankers", file=sys.stderr, flush=True)
    signals = {s: {split: score(rows_of["as built"][split], signal_scorer(s)) for split in ("calibration", "dev")}
               for s in ("bm25", "votes")}
    dev = [r["sample"] for r in rows_of["as built"]["dev"]]
    ms = timed_paths({name: (retrievers[name], results[name]["models"][0]) for name in retrievers}, dev)

    def mean(name: str, split: str, metric: str) -> float:
        return float(np.mean([run[split]["all"][metric] for run in results[name]["runs"]]))

    keep = all(mean(label, "calibration", m) >= mean("as built", "calibration", m) for m in ("top@5", "mrr@40"))
    for split in ("calibration", "dev"):
        n = signals["bm25"][split]["n"]
        print(f"\n## {args.instance} {split} ({n['all']} samples, {n['cold']} cold)")
        print("| ranking | top@1 | top@5 | top@40 | MRR@40 | cold top@1 | cold MRR | sim. cold top@1 | sim. cold MRR |\n"
              "|---|---|---|---|---|---|---|---|---|")
        for s, result in signals.items():
            print(line(s, result[split]))
        for name in retrievers:
            for seed, run in zip(seeds, results[name]["runs"]):
                print(line(f"ranker {name}, seed {seed}", run[split]))
    print(f"\n## ranked path on {len(dev)} dev queries, two rounds, alternating (ms)")
    print("| variant | p50 | p95 | mean |\n|---|---|---|---|")
    for name, values in ms.items():
        q = statistics.quantiles(values, n=100, method="inclusive")
        print(f"| {name} | {q[49]:.2f} | {q[94]:.2f} | {statistics.mean(values):.2f} |")
    print(f"\nrule (calibration mean top@5 and MRR@40 no lower {label}): "
          f"{'met: worth building as a choice' if keep else 'not met: keep the signals'}")
    if args.out:
        Path(args.out).write_text(json.dumps({
            "signals": signals, "variants": {n: r["runs"] for n, r in results.items()},
            "ms": {n: v for n, v in ms.items()}, "rule_met": keep}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
