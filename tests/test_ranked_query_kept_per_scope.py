"""What a ranked query keeps per scope is what it would compute again: the same candidates and features."""

from __future__ import annotations

import numpy as np
import pytest

from deepcodeseek.datasets.holdout import exclusions_for
from deepcodeseek.evaluation.benchmark_build import read_holdout_of, read_split
from deepcodeseek.paths import instance_paths
from deepcodeseek.retrieval.query import Query
from deepcodeseek.retrieval.retriever import Retriever


def test_kept_arrays_are_computed_once_and_read_only():
    class Holder:
        _per_scope: dict = {}

    calls = []

    def compute() -> np.ndarray:
        calls.append(1)
        return np.arange(3.0)

    first = Retriever.per_scope(Holder, "name", "x_app", compute)
    assert Retriever.per_scope(Holder, "name", "x_app", compute) is first and len(calls) == 1
    Retriever.per_scope(Holder, "name", "global", compute)
    assert len(calls) == 2  # another scope computes its own
    with pytest.raises(ValueError):
        first[0] = 1.0  # a caller cannot change what the next query reads


def test_queries_with_kept_arrays_give_the_features_of_fresh_ones(built_sample, monkeypatch):
    """Every sample of the sample instance, with and without its hold-out, on one Retriever (arrays kept
    per scope after the first query) and on a Retriever that keeps nothing: the same to the bit."""
    paths = instance_paths("sample", built_sample)
    holdout = read_holdout_of(paths)
    samples = read_split(paths, "dev") + read_split(paths, "calibration")
    kept = Retriever("sample", str(built_sample))
    fresh = Retriever("sample", str(built_sample))
    monkeypatch.setattr(fresh, "per_scope", lambda name, scope, compute: compute())
    queries = [(Query(s.code_before, s.code_after or None, s.scope), exclusions_for(s, holdout)) for s in samples]
    queries += [(Query("var gr = new GlideRecord('incident');\ngr.query();", None, scope), frozenset())
                for scope in ("global", None, "x_acme_hr")]
    assert len(queries) >= 3
    for _ in range(2):  # the second round reads every kept array
        for query, exclude in queries:
            for held in (frozenset(), exclude):
                a, b = kept.ranking.inputs(query, held), fresh.ranking.inputs(query, held)
                assert np.array_equal(a.candidates, b.candidates)
                assert np.array_equal(a.features, b.features)
    assert {"prior_rank", "in_scope"} <= {name for name, _ in kept._per_scope}
    assert not {name for name, _ in fresh._per_scope} & {"prior_rank", "in_scope"}
