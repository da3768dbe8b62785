"""Train an index version's ranker on the instance's call sites, and decide on calibration whether it serves.

Training queries are the leak-free first calls of every script that is not held out
(``benchmark_build.ranker_queries_path``), each scored with its own script group set
aside from votes, prior and the usage graph, exactly as an evaluation sample is; a popular
target keeps a stable sample of its queries, which share its weight (``training_queries``). A
fifth of the training scripts (by a stable hash) only stops the boosting early. Then
the calibration split, never seen in training, compares the ranker with the fusion it
would replace; the winner becomes the version's default method.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from deepcodeseek.carry import (
    KEEP_CHANGE,
    Carry,
    adopt_fit,
    carried_fit,
    compatible_digest,
    instance_fingerprint,
    record_carry,
    record_fit,
    remembered_or_carried,
)
from deepcodeseek.datasets.holdout import HoldOut, exclusions_for, script_of
from deepcodeseek.datasets.splits import group_position
from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.ranking.features import FEATURES, MAX_CANDIDATES, RANK_LIMIT, SOURCE_DEPTH
from deepcodeseek.ranking.ranker import FEATURE_SET, LearnedRanker, RankerConfig, fit_ranker, saved_in
from deepcodeseek.ranking.stage import RANKER_DIR, RankingStage
from deepcodeseek.retrieval.doc_columns import rows_by_namespace
from deepcodeseek.retrieval.query import Query
from deepcodeseek.served_choice import ServedChoice, carried_choice, choice_compatible, forget_choice, record_choice

MIN_TRAINING_QUERIES = 30  # fewer positives than this cannot teach LambdaRank anything it can trust


@dataclass
class RankerOutcome:
    ranker: LearnedRanker | None
    default_method: str
    calibration: dict  # method -> {top@5, mrr@40} on the calibration split
    note: str = ""
    query_encoder: dict | None = None  # the choice measured again through the ranker, when it is the default
    pairing: object | None = None  # a cheaper student tried with a ranker of its own (``ranking.pairing``)


@dataclass
class GroupsAhead:
    """Stages whose training groups ride along an earlier pass, for a later call to fit from.

    The pairs' rankers (``ranking.pairing``) train on the same queries as the first ranker, and a
    query's encoder-free signals (BM25, votes, the graph) are much of its cost: at 10,000 namespaces,
    600 training queries took 12.3 s for the int8 teacher's stage, 12.9 s for four static students'
    stages, and 18.3 s for the five in one pass. So the first ranker's pass also computes the stages a
    build expects to pair, and the pairs' call takes their groups from here instead of passing again.
    ``open_stages`` opens those stages, one per name in ``fit_stages`` (their fit records); it is called
    only by a pass that runs anyway (a no-change reindex opens nothing), and the stages are let go after
    it. Each group is handed over once."""

    fit_stages: tuple[str, ...] = ()
    open_stages: Callable[[], list[RankingStage]] = list
    groups: dict[str, tuple[tuple[list, list, float], float]] = field(default_factory=dict)  # key -> (groups, s)
    opened: bool = False

    def take(self, key: str) -> tuple[tuple[list, list, float], float] | None:
        """The groups computed ahead for the training key, and their share of the pass's seconds."""
        return self.groups.pop(key, None)


def training_key(version: str, samples: list[Sample], holdout: HoldOut, config: RankerConfig, with_dense: bool,
                 query_encoder: str = "teacher") -> str:
    """``query_encoder``: what computed the dense feature (the teacher, or a student's name and folder);
    another one retrains."""
    h = hashlib.sha256(f"{version}|{FEATURE_SET}|{FEATURES}|ranks exact to {RANK_LIMIT}|"
                       f"candidates {json.dumps(SOURCE_DEPTH, sort_keys=True)} at most {MAX_CANDIDATES}|"
                       f"{json.dumps(asdict(config), sort_keys=True)}|{with_dense}".encode())
    if with_dense:
        h.update(f"|query encoder {query_encoder}".encode())
    h.update(json.dumps(holdout.as_json(), sort_keys=True).encode())
    for s in samples:
        h.update(f"{s.id}|{s.target_namespace}|{len(s.code_before)}|{len(s.code_after)}\x01".encode())
    return h.hexdigest()


def target_callers(retriever, targets: set[int]) -> frozenset[str]:
    """The scripts whose call sites call one of the ``targets`` documents."""
    if not targets or not len(retriever.context_callers):
        return frozenset()
    return frozenset(retriever.context_callers[np.isin(retriever.context_targets, list(targets))])


def target_weights(samples: list[Sample], cap: float) -> list[float]:
    """Per training query: min(1, ``cap`` / how many training queries share its target) (1 without a cap).

    Training queries are every first call of every free script, uncapped, so a few platform
    APIs supply most of them; unweighted, LambdaRank learns that the most called API wins."""
    if not cap:
        return [1.0] * len(samples)
    count = Counter(s.target_namespace for s in samples)
    return [min(1.0, cap / count[s.target_namespace]) for s in samples]


def training_queries(samples: list[Sample], cap: float, sample_factor: float = 0.0) -> tuple[list[Sample], list[float]]:
    """The training queries a ranker computes features for, and their weights (:func:`target_weights`).

    With ``sample_factor`` (and a ``cap``), a target keeps at most ``ceil(sample_factor * cap)`` of its
    queries, picked by a stable hash of each query's id, and they share the weight its queries had:
    ``cap`` in all, as before. A popular API's thousands of call sites each weighed next to nothing
    (GlideRecord's 22,716 at 25,000 namespaces weighed 0.002 each), yet each cost a full feature
    pass: at 25k, 86% of the pass bought 0.3% of the weight. The pick depends on the query alone,
    so a small change keeps the others. 0 keeps every query."""
    weights = target_weights(samples, cap)
    if not (cap and sample_factor):
        return list(samples), weights
    keep = math.ceil(sample_factor * cap)
    by_target: dict[str, list[int]] = {}
    for k, s in enumerate(samples):
        by_target.setdefault(s.target_namespace, []).append(k)
    kept: set[int] = set()
    for rows in by_target.values():
        kept.update(sorted(rows, key=lambda k: group_position(f"ranker-sample:{samples[k].id}"))[:keep])
    share = {t: min(1.0, cap / min(len(rows), keep)) for t, rows in by_target.items()}
    order = sorted(kept)
    return [samples[k] for k in order], [share[samples[k].target_namespace] for k in order]


def training_groups(stage: RankingStage, samples: list[Sample], holdout: HoldOut,
                    progress: Callable[[str], None] | None = None,
                    max_callers: int = 0, weight_cap: float = 0.0) -> tuple[list, list, float]:
    """``(features, relevance, weight)`` per query whose target made the candidates: training and
    validation groups, and the share of queries whose target did (the candidates' recall).
    Weights come from :func:`target_weights`.

    With ``max_callers``, a query whose target only a few scripts call is also added with those
    scripts set aside: the cold start the ranker meets whenever an instance calls an API for the
    first time (no votes, no prior, no graph neighbours), which plain training shows too rarely
    for the model to learn that a candidate without precedent can still be the answer."""
    return training_groups_of([stage], samples, holdout, progress, max_callers, weight_cap)[0]


def training_groups_of(stages: Sequence[RankingStage], samples: list[Sample], holdout: HoldOut,
                       progress: Callable[[str], None] | None = None, max_callers: int = 0,
                       weight_cap: float = 0.0, workers: int = 1,
                       sample_factor: float = 0.0) -> list[tuple[list, list, float]]:
    """:func:`training_groups` for several stages of one version (one per query encoder) in one pass:
    each query's encoder-free signals are computed once (``RankingStage.signals``), and each stage
    adds its own dense similarity, candidates and features. The groups are what each stage alone gives.

    ``workers``: processes that share the queries (0: one per usable core; ``feature_workers``), where
    there are enough queries to pay for their start. The groups are the same, in the same order.
    ``sample_factor``: how many of a popular target's queries are computed (:func:`training_queries`)."""
    from deepcodeseek.ranking.feature_workers import groups_in_workers, reopenable, worker_count

    samples, weights = training_queries(samples, weight_cap, sample_factor)
    processes = worker_count(workers, len(samples))
    reopen = reopenable(stages) if processes > 1 else None
    if reopen is not None:
        out = groups_in_workers(stages, reopen, samples, weights, holdout, max_callers, processes, progress)
    else:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):  # as the workers and the service compute a query
            out = groups_of_block(stages, samples, weights, holdout, max_callers, progress)
    return [(train, held, found / max(1, len(samples))) for train, held, found in out]


def groups_of_block(stages: Sequence[RankingStage], samples: list[Sample], weights: list[float], holdout: HoldOut,
                    max_callers: int, progress: Callable[[str], None] | None = None) -> list[tuple[list, list, int]]:
    """Per stage, the training and validation groups of ``samples`` (in order) and how many of them
    had their target among the candidates: the pass itself, in this process."""
    from deepcodeseek.ranking.feature_workers import features_progress

    first = stages[0]
    by_namespace = {n: set(rows) for n, rows in rows_by_namespace(first.retriever.docs).items()}
    out = [([], [], 0) for _ in stages]
    started = time.perf_counter()

    def inputs_of(query: Query, exclude: frozenset[str]) -> list:
        if len(stages) == 1:
            return [first.inputs(query, exclude)]
        shared = first.signals(query, exclude)
        return [stage.inputs(query, exclude, shared) for stage in stages]

    for n, (sample, weight) in enumerate(zip(samples, weights), start=1):
        query = Query(sample.code_before, sample.code_after or None, sample.scope)
        targets = by_namespace.get(sample.target_namespace, set())
        script = script_of(sample) or sample.id
        valid = group_position(f"ranker-validation:{script}") < RankerConfig.validation_share
        exclude = exclusions_for(sample, holdout)
        plain = inputs_of(query, exclude)
        callers = target_callers(first.retriever, targets)
        cold = inputs_of(query, exclude | callers) if 0 < len(callers - exclude) <= max_callers else [None] * len(stages)
        for k, (inputs, cold_inputs) in enumerate(zip(plain, cold)):
            train, held, found = out[k]
            groups = held if valid else train
            relevance = np.array([1.0 if int(i) in targets else 0.0 for i in inputs.candidates])
            if relevance.any():
                out[k] = (train, held, found + 1)
                groups.append((inputs.features, relevance, weight))
            if cold_inputs is not None:
                relevance = np.array([1.0 if int(i) in targets else 0.0 for i in cold_inputs.candidates])
                if relevance.any():
                    groups.append((cold_inputs.features, relevance, weight))
        if progress and n % 200 == 0:
            progress(features_progress(n, len(samples), started, len(stages)))
    return out


def ranker_compatible(stage: RankingStage, config: RankerConfig) -> str:
    """What a ranker fitted on another version must share with this one to be carried over: the
    embedder, the features, the candidates, the settings and the encoder of the dense feature."""
    return compatible_digest("ranker", stage.retriever.model_name, FEATURE_SET, FEATURES, RANK_LIMIT, SOURCE_DEPTH,
                             MAX_CANDIDATES, asdict(config), stage.with_dense,
                             stage.retriever.query_encoder_identity if stage.with_dense else "")


def train_stage_ranker(stage: RankingStage, samples: list[Sample], holdout: HoldOut,
                       config: RankerConfig = RankerConfig(),
                       progress: Callable[[str], None] | None = None,
                       now: np.ndarray | None = None, fit_stage: str = "ranker", workers: int = 1,
                       ahead: GroupsAhead | None = None) -> LearnedRanker | None:
    """Train (or reuse) the version's ranker; None when there are too few training queries.

    The model goes to ``ranker-<key>`` inside the version folder; the same key finds it again.
    With ``now`` (the instance's fingerprint, ``deepcodeseek.carry``), the ranker last fitted
    with the same settings is copied into this version instead, while the instance has
    changed by at most ``KEEP_CHANGE`` since that fit: features are computed at query time from
    this version's index, so a booster that learned from 99% of these call sites serves as well.
    ``fit_stage`` names the fit record: a second ranker of the version (``ranking.pairing``) keeps its own.
    ``workers``: processes computing the features (``training_groups_of``). ``ahead``: stages whose
    groups this pass computes too, for a later call (:class:`GroupsAhead`).
    """
    return train_stage_rankers([stage], samples, holdout, config, progress, now, [fit_stage], workers, ahead)[0]


def train_stage_rankers(stages: Sequence[RankingStage], samples: list[Sample], holdout: HoldOut,
                        config: RankerConfig, progress: Callable[[str], None] | None, now: np.ndarray | None,
                        fit_stages: Sequence[str], workers: int = 1,
                        ahead: GroupsAhead | None = None) -> list[LearnedRanker | None]:
    """:func:`train_stage_ranker` for several stages of one version, one per query encoder (the pairs of
    ``ranking.pairing``): each is reused or carried where it can be, and the rest compute their
    features in one pass (``training_groups_of``), then fit one by one. A ranker's ``seconds`` is its
    share of that pass and its own fit.

    With ``ahead``, a stage whose groups an earlier pass computed takes them from there, and a pass
    this call makes anyway also computes ``ahead``'s stages that will need a fit."""
    out: list[LearnedRanker | None] = [None] * len(stages)
    keys = [_key_of(st, samples, holdout, config) for st in stages]
    fitting = []
    for k, (stage, key, fit_stage) in enumerate(zip(stages, keys, fit_stages)):
        out[k] = _reused_or_carried(stage, key, config, now, fit_stage, progress)
        if out[k] is None:
            fitting.append(k)
    if not fitting:
        return out
    grouped = {k: taken for k in fitting if ahead is not None and (taken := ahead.take(keys[k])) is not None}
    passing = [k for k in fitting if k not in grouped]
    if passing:
        extra = _ahead_to_compute(ahead, set(keys), samples, holdout, config, now) if ahead is not None else []
        started = time.perf_counter()
        computed = training_groups_of([stages[k] for k in passing] + [st for st, _ in extra], samples, holdout,
                                      progress, config.cold_copies_max_callers, config.target_weight_cap, workers,
                                      config.sample_factor)
        share = (time.perf_counter() - started) / len(computed)
        grouped.update({k: (groups, share) for k, groups in zip(passing, computed)})
        if ahead is not None:
            ahead.groups.update({key: (groups, share) for (_, key), groups in zip(extra, computed[len(passing):])})
    for k in fitting:
        (train, valid, recall), share = grouped[k]
        if len(train) < MIN_TRAINING_QUERIES:
            continue
        stage = stages[k]
        index, rel = stage.retriever.paths.index, _ranker_rel(stage, keys[k])
        ranker = fit_ranker(train, valid, config, keys[k], recall, seconds_so_far=share)
        index.write_once(rel, ranker.write)  # a part of the version: local rename or S3 upload with its marker
        if now is not None:
            record_fit(stage.retriever.paths.root, fit_stages[k], ranker_compatible(stage, config), rel, now)
        stage.ranker = out[k] = ranker
        if progress:
            progress(f"ranker: {len(train)} training queries, {len(valid)} validation, best round "
                     f"{ranker.summary.best_iteration}, candidates' recall {recall:.3f}")
    return out


def _key_of(stage: RankingStage, samples: list[Sample], holdout: HoldOut, config: RankerConfig) -> str:
    return training_key(stage.retriever.version, samples, holdout, config, stage.with_dense,
                        stage.retriever.query_encoder_identity)


def _ahead_to_compute(ahead: GroupsAhead, exclude: set[str], samples: list[Sample], holdout: HoldOut,
                      config: RankerConfig, now: np.ndarray | None) -> list[tuple[RankingStage, str]]:
    """``ahead``'s stages, with their keys, that a later call will have to fit: not computed yet, not
    among this call's own, and neither held by the version nor carried over a small change. Opened once."""
    if ahead.opened or not ahead.fit_stages:
        return []
    ahead.opened, out = True, []
    for stage, fit_stage in zip(ahead.open_stages(), ahead.fit_stages):
        key = _key_of(stage, samples, holdout, config)
        if key not in exclude and _held(stage, key) is None and _carriable(stage, config, now, fit_stage) is None:
            out.append((stage, key))
            exclude.add(key)
    return out


def _ranker_rel(stage: RankingStage, key: str) -> str:
    """The folder, inside the index, of the stage's ranker trained under ``key``."""
    return f"{stage.version_rel}/{RANKER_DIR}-{key[:16]}"


def _held(stage: RankingStage, key: str) -> str | None:
    """The version's folder of the ranker fitted under ``key``, where it is complete."""
    index, rel = stage.retriever.paths.index, _ranker_rel(stage, key)
    return rel if index.is_complete(rel) and saved_in(index.local(rel)) else None


def _carriable(stage: RankingStage, config: RankerConfig, now: np.ndarray | None, fit_stage: str) -> tuple | None:
    """The fit (and the change since it) that may be carried into this version; None to fit again."""
    if now is None:
        return None
    index = stage.retriever.paths.index
    found = carried_fit(stage.retriever.paths.root, fit_stage, ranker_compatible(stage, config), now)
    return found if found and index.is_complete(found[0].key) and saved_in(index.local(found[0].key)) else None


def _reused_or_carried(stage: RankingStage, key: str, config: RankerConfig, now: np.ndarray | None,
                       fit_stage: str, progress: Callable[[str], None] | None) -> LearnedRanker | None:
    """The ranker this version already holds under ``key``, or one carried over a small change; None
    when it must be fitted."""
    index, rel = stage.retriever.paths.index, _ranker_rel(stage, key)
    root, compatible = stage.retriever.paths.root, ranker_compatible(stage, config)
    if _held(stage, key) is not None:
        stage.ranker = LearnedRanker.load(index.local(rel))
        stage.ranker.summary.reused = True
        if now is not None:
            adopt_fit(root, fit_stage, compatible, rel, now)
        return stage.ranker
    found = _carriable(stage, config, now, fit_stage)
    if found:
        carried = LearnedRanker.load(index.local(found[0].key))
        carried.summary.fitted_key = carried.summary.fitted_key or carried.summary.key
        carried.summary.key = key
        index.write_once(rel, carried.write)
        record_carry(root, found[0], rel, found[1])
        stage.ranker = carried
        if progress:
            progress(f"ranker carried over from {found[0].key} ({found[1]:.2%} of the instance changed since "
                     f"its fit; at most {KEEP_CHANGE:.0%})")
        return carried
    return None


def manifest_summary(ranker: LearnedRanker) -> dict:
    """What a version's manifest says of the ranker it serves: its figures and its folder."""
    summary = {k: v for k, v in asdict(ranker.summary).items()
               if k not in ("curve", "importances", "config", "reused")}  # reused: this build's, not the ranker's
    summary["folder"] = f"{RANKER_DIR}-{ranker.summary.key[:16]}"
    if not summary["fitted_key"]:  # fitted for this version: the manifest reads as before carrying existed
        del summary["fitted_key"]
    return summary


def decide_default(retriever, samples: list[Sample], holdout: HoldOut) -> tuple[str, dict]:
    """The ranker serves by default only when it beats the fusion on the calibration split (top@5, then MRR)."""
    from deepcodeseek.evaluation.report import score_methods

    if not samples:
        return "fusion", {}
    figures = ab_figures({s.method: s for s in score_methods(retriever, samples, ("ranker", "fusion"), holdout)})
    return ("ranker" if ranker_beats_fusion(figures) else "fusion"), figures


def ab_figures(scores: dict) -> dict:
    """``{ranker, fusion} -> {top@1, top@5, mrr@40}`` from their ``MethodScores``: what an A/B records."""
    return {m: {"top@1": round(s.top_k(1), 4), "top@5": round(s.top_k(5), 4), "mrr@40": round(s.mrr(), 4)}
            for m, s in scores.items() if m in ("ranker", "fusion")}


def ranker_beats_fusion(figures: dict) -> bool:
    """The calibration A/B's verdict on ``{ranker, fusion} -> figures``: top@5, then MRR@40."""
    ranker, fusion = figures.get("ranker"), figures.get("fusion")
    return bool(ranker and fusion) and (ranker["top@5"], ranker["mrr@40"]) > (fusion["top@5"], fusion["mrr@40"])


def stage_ranked_version(store, paths, base_model: str, tuned_model: str | None,
                         config: RankerConfig = RankerConfig(), enabled: bool = True,
                         progress: Callable[[str], None] | None = None, workers: int = 1) -> RankerOutcome:
    """Train the ranker of the version this build publishes, choose its default method, and restage it.
    Where the query encoders' stage carried the last choice over a warm start (``deepcodeseek.served_choice``),
    only the served encoder's ranker is trained and A/B-tested: no student is measured through it, no pair
    trained. ``workers``: processes computing the training features (0: one per usable core)."""
    from deepcodeseek.evaluation.benchmark import read_benchmark
    from deepcodeseek.evaluation.benchmark_build import (
        CALIBRATION_SPLIT,
        datasets_dir,
        ranker_queries_path,
        read_holdout_of,
        read_split,
    )
    from deepcodeseek.index.release import build_version, restage
    from deepcodeseek.measured import folder_digest, inputs_key
    from deepcodeseek.retrieval.retriever import Retriever

    manifest, _ = build_version(store, paths, base_model, tuned_model)
    retriever = Retriever(paths.instance, str(paths.home), version=manifest["version"])
    known = retriever.docs.namespaces()
    holdout = read_holdout_of(paths)
    path = ranker_queries_path(paths)
    samples = read_benchmark(path, known).samples if enabled and path.exists() else []
    now = instance_fingerprint(store, paths.root) if samples else None
    from deepcodeseek.ranking.pairing import pair_cheaper_students, pairs_ahead

    carried = (manifest.get("query_encoders") or {}).get("carried_choice")  # only the served student was trained
    ahead = pairs_ahead(paths, manifest, retriever.query_encoder_name) if samples and not carried else None
    ranker = train_stage_ranker(retriever.ranking, samples, holdout, config, progress, now,
                                workers=workers, ahead=ahead) if samples else None
    if ranker is None:
        note = "disabled" if not enabled else f"{len(samples)} training queries: too few to learn a ranker"
        restage(paths, manifest, {"default_method": "fusion", "ranker": None})
        forget_choice(paths.root)
        return RankerOutcome(None, "fusion", {}, note)
    # The A/B on calibration read every calibration query through the ranker and the fusion with the
    # teacher encoding them: a third of a no-change reindex of the corpus (33 of 89 s). Kept by what it read.
    key = inputs_key(manifest, "ranker_default", ranker.summary.key, folder_digest(datasets_dir(paths)))
    # A ranker carried over a small change carries the A/B it won (or lost) with it.
    fitted = ranker.summary.fitted_key or ranker.summary.key
    calibration = read_split(paths, CALIBRATION_SPLIT, known)
    decided, _ = remembered_or_carried(paths.root, "ranker_default", key, lambda: dict(zip(
        ("default", "figures"), decide_default(retriever, calibration, holdout))),
        Carry(compatible_digest("ranker_default", fitted), now))
    default, figures = decided["default"], decided["figures"]
    manifest = restage(paths, manifest, {"default_method": default, "ranker": manifest_summary(ranker),
                                         "ranker_calibration": figures})
    if progress:
        progress(f"default method {default} (calibration: {figures})")
    if default != "ranker":
        forget_choice(paths.root)  # the choice was made for the ranker: the next build chooses again
        note = "the carried choice's ranker lost its A/B: the next build measures every student" if carried else ""
        return RankerOutcome(ranker, default, figures, note)
    if carried:  # the served student and its ranker, fitted for this version; the choice stands
        restage(paths, manifest, {"paired_query_encoder": None})
        record = carried_choice(paths.root, choice_compatible(paths.home, base_model, tuned_model), now, None)
        if record is None or record.ranker_config != compatible_digest(asdict(config)):
            forget_choice(paths.root)  # made with other ranker settings: it serves this once, then is made again
        return RankerOutcome(ranker, default, figures, note=f"the choice of version {carried['from_version']} "
                             f"serves on: {carried['serves']}", query_encoder=manifest.get("query_encoders"))
    from deepcodeseek.encoders.pipeline import rechoose_for_default

    manifest, measured = rechoose_for_default(paths, manifest, retriever, default, progress,
                                              carry_with=(compatible_digest("through ranker", fitted), now))
    manifest, pairing, paired_ranker = pair_cheaper_students(
        paths, manifest, measured, samples, calibration, holdout, config, now, progress, workers, ahead)
    if paired_ranker is not None:  # the version serves a student with a ranker of its own
        ranker, figures = paired_ranker, manifest["ranker_calibration"]
    _record_choice_if_new(paths, manifest, measured, base_model, tuned_model, config, now)
    return RankerOutcome(ranker, default, figures, query_encoder=manifest.get("query_encoders"), pairing=pairing)


def _record_choice_if_new(paths, manifest: dict, measured: list, base_model: str, tuned_model: str | None,
                          config: RankerConfig, now: np.ndarray | None) -> None:
    """Record the choice this build serves (``deepcodeseek.served_choice``), unless a choice that may
    still be carried is on record: its fingerprint is the one later changes count from, so builds that
    read their choice back or carry it over a small change leave it."""
    compatible = choice_compatible(paths.home, base_model, tuned_model)
    students = sorted((manifest.get("query_encoders") or {}).get("students") or {})
    if compatible is None or now is None or not measured or carried_choice(paths.root, compatible, now, students):
        return
    served = (manifest.get("query_encoder") or {}).get("name") or "teacher"
    paired = bool((manifest.get("paired_query_encoder") or {}).get("serves"))
    record_choice(paths.root, compatible, ServedChoice(
        encoder=served, paired=paired, version=manifest["version"], students=students,
        ranker_config=compatible_digest(asdict(config)), measured=[m.as_dict() for m in measured]), now)


def default_evidence(manifest: dict) -> tuple[bool, str]:
    """Whether a version's default method is backed by its own calibration figures.

    A learned stage serves by default only after winning on calibration: ``ranker`` must beat
    ``fusion`` there (top@5, then MRR), a ``rerank_*`` method must beat no rerank within its
    latency budget (top@5, then top@1, then top@10). A manifest that names a learned default without that evidence is a defect
    (a hand-edited manifest, or a stage that skipped its A/B test).
    """
    default = manifest.get("default_method") or "fusion"
    if default.startswith("rerank_"):
        served = (manifest.get("rerankers") or {}).get(default) or {}
        top = (manifest.get("rerankers_calibration") or {}).get("top") or {}
        mine, base = top.get(default), top.get("no rerank")
        if not served or mine is None or base is None:
            return False, f"default {default} has no calibration A/B against no rerank in the manifest"
        from deepcodeseek.rerankers.table4 import ab_key

        won = ab_key(mine) > ab_key(base)
        ok = won and bool(served.get("within_budget"))
        return ok, (f"{default} on calibration: top@5 {mine.get('top@5')} against no rerank {base.get('top@5')}"
                    f", within budget: {served.get('within_budget')}")
    if default == "ranker":
        figures = manifest.get("ranker_calibration") or {}
        ranker, fusion = figures.get("ranker"), figures.get("fusion")
        if not ranker or not fusion:
            return False, "default ranker has no calibration comparison with fusion in the manifest"
        return ranker_beats_fusion(figures), (f"ranker on calibration: top@5 {ranker['top@5']} "
                                              f"against fusion {fusion['top@5']}")
    return True, f"default {default}: no learned stage serves by default"
