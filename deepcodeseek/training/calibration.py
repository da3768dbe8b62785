"""Choose the default ranking's settings per version, on the instance's calibration split.

How much each signal should weigh depends on the instance: votes carry information
where the instance has precedents and are noise where it has none; a model tuned for
one epoch on a few hundred call sites helps less than one tuned for three on thousands,
and an untuned English model may not help at all. So the weights are measured, not
assumed: every signal is computed once per calibration sample (through the serving
path's own ``fusion_components``, the sample's held-out group excluded from votes and
prior), every weighting of a small grid is scored on those same vectors with the
serving path's own ``fuse``, and the best goes into the version's manifest. Zero is in
every grid, so a signal that does not help is left out, and so is its query cost.

Only the calibration split chooses; dev reports the result and test stays untouched.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from deepcodeseek.datasets.holdout import HoldOut, exclusions_for
from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.retrieval.doc_columns import rows_by_namespace
from deepcodeseek.retrieval.query import Query
from deepcodeseek.retrieval.retriever import FUSION_WEIGHTS, Retriever
from deepcodeseek.retrieval.signals import fuse

GRID: dict[str, tuple[float, ...]] = {
    "votes": (0.35, 0.7, 1.0, 1.4),
    "prior": (0.0, 0.15, 0.3, 0.6),
    "semantic_votes": (0.0, 0.5),
    "dense": (0.0, 0.3, 0.5, 0.8, 1.2),
}
OBJECTIVE = "top@5, then MRR@40, then the cheaper and the closer to the uncalibrated weights"


@dataclass
class Calibration:
    weights: dict[str, float]
    samples: int
    split: str = "calibration"
    top5: float = 0.0
    mrr: float = 0.0
    uncalibrated_top5: float = 0.0  # FUSION_WEIGHTS on the same samples
    top5_by_dense: dict[str, float] = field(default_factory=dict)  # best top@5 reached at each dense weight
    seconds: float = 0.0
    note: str = ""

    @property
    def dense_weight(self) -> float:
        return self.weights.get("dense", 0.0)

    def as_manifest(self) -> dict:
        """What the version is served with; the time it took is the asset's metadata, not a setting."""
        return {"fusion_weights": self.weights, "calibration": {k: v for k, v in asdict(self).items() if k != "seconds"}}


@dataclass
class SignalMatrix:
    """Every fusion signal of every sample (rows), with the admitted documents and the targets' rows."""

    parts: dict[str, np.ndarray]
    admitted: np.ndarray  # (samples, documents) bool
    targets: list[np.ndarray]  # per sample: indices of the target's documents

    def ranks(self, weights: dict[str, float]) -> np.ndarray:
        """The target's 1-based rank per sample under ``weights`` (ties broken by document order, as serving does)."""
        scores = np.where(self.admitted, fuse(self.parts, weights), -np.inf)
        out = np.full(len(self.targets), np.inf)
        positions = np.arange(scores.shape[1])
        for i, target in enumerate(self.targets):
            if not len(target):
                continue
            row = scores[i]
            best = np.inf
            for t in target:
                if np.isfinite(row[t]):
                    best = min(best, 1 + np.count_nonzero(row > row[t])
                               + np.count_nonzero((row == row[t]) & (positions < t)))
            out[i] = best
        return out

    def save(self, path) -> None:
        np.savez_compressed(path, admitted=self.admitted, **{f"part_{k}": v.astype(np.float16) for k, v in self.parts.items()},
                            **{f"target_{i}": t for i, t in enumerate(self.targets)})

    @classmethod
    def load(cls, path) -> "SignalMatrix":
        arrays = np.load(path)
        parts = {k[5:]: arrays[k].astype(np.float32) for k in arrays.files if k.startswith("part_")}
        targets = [arrays[f"target_{i}"] for i in range(sum(k.startswith("target_") for k in arrays.files))]
        return cls(parts, arrays["admitted"], targets)


def signal_matrix(retriever: Retriever, samples: list[Sample], holdout: HoldOut | None,
                  names: tuple[str, ...]) -> SignalMatrix:
    """The fusion signals ``names`` of every sample, as the serving path computes them."""
    rows: dict[str, list[np.ndarray]] = {n: [] for n in names}
    admitted, targets = [], []
    by_namespace = rows_by_namespace(retriever.docs)
    for sample in samples:
        query = Query(sample.code_before, sample.code_after or None, sample.scope)
        parts = retriever.fusion_components(query, exclusions_for(sample, holdout), names)["parts"]
        for n in names:
            rows[n].append(parts[n].astype(np.float32))
        admitted.append(retriever._admitted(sample.scope))
        targets.append(np.asarray(by_namespace.get(sample.target_namespace, []), dtype=np.int64))
    return SignalMatrix({n: np.stack(v) for n, v in rows.items()}, np.stack(admitted), targets)


def _score(ranks: np.ndarray) -> tuple[float, float]:
    return float(np.mean(ranks <= 5)), float(np.mean(np.where(ranks <= 40, 1.0 / ranks, 0.0)))


def choose_weights(matrix: SignalMatrix, grid: dict[str, tuple[float, ...]] = GRID) -> Calibration:
    """The grid weighting (BM25's weight fixed at 1) with the best objective on the matrix's samples."""
    grid = {k: v for k, v in grid.items() if k in matrix.parts} | {k: (0.0,) for k in grid if k not in matrix.parts}
    results = []
    for values in itertools.product(*grid.values()):
        weights = {"bm25": 1.0, **dict(zip(grid, values))}
        top5, mrr = _score(matrix.ranks(weights))
        cost = sum(weights.get(k, 0) > 0 for k in ("dense", "semantic_votes"))  # signals that cost query time
        distance = sum(abs(weights[k] - FUSION_WEIGHTS.get(k, 0.0)) for k in grid)
        results.append(((round(top5, 6), round(mrr, 6), -cost, -distance), weights, top5, mrr))
    _, best, top5, mrr = max(results, key=lambda r: r[0])
    by_dense = {str(w): round(max(r[2] for r in results if r[1].get("dense") == w), 4) for w in grid.get("dense", ())}
    uncalibrated = _score(matrix.ranks(FUSION_WEIGHTS))[0]
    return Calibration(weights=best, samples=len(matrix.targets), top5=round(top5, 4), mrr=round(mrr, 4),
                       uncalibrated_top5=round(uncalibrated, 4), top5_by_dense=by_dense,
                       note=f"{len(results)} weightings; objective: {OBJECTIVE}")


def calibrate_fusion(retriever: Retriever, samples: list[Sample], holdout: HoldOut | None,
                     grid: dict[str, tuple[float, ...]] = GRID,
                     progress: Callable[[str], None] | None = None) -> Calibration:
    """Every fusion signal of ``samples`` computed once as served, then the best weighting of ``grid``."""
    if not samples:
        return Calibration(dict(FUSION_WEIGHTS), 0, note="no calibration samples: uncalibrated weights kept")
    started = time.perf_counter()
    names = ["bm25", *grid]
    if retriever._static_signals()[0] is None:
        names.remove("semantic_votes")  # this version has no static encoder
    calibration = choose_weights(signal_matrix(retriever, samples, holdout, tuple(names)), grid)
    calibration.seconds = round(time.perf_counter() - started, 1)
    if progress:
        progress(f"calibrated fusion on {len(samples)} samples: {calibration.weights} (top@5 {calibration.top5:.3f}, "
                 f"uncalibrated {calibration.uncalibrated_top5:.3f})")
    return calibration


def stage_calibrated_index(store, paths, model: str, adapted_from: dict | None = None,
                           progress: Callable[[str], None] | None = None) -> tuple[dict, Calibration]:
    """Stage the version ``model`` makes, calibrate its fusion on the calibration split, stage it with the weights.

    Calibrated as served: the Retriever opens the staged version by name and loads its
    model the way the serving path does (int8 queries on a CPU).
    """
    from deepcodeseek.evaluation.benchmark_build import CALIBRATION_SPLIT, read_holdout_of, read_split
    from deepcodeseek.index.release import stage_index

    staged = stage_index(store, paths, model, adapted_from=adapted_from)  # measurable by name, not live
    retriever = Retriever(paths.instance, str(paths.home), version=staged["version"])
    known = retriever.docs.namespaces()
    samples = read_split(paths, CALIBRATION_SPLIT, known)
    calibration = calibrate_fusion(retriever, samples, read_holdout_of(paths), progress=progress)
    return stage_index(store, paths, model, adapted_from=adapted_from, extra=calibration.as_manifest()), calibration
