"""What limits the learned ranker on cold starts: can a query tell that its answer has no precedent?

On the corpus's dev split the ranker's MRR@40 on the cold-start subset (targets with no call
site left once the sample's script group is set aside) stays below BM25's, while it wins
everywhere else. This script measures two things about that gap, on an indexed instance's
own calibration and dev splits, with the ranker trained as the library trains it
(``RankerConfig()``: cap 50, cold-start copies of rare targets), features computed once
(``ranker_settings.query_rows``):

1. **Is a cold start visible in the query?** A classifier (LightGBM, binary) reads only
   query-level facts: the query's own columns (mentions, tokens, the best BM25 score, the
   vote mass), the best candidate with and without call sites by BM25, votes and dense, and
   the trained ranker's best score on each side. It trains on the training queries (label:
   the target has no call site left) and is scored on calibration and dev by ROC AUC. Near
   0.5, nothing in the query separates the two, so any push towards the candidates without
   precedent is paid on every query.
2. **What does leaning on BM25 cost?** The ranker's score plus ``w / (k + BM25 rank - 1)``
   (k 1: ``w / rank``) for a grid of ``w`` and ``k``: all-sample and cold-start figures side by side, for every seed. The
   rule that chose the ranker's settings (cold-start top@1 and MRR no lower than every single
   signal's, then the best top@5, then MRR) picks a blend on calibration; dev shows whether
   that choice holds. The gated blends scale ``w`` by the classifier's probability of a cold
   start over its training share, so the push goes where a cold start is likelier. Nothing
   here changes a default.

    .venv/bin/python benchmarks/cold_start_limits.py --home $DEEPCODESEEK_HOME --instance corpus
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ranker_settings import SIGNALS, figures, groups_for, instance_rows, rank_of, signal_scorer  # noqa: E402

from deepcodeseek.paths import instance_paths  # noqa: E402
from deepcodeseek.ranking.features import FEATURES  # noqa: E402
from deepcodeseek.ranking.ranker import RankerConfig, fit_ranker  # noqa: E402
from deepcodeseek.retrieval.retriever import Retriever  # noqa: E402

COLUMN = {name: i for i, name in enumerate(FEATURES)}
QUERY_COLUMNS = ("q_mentioned", "q_max_bm25", "q_voters", "q_tokens")
SIDES = ("bm25_value", "votes_value", "dense_value")


def query_facts(x: np.ndarray, scores: np.ndarray) -> list[float]:
    """One query's facts: its own columns, then per side (candidates with and without call sites)
    the best of each signal and of the ranker's score (-1 where a side has no candidate)."""
    cold = x[:, COLUMN["usage_after"]] == 0
    facts = [float(x[0, COLUMN[c]]) for c in QUERY_COLUMNS] + [float(cold.sum())]
    for side in (cold, ~cold):
        for name in SIDES:
            facts.append(float(x[side, COLUMN[name]].max()) if side.any() else -1.0)
        facts.append(float(scores[side].max()) if side.any() else -1.0)
    return facts


def cold_visibility(model, rows: dict[str, list[dict]], seed: int) -> tuple[dict[str, float], object]:
    """ROC AUC of a query-level classifier for "the target has no call site left", and the classifier."""
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score

    def table(split: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        kept = [r for r in split if len(r["x"])]
        facts = [query_facts(r["x"], model.score(r["x"])) for r in kept]
        return np.array(facts), np.array([float(r["callers_left"] == 0) for r in kept])

    x, y = table(rows["train"])
    params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 20,
              "seed": seed, "deterministic": True, "num_threads": 2, "verbosity": -1}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=200)
    out = {"train_cold_share": round(float(y.mean()), 4)}
    for split in ("calibration", "dev"):
        xs, ys = table(rows[split])
        out[f"{split}_cold_share"] = round(float(ys.mean()), 4)
        out[f"{split}_auc"] = round(float(roc_auc_score(ys, booster.predict(xs))), 4) if 0 < ys.sum() < len(ys) else None
    return out, booster


def blended(model, weight: float, k: float, gate=None, share: float = 1.0):
    """The ranker's score plus ``weight / (k + BM25 rank - 1)`` (ranks as the features store them); with a
    ``gate``, ``weight`` times the query's probability of a cold start over ``share``."""
    column = COLUMN["bm25_rank"]

    def score(x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        scores = model.score(x)
        w = weight if gate is None else weight * float(gate.predict(np.array([query_facts(x, scores)]))[0]) / share
        return scores + w / (k + np.expm1(x[:, column]) - 1)
    return score


def natural_figures(rows: list[dict], scorer) -> dict[str, dict]:
    """All samples and the cold-start subset (the report's own subset)."""
    ranks = [rank_of(scorer(r["x"]), r["y"]) for r in rows]
    return {"all": figures(ranks), "cold": figures([k for k, r in zip(ranks, rows) if r["callers_left"] == 0])}


def passes(result: dict, signals: dict) -> bool:
    return all(result["cold"][m] >= max(s["cold"][m] for s in signals.values()) for m in ("top@1", "mrr@40"))


def by_the_rule(entries: dict[str, dict], signals: dict) -> tuple[list[str], str | None]:
    """The entries whose calibration cold start passes, and the one of them with the best top@5, then MRR."""
    eligible = [name for name, result in entries.items() if passes(result["calibration"], signals)]
    chosen = max(eligible, key=lambda name: (entries[name]["calibration"]["all"]["top@5"],
                                             entries[name]["calibration"]["all"]["mrr@40"]), default=None)
    return eligible, chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--weights", default="0,0.5,1,2,4,8", help="w: the BM25 term's weight (0: the ranker)")
    parser.add_argument("--ks", default="1,3", help="k: the BM25 term's rank offset")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", help="write every figure as JSON here")
    args = parser.parse_args()

    retriever = Retriever(args.instance, args.home)
    print(f"instance {args.instance}, version {retriever.version}, {len(retriever.docs)} documents", file=sys.stderr)
    rows = instance_rows(retriever, instance_paths(args.instance, args.home))
    config = RankerConfig()
    train, valid = groups_for(rows["train"], config.target_weight_cap, config.cold_copies_max_callers,
                              sample_factor=config.sample_factor)
    signals = {split: {name: natural_figures(rows[split], signal_scorer(name)) for name in SIGNALS}
               for split in ("calibration", "dev")}
    grid = list(itertools.product([float(k) for k in args.ks.split(",")], [float(w) for w in args.weights.split(",")]))
    results: dict = {"signals": signals, "seeds": {}}
    for seed in (int(s) for s in args.seeds.split(",")):
        model = fit_ranker(train, valid, replace(config, seed=seed), "cold-start limits", 1.0)
        visibility, gate = cold_visibility(model, rows, seed)
        blends = {f"k {k:g}, w {w:g}": {split: natural_figures(rows[split], blended(model, w, k))
                                       for split in ("calibration", "dev")} for k, w in grid}
        blends.update({f"gated, k {k:g}, w {w:g}": {
            split: natural_figures(rows[split], blended(model, w, k, gate, visibility["train_cold_share"]))
            for split in ("calibration", "dev")} for k, w in grid if w > 0})
        eligible, chosen = by_the_rule(blends, signals["calibration"])
        results["seeds"][seed] = {"visibility": visibility, "blends": blends, "chosen": chosen}
        print(f"  seed {seed}: trained, {len(eligible)} blends pass the cold-start rule on calibration", file=sys.stderr)
    print_tables(args.instance, results, rows)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


def print_tables(instance: str, results: dict, rows: dict) -> None:
    print(f"\n## {instance}: is a cold start visible in the query? (ROC AUC of a query-level classifier)")
    print("| seed | cold share: train / calibration / dev | calibration AUC | dev AUC |\n|---|---|---|---|")
    for seed, run in results["seeds"].items():
        v = run["visibility"]
        print(f"| {seed} | {v['train_cold_share']:.3f} / {v['calibration_cold_share']:.3f} / {v['dev_cold_share']:.3f} "
              f"| {v['calibration_auc']} | {v['dev_auc']} |")
    choice_tables(instance, "the ranker plus w / (k + BM25 rank - 1)", results, rows, "blends")


def choice_tables(instance: str, heading: str, results: dict, rows: dict, entries: str, cold_top5: bool = False) -> None:
    """Per split: the single signals, then each seed's ``entries`` (the one chosen on calibration marked)."""
    for split in ("calibration", "dev"):
        n = sum(r["callers_left"] == 0 for r in rows[split])
        print(f"\n## {instance} {split}: {heading} ({len(rows[split])} samples, {n} cold)")
        columns = ["ranking", "top@1", "top@5", "MRR@40", "cold top@1", *(["cold top@5"] if cold_top5 else []), "cold MRR@40"]
        print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
        for name, result in results["signals"][split].items():
            print(_line(name, result, cold_top5))
        for seed, run in results["seeds"].items():
            for entry, result in run[entries].items():
                mark = " (chosen on calibration)" if entry == run["chosen"] else ""
                print(_line(f"seed {seed}, {entry}{mark}", result[split], cold_top5))


def _line(label: str, result: dict, cold_top5: bool = False) -> str:
    a, c = result["all"], result["cold"]
    cold = [c.get("top@1", 0), *([c.get("top@5", 0)] if cold_top5 else []), c.get("mrr@40", 0)]
    return f"| {label} | {a['top@1']:.3f} | {a['top@5']:.3f} | {a['mrr@40']:.3f} | " + " | ".join(f"{v:.3f}" for v in cold) + " |"


if __name__ == "__main__":
    raise SystemExit(main())
