"""A cheaper student with a ranker of its own, tried on the built sample: trained, measured, restaged, kept."""

from __future__ import annotations

import shutil
from dataclasses import asdict, replace

import pytest

from deepcodeseek.encoders.pipeline import rechoose_for_default
from deepcodeseek.evaluation.benchmark import read_benchmark
from deepcodeseek.evaluation.benchmark_build import CALIBRATION_SPLIT, ranker_queries_path, read_holdout_of, read_split
from deepcodeseek.evaluation.runner import TEACHER_OWN_RANKER, encoder_comparison
from deepcodeseek.index.publish import current_manifest, promote
from deepcodeseek.paths import instance_paths
from deepcodeseek.ranking import pairing as pairing_module
from deepcodeseek.ranking import training as ranker_training
from deepcodeseek.ranking.pairing import pair_cheaper_students, ranking_with
from deepcodeseek.ranking.ranker import RankerConfig
from deepcodeseek.ranking.training import default_evidence
from deepcodeseek.retrieval.retriever import Retriever


@pytest.fixture(scope="module")
def through_ranker(built_sample, tmp_path_factory):
    """A copy of the sample whose version serves the ranker with the teacher encoding, and its students
    measured through that ranker (the state ``stage_ranked_version`` reaches before pairing). Shared by
    the module: the second test finds the pairs the first trained, as a reindex would."""
    home = tmp_path_factory.mktemp("pairing") / "home"
    shutil.copytree(built_sample, home)
    paths = instance_paths("sample", home)
    manifest = {**current_manifest(paths), "default_method": "ranker", "query_encoder": None}
    retriever = Retriever("sample", str(home), manifest=manifest)
    known = retriever.docs.namespaces()
    manifest, measured = rechoose_for_default(paths, manifest, retriever, "ranker")
    manifest = {**manifest, "query_encoder": None}  # the teacher serves: every student is a cheaper candidate
    inputs = dict(training=read_benchmark(ranker_queries_path(paths), known).samples,
                  calibration=read_split(paths, CALIBRATION_SPLIT, known), holdout=read_holdout_of(paths),
                  config=RankerConfig(), now=None)
    return paths, manifest, measured, inputs


def test_cheaper_students_are_paired_with_rankers_of_their_own_and_one_serves_only_if_it_keeps_the_teacher(
        through_ranker):
    paths, manifest, measured, inputs = through_ranker
    restaged, pairing, ranker = pair_cheaper_students(paths, manifest, measured, **inputs)
    assert pairing is not None and pairing.replaces == "teacher"
    assert [p.student for p in pairing.pairs] == [m.name for m in pairing_module.pairing_candidates(measured, "teacher")]
    # Each pair's ranker is another model of the same version, keyed by the encoder of its dense feature.
    folders = {p.ranker_folder for p in pairing.pairs}
    assert len(folders) == len(pairing.pairs) and manifest["ranker"]["folder"] not in folders
    assert pairing.teacher_ranker_folder == manifest["ranker"]["folder"]
    for pair in pairing.pairs:
        assert (paths.version_dir(manifest["version"]) / pair.ranker_folder / "model.txt").exists()
        assert set(pair.calibration) == {"ranker", "fusion"}
        assert pair.kept == pytest.approx(pair.calibration["ranker"]["top@5"] / pairing.teacher_top5, abs=1e-3)
    # The pairs answer calibration in one pass (``evaluation.query_major``): each A/B is the one it gives alone.
    students = manifest["query_encoders"]["students"]
    for pair in pairing.pairs:
        alone = Retriever("sample", str(paths.home), manifest={
            **manifest, "query_encoder": {"name": pair.student, "model": students[pair.student]}})
        with ranking_with(alone, pair.ranker_folder):
            assert ranker_training.decide_default(alone, inputs["calibration"], inputs["holdout"])[1] == pair.calibration
    assert restaged["paired_query_encoder"]["serves"] == pairing.serves
    assert pairing.serves == pairing_module.choose_pair(measured, "teacher", pairing.pairs)[0]
    if pairing.serves:
        assert restaged["query_encoder"]["name"] == pairing.serves == restaged["query_encoders"]["chosen"]
        assert restaged["ranker"]["folder"] == pairing.served.ranker_folder and ranker is not None
    else:  # the first choice stands, with the attempt on record
        assert restaged["query_encoder"] is None and restaged["ranker"]["folder"] == manifest["ranker"]["folder"]
        assert ranker is None and pairing.why


def test_a_served_pair_is_what_readers_open_and_the_report_sets_the_teacher_with_its_own_ranker_beside_it(
        through_ranker, monkeypatch, tmp_path):
    paths, manifest, measured, inputs = through_ranker
    first = pair_cheaper_students(paths, manifest, measured, **inputs)[1]  # trained and measured once
    # Served whatever the sample's 50 calibration queries said; everything else is read back, not refitted.
    forced = first.pairs[0].student
    monkeypatch.setattr(pairing_module, "choose_pair", lambda measured, served, pairs: (forced, "served for the test"))
    for stage in ("fit_ranker", "decide_default"):
        monkeypatch.setattr(ranker_training, stage, lambda *a, _s=stage, **k: pytest.fail(f"{_s} ran again"))
    with monkeypatch.context() as patched:  # the report below measures the encoders through it
        patched.setattr("deepcodeseek.evaluation.query_major.score_jobs",
                        lambda *a, **k: pytest.fail("the pairs' A/B ran again"))
        restaged, pairing, ranker = pair_cheaper_students(paths, manifest, measured, **inputs)
    assert pairing.serves == forced and ranker.summary.reused
    assert restaged["ranker_calibration"] == pairing.served.calibration  # the A/B that stands is the pair's
    assert [asdict(p) for p in pairing.pairs] == [asdict(p) for p in first.pairs]  # read back, the same figures
    ranker_top5, fusion_top5 = (pairing.served.calibration[m]["top@5"] for m in ("ranker", "fusion"))
    assert default_evidence(restaged)[1] == f"ranker on calibration: top@5 {ranker_top5} against fusion {fusion_top5}"
    promote(paths, restaged["version"])
    retriever = Retriever("sample", str(paths.home))
    assert retriever.query_encoder_name == pairing.serves
    assert retriever.ranking.ranker.summary.key == ranker.summary.key
    first = retriever.ranking.ranker
    with ranking_with(retriever, pairing.teacher_ranker_folder):
        assert retriever.ranking.ranker.summary.key != ranker.summary.key
    assert retriever.ranking.ranker is first
    samples = read_split(paths, "dev", retriever.docs.namespaces())[:12]
    rows, _ = encoder_comparison(retriever, samples, inputs["holdout"], tmp_path / "report")
    by_name = {r["student"]: r for r in rows}
    assert by_name[pairing.serves]["serves"] == "yes"
    assert by_name[TEACHER_OWN_RANKER]["default top@5 kept"] == 1.0  # the reference the shares are of
    assert by_name["teacher"]["default top@5 kept"] is not None


def test_the_pairs_features_ride_along_the_first_rankers_pass_and_are_the_ones_their_own_pass_gives(
        through_ranker, monkeypatch):
    """The students a build expects to pair compute their features in the first ranker's pass; the
    pairs then fit from those groups, and they are the groups a pass of the pairs' own stages gives.
    On the sample more than ``MAX_PAIRS`` students qualify, and the pairs take those that kept most
    through the first ranker: two guessed stages go unused, and the pairs the guess missed get a pass."""
    paths, manifest, measured, inputs = through_ranker
    steps = {**inputs, "config": replace(inputs["config"], seed=7)}  # nothing has fitted with these: all fit
    ahead = pairing_module.pairs_ahead(paths, manifest, "teacher")
    guessed = len(ahead.fit_stages)
    candidates = [m.name for m in pairing_module.pairing_candidates(measured, "teacher")]
    hit = [n for n in candidates if f"ranker-paired-{n}" in ahead.fit_stages]
    missed = [n for n in candidates if n not in hit]
    assert hit and missed and len(hit) < guessed  # the sample has both: see the docstring
    passes, fitted = [], {}
    one_pass, fit = ranker_training.training_groups_of, ranker_training.fit_ranker

    def counted_pass(stages, *args, **kwargs):
        passes.append(len(stages))
        return one_pass(stages, *args, **kwargs)

    def recorded_fit(train, valid, config, key, recall, **kwargs):
        fitted[key] = (train, valid, recall)
        return fit(train, valid, config, key, recall, **kwargs)

    monkeypatch.setattr(ranker_training, "training_groups_of", counted_pass)
    monkeypatch.setattr(ranker_training, "fit_ranker", recorded_fit)
    first = Retriever("sample", str(paths.home), manifest=manifest).ranking
    assert ranker_training.train_stage_ranker(first, steps["training"], steps["holdout"], steps["config"], ahead=ahead)
    assert passes == [1 + guessed] and len(ahead.groups) == guessed
    restaged, pairing, _ = pair_cheaper_students(paths, manifest, measured, **steps, ahead=ahead)
    assert passes == [1 + guessed, len(missed)]  # the guessed pairs need no pass
    assert [p.student for p in pairing.pairs] == candidates and len(fitted) == 1 + len(candidates)
    assert len(ahead.groups) == guessed - len(hit)  # each handed over once
    # Where the first ranker is read back (a no-change reindex), no pass runs and nothing is opened ahead.
    opened = pairing_module.pairs_ahead(paths, manifest, "teacher")
    opened.open_stages = lambda: pytest.fail("stages opened ahead with no pass to ride along")
    assert ranker_training.train_stage_ranker(first, steps["training"], steps["holdout"], steps["config"],
                                              ahead=opened).summary.reused and passes == [1 + guessed, len(missed)]
    # The groups computed ahead are those the pair's own stage gives, from the restaged version.
    folder = manifest["query_encoders"]["students"][hit[0]]
    stage = Retriever("sample", str(paths.home), manifest={
        **restaged, "query_encoder": {"name": hit[0], "model": folder}}).ranking
    config = steps["config"]
    own = one_pass([stage], steps["training"], steps["holdout"], None, config.cold_copies_max_callers,
                   config.target_weight_cap)[0]
    _assert_same_groups(fitted[ranker_training._key_of(stage, steps["training"], steps["holdout"], config)], own)


def test_one_pass_for_several_students_gives_each_the_groups_of_its_own_pass(through_ranker):
    """Pairs share each training query's encoder-free signals; every student's groups (features,
    relevance, weights, candidates' recall) are still exactly those of a pass of its own."""
    stages, samples, holdout = _two_student_stages(through_ranker)
    joint = ranker_training.training_groups_of(stages, samples, holdout, max_callers=10, weight_cap=50)
    assert len(stages) == 2 and joint[0][0]
    for stage, groups in zip(stages, joint):
        _assert_same_groups(groups, ranker_training.training_groups(stage, samples, holdout, max_callers=10,
                                                                     weight_cap=50))


def test_feature_workers_give_the_groups_of_one_process_in_the_same_order(through_ranker, monkeypatch):
    """Blocks of training queries spread over spawned processes, each opening the version's stages again
    from their manifests: every stage's groups are those of the single pass, to the bit and in order."""
    from deepcodeseek.ranking import feature_workers

    stages, samples, holdout = _two_student_stages(through_ranker)
    single = ranker_training.training_groups_of(stages, samples, holdout, max_callers=10, weight_cap=50)
    monkeypatch.setattr(feature_workers, "PARALLEL_MIN_QUERIES", 10)
    monkeypatch.setattr(feature_workers, "BLOCK_QUERIES", 7)  # six blocks: each worker takes several, out of turn
    seen: list[str] = []
    spread = ranker_training.training_groups_of(stages, samples, holdout, seen.append, max_callers=10, weight_cap=50,
                                                workers=2)
    assert seen and seen[-1].startswith("ranker features: 40/40 queries") and "2 processes" in seen[-1]
    assert len(stages) == 2 and single[0][0]
    for ours, theirs in zip(single, spread):
        _assert_same_groups(ours, theirs)


def _two_student_stages(through_ranker) -> tuple[list, list, object]:
    """The ranking stages of two cheaper students of the version, the first 40 training queries and the hold-out."""
    paths, manifest, measured, inputs = through_ranker
    folders = manifest["query_encoders"]["students"]
    names = [m.name for m in pairing_module.pairing_candidates(measured, "teacher")][:2]
    stages = [Retriever("sample", str(paths.home), manifest={**manifest, "query_encoder": {"name": n, "model": folders[n]}}
                        ).ranking for n in names]
    return stages, inputs["training"][:40], inputs["holdout"]


def _assert_same_groups(ours: tuple, theirs: tuple) -> None:
    """(training groups, validation groups, candidates' recall) equal to the bit: features, relevance, weight."""
    import numpy as np

    (train, valid, recall), (train2, valid2, recall2) = ours, theirs
    assert recall == recall2 and len(train) == len(train2) and len(valid) == len(valid2)
    for a, b in zip(train + valid, train2 + valid2):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


_UNGUARDED_SCRIPT = '''
import sys
print("script ran", flush=True)  # a worker that imported this script again would run it again

from deepcodeseek.evaluation.benchmark import read_benchmark
from deepcodeseek.evaluation.benchmark_build import ranker_queries_path, read_holdout_of
from deepcodeseek.paths import instance_paths
from deepcodeseek.ranking import feature_workers
from deepcodeseek.ranking.training import training_groups_of
from deepcodeseek.retrieval.retriever import Retriever

feature_workers.PARALLEL_MIN_QUERIES, feature_workers.BLOCK_QUERIES = 10, 7
paths = instance_paths("sample", sys.argv[1])
retriever = Retriever("sample", sys.argv[1])
samples = read_benchmark(ranker_queries_path(paths), retriever.docs.namespaces()).samples[:30]
groups = training_groups_of([retriever.ranking], samples, read_holdout_of(paths), print, workers=2)
print("groups", len(groups[0][0]) + len(groups[0][1]), flush=True)
'''


def test_feature_workers_do_not_run_a_main_script_that_lacks_a_guard_again(through_ranker, tmp_path):
    """A spawned process imports its parent's main script unless told otherwise; a script that starts
    a build with no ``if __name__ == "__main__":`` guard would start it over in every worker."""
    import subprocess
    import sys

    paths = through_ranker[0]
    script = tmp_path / "unguarded.py"
    script.write_text(_UNGUARDED_SCRIPT)
    done = subprocess.run([sys.executable, str(script), str(paths.home)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("script ran") == 1, done.stdout
    assert "2 processes" in done.stdout and "groups " in done.stdout
