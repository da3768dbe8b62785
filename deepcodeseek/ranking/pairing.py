"""A cheaper query encoder paired with a ranker of its own, chosen on calibration against the teacher.

The ranker's dense feature is the similarity that the serving encoder computes, so a ranker
learns the scale and the noise of the encoder it was trained with. Measured through a ranker
trained with the int8 teacher, the static students keep 77-92% of the teacher's top-5 and none
serves; through a ranker trained with ``static-procrustes``, that student kept 102% (stop 24,
``scale2600``, calibration). Judging a cheap student through the teacher's ranker judges the
pair, not the student.

So, where the ranker is the default and the encoder it serves costs more than
``PAIR_ABOVE_MS`` per query, the build trains a ranker for each student that costs at most
``PAIR_COST_SHARE`` of it, and measures each pair on calibration with that student encoding the
queries. The pairs then compete with the first choice by the rule the students are chosen by
(``encoders.measure.select_student``: the cheapest that keeps 97% of the teacher's default top-5,
or, on a split too small to resolve 3%, the most faithful that loses nothing); a pair whose ranker
loses to its own fusion cannot serve. The teacher's top-5 is the one measured through the first
ranker, which was trained with the teacher's similarities (or a student's that kept them). Every
ranker stays in the version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace

import numpy as np

from deepcodeseek.carry import Carry, compatible_digest, keep_measured, recalled
from deepcodeseek.datasets.holdout import HoldOut
from deepcodeseek.encoders.measure import (TEACHER, StudentMeasurement, choice_cost, keeps_teacher, select_student,
                                           too_few_to_tolerate)
from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.ranking.ranker import LearnedRanker, RankerConfig
from deepcodeseek.ranking.training import GroupsAhead

PAIR_ABOVE_MS = 1.0  # the encode target: an encoder within it is not worth a second ranker
PAIR_COST_SHARE = 0.5  # a paired student must cost at most this share of the encoder it would replace
MAX_PAIRS = 5  # rankers a build may train for students (about 1.5 min each at 2.6k namespaces on 2 cores)
PAIR_FIT = "ranker-paired"  # fit records ``ranker-paired-<student>`` (``deepcodeseek.carry``)


@dataclass
class Pair:
    """One student with a ranker trained on its similarities, measured on calibration."""

    student: str
    ranker_folder: str  # inside the version folder
    calibration: dict  # {ranker, fusion} -> {top@1, top@5, mrr@40}, the student encoding the queries
    kept: float  # the pair's top-5 as a share of the teacher's through the first ranker
    beats_fusion: bool  # (top@5, then MRR): a pair whose ranker loses to its own fusion cannot serve


@dataclass
class Pairing:
    """One build's pairs, and which one serves (None: the first choice stands)."""

    replaces: str  # the encoder the first ranker's choice serves
    teacher_top5: float  # the teacher through the first ranker: the figure a pair must keep
    teacher_ranker_folder: str  # the first ranker, kept so the report can set the teacher beside the pair
    pairs: list[Pair]
    serves: str | None
    why: str

    @property
    def served(self) -> Pair | None:
        return next((p for p in self.pairs if p.student == self.serves), None)

    def as_manifest(self) -> dict:
        return asdict(self)


def pairing_candidates(measured: Sequence[StudentMeasurement], served: str) -> list[StudentMeasurement]:
    """The students worth a ranker of their own: those at most ``PAIR_COST_SHARE`` of the served
    encoder's cost, where that encoder costs more than ``PAIR_ABOVE_MS``; at most ``MAX_PAIRS``, the
    ones that kept most through the first ranker first.

    What a student keeps through a ranker trained with another encoder predicts badly what it
    keeps with its own (``scale2600``, calibration top@5: ``static`` 0.483 through the teacher's ranker
    and 0.639 with its own, ``static-mlp`` 0.577 and 0.609), so every cheap student is tried."""
    by_name = {m.name: m for m in measured}
    current = by_name.get(served)
    if current is None or choice_cost(current) <= PAIR_ABOVE_MS:
        return []
    cheaper = [m for m in measured if m.name != TEACHER and choice_cost(m) <= PAIR_COST_SHARE * choice_cost(current)]
    return sorted(cheaper, key=lambda m: (-m.default_top5, choice_cost(m), m.name))[:MAX_PAIRS]


def pairs_ahead(paths, manifest: dict, served: str) -> GroupsAhead:
    """The students a build expects to pair, guessed before the first ranker is trained, so that their
    training features ride along its pass (``training.GroupsAhead``), by the costs the query encoders'
    choice measured.

    :func:`pairing_candidates` decides later, from the encoder chosen again through the first ranker:
    the students at most ``PAIR_COST_SHARE`` of its cost. That encoder costs more than
    ``PAIR_ABOVE_MS`` wherever pairs are trained, so the guess is the students at most that share of
    the cheapest encoder above ``PAIR_ABOVE_MS``, while the first ranker's encoder (``served``) costs
    more than ``PAIR_ABOVE_MS`` too: a stage the pairs train, unless more than ``MAX_PAIRS`` students
    qualify (the pairs take those that kept most through the first ranker). On ``scale10000``, ``corpus``
    and ``stock`` that is the four static students, which is what each paired; a share of the most
    expensive encoder would have added ``teacher-onnx-int8-32`` at 10,000 namespaces, whose own encode
    costs what the pass saves. A pair the guess misses computes its features as before, and where the
    ranker loses its A/B nothing is paired and these stages' share of the pass is spent for nothing."""
    choice = manifest.get("query_encoders") or {}
    folders = choice.get("students") or {}
    costs = {r["student"]: r.get("choice cost ms", r.get("encode p50 ms")) for r in choice.get("calibration") or []}
    costs = {n: c for n, c in costs.items() if c is not None}
    above = [c for c in costs.values() if c > PAIR_ABOVE_MS]
    if costs.get(served, 0.0) <= PAIR_ABOVE_MS or not above:
        return GroupsAhead()
    names = sorted((n for n, c in costs.items() if n not in (TEACHER, served) and n in folders
                    and c <= PAIR_COST_SHARE * min(above)), key=lambda n: (costs[n], n))[:MAX_PAIRS]
    return GroupsAhead(tuple(f"{PAIR_FIT}-{n}" for n in names),
                       lambda: [_student_retriever(paths, manifest, n, folders[n]).ranking for n in names])


def _student_retriever(paths, manifest: dict, name: str, folder: str):
    """The version with the student ``name`` encoding the queries."""
    from deepcodeseek.retrieval.retriever import Retriever

    return Retriever(paths.instance, str(paths.home), manifest={**manifest, "query_encoder": {"name": name,
                                                                                             "model": folder}})


def choose_pair(measured: Sequence[StudentMeasurement], served: str, pairs: Sequence[Pair]) -> tuple[str | None, str]:
    """Which pair serves, by the rule the students are chosen by (``encoders.measure.select_student``):
    the first choice and every pair whose ranker beats its fusion compete, each with its calibration
    top-5, against the teacher's through the first ranker. None where the first choice stands."""
    by_name = {m.name: m for m in measured}
    contenders = [replace(by_name[p.student], default_top5=p.calibration["ranker"]["top@5"])
                  for p in pairs if p.beats_fusion]
    first = [by_name[served]] if served != TEACHER else []
    chosen = select_student([by_name[TEACHER], *first, *contenders])
    teacher = by_name[TEACHER]
    if chosen in {p.student for p in pairs}:
        pair = next(p for p in pairs if p.student == chosen)
        return chosen, (f"{chosen} with its own ranker: top@5 {pair.calibration['ranker']['top@5']} against the "
                        f"teacher's {teacher.default_top5:.4f} on {teacher.samples} calibration samples")
    keeping = [p for p in pairs if p.beats_fusion and keeps_teacher(p.calibration["ranker"]["top@5"], teacher)]
    if keeping and too_few_to_tolerate(teacher):
        first_cosine = (by_name[served].cosine_to_teacher or 0.0) if served != TEACHER else 1.0
        return None, (f"the first choice stands: {len(keeping)} pair(s) lose nothing (best: "
                      f"{max(keeping, key=lambda p: p.kept).student}), but on {teacher.samples} calibration samples "
                      f"a gain cannot be told from noise, so the encoder closest to the teacher serves ({served}, "
                      f"cosine {first_cosine:.3f})")
    best = max(pairs, key=lambda p: p.kept, default=None)
    return None, ("no pair keeps the teacher's top@5" + (f" (best: {best.student}, {best.kept:.1%})" if best else ""))


def pair_cheaper_students(paths, manifest: dict, measured: Sequence[StudentMeasurement], training: list[Sample],
                          calibration: list[Sample], holdout: HoldOut, config: RankerConfig,
                          now: np.ndarray | None, progress: Callable[[str], None] | None = None,
                          workers: int = 1, ahead: GroupsAhead | None = None
                          ) -> tuple[dict, Pairing | None, LearnedRanker | None]:
    """Train a ranker for each cheaper student (``pairing_candidates``), measure each pair on
    calibration, and restage the version with the pair ``choose_pair`` picks (with the attempt
    on record either way). ``measured``: the students through the first ranker, teacher first
    (``encoders.pipeline.rechoose_for_default``). Returns the restaged manifest, the pairing
    (None where nothing was tried) and the ranker that serves with the chosen pair. ``workers``: processes
    computing the rankers' training features (``training.training_groups_of``); ``ahead``: groups the
    first ranker's pass computed for the students it expected to pair (:func:`pairs_ahead`)."""
    from deepcodeseek.index.release import restage

    choice = manifest.get("query_encoders") or {}
    folders = choice.get("students") or {}
    served = (manifest.get("query_encoder") or {}).get("name") or TEACHER
    candidates = pairing_candidates(measured, served) if manifest.get("default_method") == "ranker" else []
    candidates = [m for m in candidates if m.name in folders]
    if not candidates or not calibration:
        return restage(paths, manifest, {"paired_query_encoder": None}), None, None
    teacher = next(m for m in measured if m.name == TEACHER)
    trained = [(candidate, retriever, ranker) for candidate, retriever, ranker in _trained_pairs(
        paths, manifest, candidates, folders, training, holdout, config, now, progress, workers, ahead)
        if ranker is not None]
    pairs = _measured_pairs(paths, manifest, trained, calibration, holdout, now, teacher, progress)
    rankers = {candidate.name: ranker for candidate, _, ranker in trained}
    chosen, why = choose_pair(measured, served, pairs)
    pairing = Pairing(served, teacher.default_top5, (manifest.get("ranker") or {}).get("folder", ""), pairs, chosen,
                      why)
    if progress:
        progress(f"pairing: {why}")
    if chosen is None:
        return restage(paths, manifest, {"paired_query_encoder": pairing.as_manifest()}), pairing, None
    from deepcodeseek.ranking.training import manifest_summary

    note = f"{choice.get('note', '')}; paired: {why} (through the first ranker: {served})".lstrip("; ")
    return restage(paths, manifest, {
        "query_encoder": {"name": chosen, "model": folders[chosen]}, "ranker": manifest_summary(rankers[chosen]),
        "ranker_calibration": pairing.served.calibration, "query_encoders": {**choice, "chosen": chosen, "note": note},
        "paired_query_encoder": pairing.as_manifest()}), pairing, rankers[chosen]


def _trained_pairs(paths, manifest: dict, candidates: Sequence[StudentMeasurement], folders: dict,
                   training: list[Sample], holdout: HoldOut, config: RankerConfig, now: np.ndarray | None,
                   progress: Callable[[str], None] | None, workers: int = 1,
                   ahead: GroupsAhead | None = None) -> list[tuple[StudentMeasurement, object, LearnedRanker | None]]:
    """Each candidate's retriever (the version with that student encoding the queries) and a ranker
    trained with its similarities (or read back, or carried). The rankers that must be fitted take the
    groups computed ahead, and compute the rest in one pass over the training queries, each query's
    encoder-free signals once (``training.train_stage_rankers``): four pairs had cost four passes."""
    from deepcodeseek.ranking.training import train_stage_rankers

    retrievers = [_student_retriever(paths, manifest, c.name, folders[c.name]) for c in candidates]
    if progress:
        progress(f"pairing: rankers trained with the similarities of {', '.join(c.name for c in candidates)}")
    rankers = train_stage_rankers([r.ranking for r in retrievers], training, holdout, config, progress, now,
                                  [f"{PAIR_FIT}-{c.name}" for c in candidates], workers, ahead)
    return list(zip(candidates, retrievers, rankers))


def _measured_pairs(paths, manifest: dict, trained: Sequence[tuple[StudentMeasurement, object, LearnedRanker]],
                    calibration: list[Sample], holdout: HoldOut, now: np.ndarray | None,
                    teacher: StudentMeasurement, progress: Callable[[str], None] | None) -> list[Pair]:
    """Each student and its ranker, A/B-tested against the fusion on calibration with that student encoding
    the queries. Each pair keeps its own results (read back, or carried over a small change); the pairs
    measured now answer in one pass (``evaluation.query_major``), which computes each query's
    encoder-free signals once for all of them."""
    from deepcodeseek.evaluation.benchmark_build import datasets_dir
    from deepcodeseek.evaluation.query_major import Job, score_jobs
    from deepcodeseek.measured import folder_digest, inputs_key
    from deepcodeseek.ranking.training import ab_figures

    digest = folder_digest(datasets_dir(paths))
    figures, pending = {}, []
    for candidate, retriever, ranker in trained:
        stage = f"paired_default-{candidate.name}"  # one stage per student: each keeps its own recent results
        key = inputs_key(manifest, "paired_default", ranker.summary.key, digest)
        fitted = ranker.summary.fitted_key or ranker.summary.key
        carry = Carry(compatible_digest("paired_default", fitted), now) if now is not None else None
        found = recalled(paths.root, stage, key, carry)
        if found is not None:
            figures[candidate.name] = found[0]["figures"]
        else:
            pending.append((candidate, retriever, stage, key, carry))
    if pending:
        scores = score_jobs([Job(f"{c.name}:{m}", r, m) for c, r, *_ in pending for m in ("ranker", "fusion")],
                            calibration, holdout)
        for candidate, _, stage, key, carry in pending:
            figures[candidate.name] = ab_figures({m: scores[f"{candidate.name}:{m}"] for m in ("ranker", "fusion")})
            keep_measured(paths.root, stage, key, {"figures": figures[candidate.name]}, carry)
    return [_pair(candidate, ranker, figures[candidate.name], teacher, progress) for candidate, _, ranker in trained]


def _pair(candidate: StudentMeasurement, ranker: LearnedRanker, figures: dict, teacher: StudentMeasurement,
          progress: Callable[[str], None] | None) -> Pair:
    """A student's pair from its A/B figures: the share of the teacher's top@5 it keeps, and its verdict."""
    from deepcodeseek.ranking.training import manifest_summary, ranker_beats_fusion

    top5 = (figures.get("ranker") or {}).get("top@5", 0.0)
    kept = round(top5 / teacher.default_top5, 4) if teacher.default_top5 else 0.0
    if progress:
        progress(f"pairing {candidate.name}: calibration top@5 {top5} ({kept:.1%} of the teacher's)")
    return Pair(candidate.name, manifest_summary(ranker)["folder"], figures, kept, ranker_beats_fusion(figures))


@contextmanager
def ranking_with(retriever, folder: str) -> Iterator:
    """The retriever ranking with another ranker of its version (``folder`` inside the version folder),
    its own coming back after: the report sets the teacher with the ranker it was trained for beside
    the pair that serves."""
    from deepcodeseek.ranking.ranker import saved_in

    stage = retriever.ranking
    local = retriever.paths.index.local(f"{stage.version_rel}/{folder}")
    if not saved_in(local):
        raise FileNotFoundError(f"index version {retriever.version}: ranker {folder} is not in the version folder")
    previous, stage.ranker = stage.ranker, LearnedRanker.load(local)
    try:
        yield retriever
    finally:
        stage.ranker = previous


def served_pair_teacher_ranker(manifest: dict) -> str | None:
    """The ranker trained for the teacher (its folder in the version) where the version serves a student with
    a ranker of its own; None where no pair serves. The teacher is compared with that ranker, not the pair's."""
    pairing = manifest.get("paired_query_encoder") or {}
    return pairing.get("teacher_ranker_folder") if pairing.get("serves") else None


def teacher_ranking(retriever):
    """``ranking_with`` the teacher's own ranker where a pair serves, else the retriever as it is."""
    from contextlib import nullcontext

    folder = served_pair_teacher_ranker(retriever.manifest)
    return ranking_with(retriever, folder) if folder else nullcontext(retriever)
