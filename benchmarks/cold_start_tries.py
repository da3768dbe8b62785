"""Two more tries at the learned ranker's cold start, and the figures when every API counts once.

``cold_start_limits.py`` showed that a cold start (the target has no call site left once the
sample's script group is set aside) is barely visible in the query, and that leaning on BM25
buys it with the rest. This script asks two more questions on an indexed instance's own
calibration and dev splits, with the ranker trained as the library trains it
(``RankerConfig()``), features computed once (``ranker_settings.instance_rows``):

1. **Does the ranker see the candidates without precedent as a group?** Three more columns per
   candidate: its rank by BM25, by the dense similarity and by their sum *among the candidates
   with no call site left* (``COLD_SENTINEL`` for the others). Among those few, the lexical
   evidence that a popular API drowns might stand out. The ranker is trained again with them.
2. **A cold slot.** A second LambdaRank model is trained on the cold-start copies only (the
   training queries of rare targets with every caller set aside), over their candidates without
   a call site. Its best candidate, or BM25's best among them, is put at position ``p`` of the
   ranker's order when the ranker has it lower: one place of the top 5 kept for an API without
   precedent, whatever the query.

Each try is judged by ``cold_start_limits``'s rule, fixed before these figures: cold-start
top@1 and MRR no lower than every single signal's on calibration, then the best top@5, then
MRR. Dev chooses nothing.

The per-API view: the benchmarks cap each target at 20 samples, so popular APIs still weigh
most. A benchmark mined elsewhere may hold one sample per API, where a third or more of the
samples are cold starts. Each sample there weighs 1 / (the split's samples sharing its
target): every API counts once.

    .venv/bin/python benchmarks/cold_start_tries.py --home $DEEPCODESEEK_HOME --instance corpus
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cold_start_limits import COLUMN, by_the_rule, choice_tables, natural_figures  # noqa: E402
from ranker_settings import SIGNALS, groups_for, instance_rows, rank_of, signal_scorer  # noqa: E402

from deepcodeseek.paths import instance_paths  # noqa: E402
from deepcodeseek.ranking.features import FEATURES  # noqa: E402
from deepcodeseek.ranking.ranker import RankerConfig, fit_ranker  # noqa: E402
from deepcodeseek.retrieval.retriever import Retriever  # noqa: E402

COLD_SENTINEL = 101.0  # past every candidate: the columns' value for a candidate with call sites
COLD_COLUMNS = ("cold_bm25_rank", "cold_dense_rank", "cold_sum_rank")
SLOTS = (2, 3, 5)
SPLITS = ("calibration", "dev")


def rank_among(values: np.ndarray, among: np.ndarray) -> np.ndarray:
    """1-based rank by ``values`` (higher first, ties by position) within ``among``; the sentinel elsewhere."""
    ranks = np.full(len(values), COLD_SENTINEL, dtype=np.float32)
    rows = np.flatnonzero(among)
    ranks[rows[np.argsort(-values[rows], kind="stable")]] = np.arange(1, len(rows) + 1)
    return ranks


def with_cold_ranks(x: np.ndarray) -> np.ndarray:
    """The features and ``COLD_COLUMNS``."""
    cold = x[:, COLUMN["usage_after"]] == 0
    bm25, dense = x[:, COLUMN["bm25_value"]], x[:, COLUMN["dense_value"]]
    extra = [rank_among(v, cold) for v in (bm25, dense, bm25 + dense)]
    return np.column_stack([x, *extra]).astype(np.float32) if len(x) else np.zeros((0, x.shape[1] + 3), np.float32)


def widened(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    out = {}
    for split, items in rows.items():
        out[split] = [{**r, "x": with_cold_ranks(r["x"]),
                       **({"x_cold": with_cold_ranks(r["x_cold"])} if "x_cold" in r else {})} for r in items]
    return out


def cold_slot_groups(rows: list[dict], validation: bool) -> list[tuple]:
    """The cold-start copies' candidates without a call site left, where the target is one of them."""
    groups = []
    for r in rows:
        if "x_cold" in r and r["valid"] == validation:
            cold = r["x_cold"][:, COLUMN["usage_after"]] == 0
            if r["y_cold"][cold].any():
                groups.append((r["x_cold"][cold], r["y_cold"][cold], 1.0))
    return groups


def slotted(ranker, pick, p: int):
    """The ranker's order with ``pick``'s best candidate without call sites moved up to position ``p``."""
    def score(x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        order = list(np.argsort(-ranker.score(x), kind="stable"))
        cold = np.flatnonzero(x[:, COLUMN["usage_after"]] == 0)
        if len(cold):
            best = int(cold[int(np.argmax(pick(x[cold])))])
            if order.index(best) > p - 1:
                order.remove(best)
                order.insert(p - 1, best)
        scores = np.empty(len(x))
        scores[order] = -np.arange(len(x), dtype=float)
        return scores
    return score


def per_api(rows: list[dict], scorer) -> dict[str, float]:
    """Top@1, top@5 and MRR@40 with each sample weighing 1 / the samples sharing its target."""
    count = collections.Counter(r["sample"].target_namespace for r in rows)
    weights = np.array([1.0 / count[r["sample"].target_namespace] for r in rows])
    weights /= weights.sum()
    ranks = [rank_of(scorer(r["x"]), r["y"]) for r in rows]
    hit = lambda k: np.array([rank is not None and rank <= k for rank in ranks], dtype=float)  # noqa: E731
    mrr = np.array([1.0 / rank if rank else 0.0 for rank in ranks])
    return {"top@1": round(float(weights @ hit(1)), 4), "top@5": round(float(weights @ hit(5)), 4),
            "mrr@40": round(float(weights @ mrr), 4),
            "cold_share": round(float(weights @ np.array([r["callers_left"] == 0 for r in rows], dtype=float)), 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", help="write every figure as JSON here")
    args = parser.parse_args()

    retriever = Retriever(args.instance, args.home)
    print(f"instance {args.instance}, version {retriever.version}, {len(retriever.docs)} documents", file=sys.stderr)
    rows = instance_rows(retriever, instance_paths(args.instance, args.home))
    wide = widened(rows)
    config = RankerConfig()
    groups = groups_for(rows["train"], config.target_weight_cap, config.cold_copies_max_callers,
                        sample_factor=config.sample_factor)
    wide_groups = groups_for(wide["train"], config.target_weight_cap, config.cold_copies_max_callers,
                             sample_factor=config.sample_factor)
    slot_groups = cold_slot_groups(rows["train"], False), cold_slot_groups(rows["train"], True)
    scorers = {name: signal_scorer(name) for name in SIGNALS}
    results: dict = {"signals": {s: {n: natural_figures(rows[s], f) for n, f in scorers.items()} for s in SPLITS},
                     "per_api": {s: {n: per_api(rows[s], f) for n, f in scorers.items()} for s in SPLITS},
                     "slot_training_queries": [len(g) for g in slot_groups], "seeds": {}}
    for seed in (int(s) for s in args.seeds.split(",")):
        settings = replace(config, seed=seed)
        ranker = fit_ranker(*groups, settings, "cold-start tries", 1.0)
        wide_ranker = fit_ranker(*wide_groups, settings, "cold ranks", 1.0, feature_names=(*FEATURES, *COLD_COLUMNS))
        slot_model = fit_ranker(*slot_groups, replace(settings, target_weight_cap=0.0), "cold slot", 1.0)
        tries = {"ranker": (ranker.score, rows), "with cold ranks": (wide_ranker.score, wide)}
        for p in SLOTS:
            tries[f"cold slot at {p} (model)"] = (slotted(ranker, slot_model.score, p), rows)
            tries[f"cold slot at {p} (BM25)"] = (slotted(ranker, scorers["bm25"], p), rows)
        figures = {name: {s: natural_figures(split_rows[s], f) for s in SPLITS} for name, (f, split_rows) in tries.items()}
        eligible, chosen = by_the_rule(figures, results["signals"]["calibration"])
        results["seeds"][seed] = {"tries": figures, "chosen": chosen,
                                  "per_api": {s: per_api(rows[s], ranker.score) for s in SPLITS}}
        print(f"  seed {seed}: {len(eligible)} of {len(figures)} pass the cold-start rule on calibration", file=sys.stderr)
    print_tables(args.instance, results, rows)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


def print_tables(instance: str, results: dict, rows: dict) -> None:
    choice_tables(instance, "the tries", results, rows, "tries", cold_top5=True)
    for split in SPLITS:
        print(f"\n## {instance} {split}: every API counts once (each sample weighs 1 / its target's samples)")
        print("| ranking | top@1 | top@5 | MRR@40 | cold share |\n|---|---|---|---|---|")
        for name, f in results["per_api"][split].items():
            print(_api_line(name, f))
        for seed, run in results["seeds"].items():
            print(_api_line(f"seed {seed}, ranker", run["per_api"][split]))


def _api_line(label: str, f: dict) -> str:
    return f"| {label} | {f['top@1']:.3f} | {f['top@5']:.3f} | {f['mrr@40']:.3f} | {f['cold_share']:.3f} |"


if __name__ == "__main__":
    raise SystemExit(main())
