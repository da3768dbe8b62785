"""Per-instance adaptation: examples from call sites, and contrastive fine-tuning that learns them."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from deepcodeseek.index.contexts import UsageContext
from deepcodeseek.index.embedder import local_model_path
from deepcodeseek.training.contrastive import TRAINING_FILE, FineTuneConfig, fine_tune, unique_target_batches
from deepcodeseek.training.examples import (
    ContrastiveExample,
    examples_digest,
    from_triplets,
    from_usage_contexts,
)

DOCS = [
    {"sys_id": "a", "namespace": "IncidentUtils", "text": "IncidentUtils: resolve, reassign and close incidents"},
    {"sys_id": "b", "namespace": "ApprovalHelper", "text": "ApprovalHelper: approve or reject change approvals"},
    {"sys_id": "c", "namespace": "MailSender", "text": "MailSender: send an email notification to users"},
]


def test_usage_examples_skip_held_out_scripts_and_cap_each_target():
    contexts = [UsageContext(f"s{i}", "a", None, f"var inc = current; // {i}\nvar u = new ") for i in range(10)]
    contexts.append(UsageContext("held", "b", None, "var approval = new "))
    examples = from_usage_contexts(contexts, DOCS, held_out={"held"}, per_target=4)
    assert len(examples) == 4
    assert {e.target for e in examples} == {"IncidentUtils"}
    assert all(e.positive == DOCS[0]["text"] for e in examples)


def test_bm25_negative_is_never_the_target_nor_named_on_the_call_line():
    contexts = [UsageContext("s1", "a", None, "// approve the change, then email\nApprovalHelper.x(); var u = new ")]
    [example] = from_usage_contexts(contexts, DOCS, held_out=set())
    assert example.negative_target not in {"IncidentUtils", "ApprovalHelper"}


def test_triplets_give_their_hardest_negative_and_only_train_rows():
    table = pa.table({"query": ["q1", "q2"], "positive": ["p1", "p2"], "positive_namespace": ["A", "B"],
                      "negatives": [["n1", "n2"], ["n3"]], "negative_namespaces": [["N1", "N2"], ["N3"]],
                      "split": ["train", "dev"]})
    [example] = from_triplets(table)
    assert (example.query, example.negative, example.negative_target, example.origin) == ("q1", "n1", "N1", "triplet")


def test_batches_never_hold_one_target_twice():
    examples = [ContrastiveExample(f"q{i}", "p", target=f"T{i % 3}") for i in range(12)]
    batches = unique_target_batches(examples, batch_size=8, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(12))
    for batch in batches:
        targets = [examples[i].target for i in batch]
        assert len(targets) == len(set(targets))


def test_digest_changes_with_the_data():
    a = [ContrastiveExample("q", "p", "T")]
    assert examples_digest(a) == examples_digest(list(a))
    assert examples_digest(a) != examples_digest([ContrastiveExample("q", "p2", "T")])


def _margin(model_path: str, examples: list[ContrastiveExample]) -> float:
    """Mean of (similarity to own positive - best similarity to another positive)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path, device="cpu")
    q = model.encode([e.query for e in examples], normalize_embeddings=True)
    p = model.encode([e.positive for e in examples], normalize_embeddings=True)
    sims = q @ p.T
    own = np.diag(sims).copy()
    np.fill_diagonal(sims, -np.inf)
    return float(np.mean(own - sims.max(axis=1)))


def test_fine_tuning_learns_the_instance_mapping_and_is_reused(tmp_path):
    # Code contexts whose words do not match their API's description: the mapping must be learned.
    examples = [
        ContrastiveExample("var gr = new GlideRecord('incident'); gr.get(id); var x = new ", DOCS[0]["text"], "IncidentUtils"),
        ContrastiveExample("if (current.state == 'requested') { var h = new ", DOCS[1]["text"], "ApprovalHelper"),
        ContrastiveExample("var recipients = user.email; var m = new ", DOCS[2]["text"], "MailSender"),
    ] * 4
    base = local_model_path()
    config = FineTuneConfig(epochs=4, batch_size=3, learning_rate=1e-4, max_query_tokens=32, max_document_tokens=32)
    summary = fine_tune(base, "all-MiniLM-L6-v2", examples, tmp_path / "tuned", config)
    assert summary.steps == 16 and not summary.reused
    assert summary.last_loss < summary.first_loss
    assert _margin(summary.path, examples[:3]) > _margin(base, examples[:3])
    recorded = json.loads((tmp_path / "tuned" / TRAINING_FILE).read_text())
    assert recorded["examples"] == 12 and recorded["config"]["epochs"] == 4
    again = fine_tune(base, "all-MiniLM-L6-v2", examples, tmp_path / "tuned", config)
    assert again.reused and again.steps == summary.steps


def test_fine_tuning_without_examples_says_so(tmp_path):
    with pytest.raises(ValueError, match="no training examples"):
        fine_tune(local_model_path(), "all-MiniLM-L6-v2", [], tmp_path / "tuned")


def test_int8_query_encoder_is_close_to_the_float_model_and_leaves_documents_alone():
    from deepcodeseek.index.embedder import SentenceTransformerEmbedder

    exact = SentenceTransformerEmbedder(device="cpu")
    fast = SentenceTransformerEmbedder(device="cpu", quantized_queries=True)
    query = "var gr = new GlideRecord('incident');\ngr.addQuery('active', true);\nvar util = new "
    assert fast.query_model is not fast.model and exact.query_model is exact.model
    cosine = float(exact.embed_query(query) @ fast.embed_query(query))
    assert 0.8 < cosine < 0.9999
    assert np.allclose(exact.embed_documents([query]), fast.embed_documents([query]), atol=1e-5)
