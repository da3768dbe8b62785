"""What sampling a popular target's training queries saves the learned ranker's build (``RankerConfig.sample_factor``).

Usage:
    .venv/bin/python benchmarks/ranker_sampling.py --home $DEEPCODESEEK_HOME --instance corpus \
        --factors 0,4 [--workers 2] [--pairs]

For each factor, on the published version: how many training queries the pass computes and the weight
they carry, the pass's wall seconds (``training.training_groups_of``, as the build runs it: cold-start
copies, target weights, ``--workers`` processes), the fit's seconds (``ranker.fit_ranker``) and its
boosting rounds. Factor 0 is every query (the baseline, measured in the same run); the ratio is each
factor's seconds over the baseline's. Quality is chosen elsewhere, on calibration
(``benchmarks/ranker_settings.py --sample-factors``): this script only prices it. ``--pairs``: the stages
of every student a build would pair, in one pass, as a build computes them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feature_workers import stages_and_queries  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--factors", default="0,4", help="sample_factor values; 0 (every query) is the baseline")
    parser.add_argument("--workers", type=int, default=0, help="feature processes (0: one per usable core, "
                                                                 "as the build)")
    parser.add_argument("--pairs", action="store_true", help="every student a build would pair, in one pass")
    args = parser.parse_args()
    from deepcodeseek.ranking.ranker import RankerConfig, fit_ranker
    from deepcodeseek.ranking.training import training_groups_of, training_queries

    stages, samples, holdout = stages_and_queries(args.home, args.instance, 10**9, args.pairs)
    factors = [float(f) for f in args.factors.split(",")]
    if 0.0 not in factors:
        factors.insert(0, 0.0)
    rows = []
    for factor in sorted(factors):
        config = replace(RankerConfig(), sample_factor=factor)
        kept, weights = training_queries(samples, config.target_weight_cap, factor)
        started = time.perf_counter()
        groups = training_groups_of(stages, samples, holdout, None, config.cold_copies_max_callers,
                                    config.target_weight_cap, args.workers, factor)
        pass_s = time.perf_counter() - started
        train, valid, recall = groups[0]
        started = time.perf_counter()
        ranker = fit_ranker(train, valid, config, f"factor {factor:g}", recall)
        fit_s = time.perf_counter() - started
        row = {"instance": args.instance, "documents": len(stages[0].retriever.docs), "stages": len(stages),
               "sample_factor": factor, "queries": len(kept), "of_queries": len(samples),
               "weight": round(sum(weights), 1), "groups": len(train), "validation_groups": len(valid),
               "pass_s": round(pass_s, 1), "fit_s": round(fit_s, 1), "rounds": ranker.summary.best_iteration,
               "load_average": round(os.getloadavg()[0], 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    base = rows[0]
    for row in rows[1:]:
        print(f"factor {row['sample_factor']:g}: {row['queries']:,} of {base['queries']:,} queries "
              f"({row['queries'] / base['queries']:.2f}), pass {row['pass_s'] / base['pass_s']:.2f}x, "
              f"fit {row['fit_s'] / base['fit_s']:.2f}x the every-query baseline, weight {row['weight']:g} "
              f"of {base['weight']:g}", flush=True)


if __name__ == "__main__":
    main()
