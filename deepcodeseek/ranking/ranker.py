"""A per-instance LambdaRank model (LightGBM) over the candidates' features.

Trained on the instance's own call sites, grouped by query, one relevant candidate per
group. The number of boosting rounds is chosen by early stopping on a validation part
of the *training* scripts, so the calibration split stays free to decide whether the
ranker beats the fusion at all. Saved beside the index version it was trained for,
content-addressed by that version, the training queries and the settings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from deepcodeseek import atomic
from deepcodeseek.ranking.compiled_trees import CompiledTrees, compile_trees
from deepcodeseek.ranking.features import FEATURES

MODEL_FILE = "model.txt"
META_FILE = "ranker.json"
COMPILED_FILE = "model.onnx"  # the same trees for ONNX Runtime (``compiled_trees``), written beside the model
FEATURE_SET = "features-v2"  # bump when a feature's meaning changes: stored rankers then retrain (v2: ranks capped)


@dataclass(frozen=True)
class RankerConfig:
    max_rounds: int = 400
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_data_in_leaf: int = 20
    feature_fraction: float = 0.9
    early_stopping_rounds: int = 40
    validation_share: float = 0.2  # of the training scripts, for early stopping only
    seed: int = 0
    # Cold-start copies: a training query whose target is called by at most this many scripts is
    # also scored with all of them set aside, as if the API had no precedent (0: none).
    cold_copies_max_callers: int = 10  # chosen on the stock calibration split (README, Learned ranker)
    # A training query weighs min(1, cap / the training queries that share its target): an API that
    # hundreds of scripts call (GlideRecord) counts as ``cap`` queries, as the benchmarks cap each
    # target at 20 samples, instead of teaching the ranker that the popular answer is always right
    # (0: every query weighs 1). Chosen on calibration: ``benchmarks/ranker_settings.py``.
    target_weight_cap: float = 50.0
    # A target keeps at most ceil(sample_factor * target_weight_cap) of its training queries, which share
    # its weight (``training.training_queries``): the features pass then grows with the instance's
    # targets, not with its call sites of GlideRecord (0: every query). 4 is the cheapest factor within
    # 0.01 of every query in calibration top@5 and MRR@40 on both the corpus and stock, three seeds each
    # (``benchmarks/ranker_settings.py --sample-factors 0,1,2,4``; README, Learned ranker).
    sample_factor: float = 4.0


@dataclass
class RankerSummary:
    key: str
    queries: int
    validation_queries: int
    rows: int
    best_iteration: int
    seconds: float
    recall_at_candidates: float  # share of training queries whose target made the candidates
    curve: dict[str, list[float]] = field(default_factory=dict)  # ndcg@5 per round: train, validation
    importances: dict[str, float] = field(default_factory=dict)  # total gain per feature
    reused: bool = False
    config: dict = field(default_factory=dict)
    fitted_key: str = ""  # the key it was trained under, when carried over a small change to another version


class LearnedRanker:
    """A trained booster; scores a query's candidate rows (higher ranks first)."""

    def __init__(self, booster, summary: RankerSummary, compiled: CompiledTrees | None = None):
        """``compiled``: the same trees for ONNX Runtime (``compiled_trees``), which scores them in half
        the time; LightGBM scores where there is none (a ranker saved before they were)."""
        self.booster = booster
        self.summary = summary
        self.compiled = compiled

    @property
    def num_iteration(self) -> int | None:
        return self.summary.best_iteration or None

    def score(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0)
        if self.compiled is not None and not np.isnan(features).any():  # LightGBM reads NaN as 0: it scores those
            return self.compiled.score(features)
        return self.booster.predict(features, num_iteration=self.num_iteration, num_threads=1)

    def write(self, folder: Path) -> None:
        """The model and its summary into ``folder`` (a scratch folder: callers publish it whole)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / MODEL_FILE))
        if self.compiled is None:  # loaded from a folder saved before rankers were compiled
            self.compiled = compile_trees(self.booster, self.num_iteration)
        if self.compiled is not None:
            self.compiled.save(folder / COMPILED_FILE)
        (folder / META_FILE).write_text(json.dumps(asdict(self.summary), indent=2), encoding="utf-8")

    def save(self, folder: Path) -> None:
        """Written beside ``folder`` and renamed into place: a reader never sees half a model.

        Folders are content-addressed (named by the training key), so one that exists
        already holds this very model and is left alone.
        """
        atomic.write_once(folder, self.write)

    @classmethod
    def load(cls, folder: Path) -> "LearnedRanker":
        lgb = import_lightgbm_for_serving()
        folder = Path(folder)
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        compiled = CompiledTrees.load(folder / COMPILED_FILE) if (folder / COMPILED_FILE).exists() else None
        return cls(lgb.Booster(model_file=str(folder / MODEL_FILE)), RankerSummary(**meta), compiled)


def import_lightgbm_for_serving():
    """LightGBM, imported without scikit-learn where nothing has loaded it yet.

    ``import lightgbm`` pulls in scikit-learn and SciPy for its sklearn-style wrappers when
    they are installed: about 110 MiB that a query-only process (the service, the CLI) never
    uses, since serving only calls ``Booster.predict``. Hiding the package for the one import
    makes LightGBM take its own no-sklearn path; anything importing scikit-learn later gets it.
    """
    if "lightgbm" in sys.modules or "sklearn" in sys.modules:
        import lightgbm

        return lightgbm
    sys.modules["sklearn"] = None  # an import of it now raises ImportError: LightGBM's compat layer expects that
    try:
        import lightgbm
    finally:
        del sys.modules["sklearn"]
    return lightgbm


def saved_in(folder: Path) -> bool:
    return (Path(folder) / MODEL_FILE).exists() and (Path(folder) / META_FILE).exists()


Group = tuple  # (features, relevance) or (features, relevance, weight): one query's candidates


def fit_ranker(train: list[Group], valid: list[Group], config: RankerConfig, key: str, recall: float,
               seconds_so_far: float = 0.0, feature_names: Sequence[str] = FEATURES) -> LearnedRanker:
    """LambdaRank on query groups ``(features, relevance[, weight])``; rounds by early stopping on ``valid``.

    A group's weight scales its every row, so LightGBM scales that query's gradients by it.
    ``feature_names`` name the columns: the library's ``FEATURES``; a benchmark that tries more
    columns names its own, so the same training reads them."""
    import time

    import lightgbm as lgb

    started = time.perf_counter()
    params = {"objective": "lambdarank", "metric": "ndcg", "ndcg_eval_at": [5], "learning_rate": config.learning_rate,
              "num_leaves": config.num_leaves, "min_data_in_leaf": config.min_data_in_leaf,
              "feature_fraction": config.feature_fraction, "seed": config.seed, "deterministic": True,
              "num_threads": 2, "verbosity": -1}
    train_set = _dataset(lgb, train, feature_names)
    curve: dict[str, dict] = {}
    callbacks = [lgb.record_evaluation(curve)]
    valid_sets, names = [train_set], ["train"]
    if valid:
        valid_sets.append(_dataset(lgb, valid, feature_names, reference=train_set))
        names.append("validation")
        callbacks.append(lgb.early_stopping(config.early_stopping_rounds, verbose=False))
    booster = lgb.train(params, train_set, num_boost_round=config.max_rounds, valid_sets=valid_sets,
                        valid_names=names, callbacks=callbacks)
    gains = booster.feature_importance(importance_type="gain")
    summary = RankerSummary(
        key=key, queries=len(train), validation_queries=len(valid), rows=sum(len(g[0]) for g in train),
        best_iteration=int(booster.best_iteration or booster.current_iteration()),
        seconds=round(seconds_so_far + time.perf_counter() - started, 1), recall_at_candidates=round(recall, 4),
        curve={name: [round(v, 4) for v in values["ndcg@5"]] for name, values in curve.items()},
        importances={f: round(float(g), 2) for f, g in sorted(zip(feature_names, gains), key=lambda x: -x[1])},
        config=asdict(config))
    return LearnedRanker(booster, summary, compile_trees(booster, summary.best_iteration or None))


def _dataset(lgb, groups: list[Group], feature_names: Sequence[str], reference=None):
    features = np.concatenate([g[0] for g in groups]) if groups else np.zeros((0, len(feature_names)), dtype=np.float32)
    labels = np.concatenate([g[1] for g in groups]) if groups else np.zeros(0)
    weights = np.concatenate([np.full(len(g[0]), g[2] if len(g) > 2 else 1.0) for g in groups]) if groups else None
    return lgb.Dataset(features, label=labels, weight=weights, group=[len(g[0]) for g in groups],
                       feature_name=list(feature_names), reference=reference, free_raw_data=False)
