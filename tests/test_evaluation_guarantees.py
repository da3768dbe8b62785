"""The evaluation's guarantees on a real build: no leak in any split, one held-out rule everywhere."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from deepcodeseek.datasets.splits import HELD_OUT_SPLITS, SPLITS
from deepcodeseek.evaluation.benchmark_build import datasets_dir, read_holdout_of, read_split
from deepcodeseek.evaluation.leaks import names_target
from deepcodeseek.evaluation.readme_tables import update_readme
from deepcodeseek.evaluation.report import evaluate, single_signal_losses
from deepcodeseek.evaluation.runner import read_evaluation
from deepcodeseek.index.publish import current_manifest
from deepcodeseek.paths import instance_paths
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.store import InstanceStore
from deepcodeseek.training.adapt import gather_examples
from deepcodeseek.training.calibration import calibrate_fusion


@pytest.fixture(scope="module")
def sample_paths(built_sample):
    return instance_paths("sample", built_sample)


def test_no_split_names_its_target_before_or_after_the_cursor(sample_paths):
    total = 0
    for split in SPLITS:
        for sample in read_split(sample_paths, split):
            assert not names_target(sample.code_before, sample.target_namespace), sample.id
            assert not names_target(sample.code_after, sample.target_namespace), sample.id
            total += 1
    assert total > 20


def test_held_out_scripts_never_reach_training_examples_nor_triplets(sample_paths):
    holdout = read_holdout_of(sample_paths)
    held_out = holdout.held_out()
    assert held_out and all(holdout.split_of_script(s) in HELD_OUT_SPLITS for s in held_out)
    for split in HELD_OUT_SPLITS:
        for sample in read_split(sample_paths, split):
            assert holdout.exclusions(sample) <= held_out  # its whole group, near-duplicates included
    examples, excluded = gather_examples(InstanceStore(sample_paths.database), sample_paths)
    assert excluded == held_out
    usage = [e for e in examples if e.origin == "usage"]
    assert usage and not {e.caller for e in usage} & held_out
    mined = [e for e in examples if e.origin == "triplet" and e.caller]  # what a lineage records it learned from
    assert mined and not {e.caller for e in mined} & held_out
    sources = pq.read_table(datasets_dir(sample_paths) / "triplets.parquet").column("source").to_pylist()
    assert sources and not {s.split(":", 1)[1] for s in sources} & held_out


def test_a_samples_group_never_votes_for_it_nor_counts_in_its_prior(sample_paths):
    holdout = read_holdout_of(sample_paths)
    retriever = Retriever("sample", str(sample_paths.home))
    checked = 0
    for sample in read_split(sample_paths, "dev") + read_split(sample_paths, "calibration"):
        excluded = holdout.exclusions(sample)
        own = [i for i, caller in enumerate(retriever.context_callers) if caller in excluded]
        if not own:
            continue
        # The strongest planted leak: the query is the sample's own usage context, word for word.
        text = retriever.context_text(own[0])
        target = int(retriever.context_targets[own[0]])
        with_leak = retriever.usage_after(frozenset())[target]
        without = retriever.usage_after(excluded)[target]
        assert without == with_leak - sum(1 for i in own if retriever.context_targets[i] == target)
        results = retriever.retrieve(text, k=len(retriever.docs), method="votes", exclude_callers=excluded)
        others = [i for i, caller in enumerate(retriever.context_callers)
                  if caller not in excluded and retriever.context_targets[i] == target]
        if not others:  # only its own group ever called the target: nothing may vote for it
            voted = {r.namespace: r.evidence["votes"] for r in results}
            assert voted.get(retriever.docs.column("namespace")[target], 0.0) == 0.0
        checked += 1
    assert checked > 0


def test_evaluation_and_calibration_exclude_each_samples_group(sample_paths, monkeypatch):
    holdout = read_holdout_of(sample_paths)
    samples = read_split(sample_paths, "calibration")
    retriever = Retriever("sample", str(sample_paths.home))
    seen = []
    real = Retriever.fusion_components
    monkeypatch.setattr(Retriever, "fusion_components",
                        lambda self, query, exclude=frozenset(), names=("bm25",): (seen.append(exclude),
                                                                                   real(self, query, exclude, names))[1])
    calibrate_fusion(retriever, samples, holdout)
    assert seen == [holdout.exclusions(s) for s in samples]
    seen.clear()
    evaluate(retriever, samples, methods=("fusion",), holdout=holdout)
    assert seen[1:] == [holdout.exclusions(s) for s in samples]  # after the warm-up query


def test_calibration_chose_the_live_weights_on_the_calibration_split(sample_paths):
    manifest = current_manifest(sample_paths)
    calibration = manifest["calibration"]
    assert calibration["split"] == "calibration" and calibration["samples"] == len(read_split(sample_paths, "calibration"))
    assert manifest["fusion_weights"] == calibration["weights"]
    assert calibration["top5"] >= calibration["uncalibrated_top5"]  # the uncalibrated weights are a grid point


def test_report_shows_best_single_signal_cold_start_and_no_usage(sample_paths, tmp_path):
    outcome = read_evaluation(sample_paths)
    assert "top@5 / best single" in outcome.markdown and "mrr / best single" in outcome.markdown
    assert "Instance indexed with no usage-bearing scripts" in outcome.markdown
    assert "no_usage:bm25/top@5" in outcome.metrics
    assert isinstance(single_signal_losses(outcome.metrics), dict)
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\nkept line\n<!-- results:sample -->\nold figures\n<!-- /results:sample -->\nend\n")
    assert update_readme(readme, ["sample", "ghost"], str(sample_paths.home)) == ["ghost"]
    text = readme.read_text()
    assert "old figures" not in text and "kept line" in text and text.endswith("end\n")
    fusion = f"{outcome.metrics['fusion/top@5']:.3f}"
    assert fusion in text and "| bm25 |" in text
    # Table 4 and the students' table travel as measured, without the report's inline images
    assert "**Neural rerankers (Table 4)**" in text and "| no rerank |" in text
    assert "Light query encoders on these samples" in text and "data:image" not in text


def test_single_signal_losses_name_the_metric_and_the_signal():
    metrics = {"fusion/top@5": 0.40, "votes/top@5": 0.46, "bm25/top@5": 0.23, "fusion/mrr@40": 0.30,
               "bm25/mrr@40": 0.20, "cold_start:fusion/top@5": 0.1, "cold_start:bm25/top@5": 0.2}
    losses = single_signal_losses(metrics)
    assert set(losses) == {"top@5", "cold_start:top@5"} and "votes" in losses["top@5"]
