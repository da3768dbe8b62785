"""How much the tuned model's dense signal should weigh in the default fusion, per instance.

A model tuned for one epoch on a few hundred call sites helps less than one tuned for
three epochs on thousands, and on some instance it may not help at all. So the weight
is measured, not assumed: the default ranking is scored on the instance's dev split
for each weight of a small grid, and the best is written into the version's manifest.
Zero is in the grid, so a tuned model that does not help is left out of the ranking.
The test split is never used, so it stays an unbiased measure of the choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.evaluation.report import evaluate
from deepcodeseek.retrieval.retriever import DEFAULT_METHOD, FUSION_WEIGHTS, Retriever

DENSE_WEIGHT_GRID = (0.0, 0.3, 0.5, 0.8, 1.2)


@dataclass
class Calibration:
    dense_weight: float
    samples: int
    top5_by_weight: dict[str, float] = field(default_factory=dict)
    note: str = ""


def calibrate_dense_weight(retriever: Retriever, samples: list[Sample],
                           grid: tuple[float, ...] = DENSE_WEIGHT_GRID) -> Calibration:
    """The grid weight with the best top-5 on ``samples`` (then MRR, then the smaller weight)."""
    if not samples:
        return Calibration(FUSION_WEIGHTS["dense"], 0, note="no dev samples: default weight kept")
    saved = dict(retriever.fusion_weights)
    results = {}
    try:
        for weight in grid:
            retriever.fusion_weights = {**saved, "dense": weight}
            scores = evaluate(retriever, samples, methods=(DEFAULT_METHOD,)).scores[0]
            results[weight] = (scores.top_k(5), scores.mrr())
    finally:
        retriever.fusion_weights = saved
    best = max(grid, key=lambda w: (results[w][0], results[w][1], -w))
    return Calibration(best, len(samples), {str(w): round(v[0], 4) for w, v in results.items()})
