"""Scoring sample by sample with a shared query memo gives the ranks scoring method by method gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepcodeseek.datasets.holdout import exclusions_for
from deepcodeseek.encoders.base import load_encoder
from deepcodeseek.encoders.measure import serving_with
from deepcodeseek.encoders.serving import ServingAdapter
from deepcodeseek.evaluation.benchmark_build import CALIBRATION_SPLIT, read_holdout_of, read_split
from deepcodeseek.evaluation.metrics import score_method
from deepcodeseek.evaluation.query_major import Job, score_jobs
from deepcodeseek.evaluation.report import score_methods
from deepcodeseek.index.publish import current_manifest
from deepcodeseek.paths import instance_paths
from deepcodeseek.ranking import stage as stage_module
from deepcodeseek.retrieval.retriever import Retriever

OFFLINE = ("ranker", "fusion", "fusion_lexical", "fusion_semantic", "hybrid", "dense", "bm25", "votes")


@pytest.fixture(scope="module")
def calibration(built_sample):
    paths = instance_paths("sample", built_sample)
    manifest = {**current_manifest(paths), "query_encoder": None}  # the teacher encodes the queries
    retriever = Retriever("sample", str(built_sample), manifest=manifest)
    samples = read_split(paths, CALIBRATION_SPLIT, retriever.docs.namespaces())
    assert samples, "the sample has calibration samples"
    return paths, manifest, retriever, samples, read_holdout_of(paths)


def one_by_one(retriever, method, samples, holdout):
    """The method scored alone, with no memo: what every pass did before."""
    retriever.warm_up(method)
    return score_method(method, samples, lambda s: [r.namespace for r in retriever.retrieve(
        s.code_before, s.code_after or None, s.scope, k=40, method=method, exclude_callers=exclusions_for(s, holdout))])


def test_every_offline_method_ranks_as_it_does_alone(calibration):
    _, _, retriever, samples, holdout = calibration
    methods = tuple(m for m in OFFLINE if m in retriever.available_methods())
    assert "ranker" in methods
    together = score_methods(retriever, samples, methods, holdout)
    assert [s.method for s in together] == list(methods)
    for scores in together:
        alone = one_by_one(retriever, scores.method, samples, holdout)
        assert scores.ranks == alone.ranks, scores.method
        assert scores.misses == alone.misses, scores.method
        assert len(scores.latencies_ms) == len(samples) and min(scores.latencies_ms) > 0
    assert retriever.memo is None  # detached after the pass


def test_encoders_share_a_pass_and_each_ranks_as_it_does_alone(calibration, monkeypatch):
    paths, manifest, retriever, samples, holdout = calibration
    folders = manifest["query_encoders"]["students"]
    students = [load_encoder(Path(paths.home) / "models" / folder) for folder in sorted(folders.values())[:2]]
    jobs = [Job(f"{k}:{m}", retriever, m, ServingAdapter(s, retriever.model_name))
            for k, s in enumerate(students) for m in ("dense", "ranker")]
    computed = []
    signals = stage_module.query_signals
    monkeypatch.setattr(stage_module, "query_signals", lambda *a, **k: computed.append(1) or signals(*a, **k))
    scores = score_jobs(jobs, samples, holdout)
    # Once per sample for both rankers (plus, at most, their warm-up queries); alone, twice per sample.
    assert len(samples) <= len(computed) <= len(samples) + len(jobs)
    monkeypatch.setattr(stage_module, "query_signals", signals)
    for k, student in enumerate(students):
        with serving_with(retriever, student):
            for m in ("dense", "ranker"):
                assert scores[f"{k}:{m}"].ranks == one_by_one(retriever, m, samples, holdout).ranks, (student.name, m)
    with pytest.raises(ValueError, match="labels repeat"):
        score_jobs([jobs[0], jobs[0]], samples, holdout)
