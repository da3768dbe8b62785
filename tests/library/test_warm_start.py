"""After a small change the tuned model continues from the previous one: few steps, still content-addressed."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from deepcodeseek.index.contexts import UsageContext
from deepcodeseek.index.embedder import SentenceTransformerEmbedder
from deepcodeseek.paths import instance_paths
from deepcodeseek.training import adapt, warm_start
from deepcodeseek.training.contrastive import FineTuneConfig
from deepcodeseek.training.examples import ContrastiveExample, from_usage_contexts
from deepcodeseek.training.warm_start import (
    KEEP_MODEL_CHANGE,
    LINEAGE_FILE,
    MAX_CHANGE,
    MAX_GENERATIONS,
    Lineage,
    example_key,
    full_lineage,
    keeps_parent,
    plan_warm_start,
)

NONE = frozenset()  # no script held out
CONFIG = FineTuneConfig(epochs=1, batch_size=8, learning_rate=1e-4, max_query_tokens=24, max_document_tokens=24)
TOPICS = ["incident", "approval", "email", "catalog", "cmdb", "user", "group", "change"]


def _examples(n: int = 40, edited: int = 0) -> list[ContrastiveExample]:
    """``n`` call-site examples over eight namespaces; the first ``edited`` have new code before the call."""
    out = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        code = f"// {'rewritten ' if i < edited else ''}step {i} on {topic}\nvar gr = new GlideRecord('{topic}'); var u = new "
        name = f"{topic.title()}Utils"
        out.append(ContrastiveExample(code, f"{name}: helpers for {topic} records", name, caller=f"script{i}"))
    return out


def _parent(tmp_path, examples, generation=0, cumulative=0.0, config=CONFIG):
    folder = tmp_path / "models" / "parent"
    folder.mkdir(parents=True)
    lineage = replace(full_lineage(examples, "all-MiniLM-L6-v2", config), generation=generation,
                      cumulative_change=cumulative)
    (folder / LINEAGE_FILE).write_text(json.dumps(asdict(lineage)))
    return tmp_path / "models"


def test_a_small_change_plans_a_warm_start_with_replay(tmp_path):
    models = _parent(tmp_path, _examples())
    plan = plan_warm_start(_examples(edited=2), "all-MiniLM-L6-v2", CONFIG, "parent", models, NONE)
    assert plan is not None and plan.changed == 2 and plan.change == pytest.approx(2 / 40)
    assert plan.replayed == 4 * CONFIG.batch_size - 2  # at least four batches' worth
    assert {example_key(e) for e in plan.examples[:2]} == {example_key(e) for e in _examples(edited=2)[:2]}
    assert plan.lineage.parent == "parent" and plan.lineage.generation == 1 and plan.config.epochs == 1


@pytest.mark.parametrize("why, kwargs, examples", [
    ("no change", {}, _examples()),
    ("too large a change", {}, _examples(edited=int(40 * MAX_CHANGE) + 2)),
    ("too many warm starts in a row", {"generation": MAX_GENERATIONS}, _examples(edited=2)),
    ("too much change since the last full training", {"cumulative": 0.29}, _examples(edited=2)),
    ("other settings", {"config": replace(CONFIG, learning_rate=1e-5)}, _examples(edited=2)),
])
def test_otherwise_the_model_is_trained_from_the_base(tmp_path, why, kwargs, examples):
    models = _parent(tmp_path, _examples(), **kwargs)
    assert plan_warm_start(examples, "all-MiniLM-L6-v2", CONFIG, "parent", models, NONE) is None, why


def test_a_tiny_change_keeps_the_model_until_the_changes_add_up(tmp_path):
    """At most KEEP_MODEL_CHANGE of the examples new to the model: it is kept, counted against what it learned."""
    models = _parent(tmp_path, _examples(100))
    kept = round(100 * KEEP_MODEL_CHANGE)
    assert keeps_parent(_examples(100, edited=1), "all-MiniLM-L6-v2", CONFIG, "parent", models,
                        NONE) == pytest.approx(0.01)
    assert keeps_parent(_examples(100, edited=kept), "all-MiniLM-L6-v2", CONFIG, "parent",
                        models, NONE) == pytest.approx(kept / 100)
    assert keeps_parent(_examples(100, edited=kept + 1), "all-MiniLM-L6-v2", CONFIG, "parent", models, NONE) is None
    assert plan_warm_start(_examples(100, edited=kept + 1), "all-MiniLM-L6-v2", CONFIG, "parent", models,
                           NONE) is not None


@pytest.mark.parametrize("why, kwargs", [
    ("the changes since the last full training would pass the bound", {"cumulative": 0.295}),
    ("other settings", {"config": replace(CONFIG, learning_rate=1e-5)}),
])
def test_a_tiny_change_still_trains_when(tmp_path, why, kwargs):
    models = _parent(tmp_path, _examples(100), **kwargs)
    assert keeps_parent(_examples(100, edited=1), "all-MiniLM-L6-v2", CONFIG, "parent", models, NONE) is None, why


def test_a_change_to_one_namespace_leaves_the_others_picks_alone():
    docs = [{"sys_id": s, "namespace": s.upper(), "text": f"{s} utilities"} for s in ("a", "b")]
    contexts = [UsageContext(f"s{i}", t, None, f"// call {i}\nvar x = new ") for t in "ab" for i in range(40)]
    before = {e.query for e in from_usage_contexts(contexts, docs, set(), per_target=5) if e.target == "B"}
    more = contexts + [UsageContext("new", "a", None, "// another call\nvar x = new ")]
    after = {e.query for e in from_usage_contexts(more, docs, set(), per_target=5) if e.target == "B"}
    assert before == after


def test_adapting_after_a_small_change_warm_starts_and_stays_content_addressed(tmp_path, monkeypatch):
    paths = instance_paths("acme", tmp_path)
    base = SentenceTransformerEmbedder(device="cpu")
    current = {"examples": _examples(), "held_out": NONE}
    monkeypatch.setattr(adapt, "gather_examples",
                        lambda store, paths, per_target=0: (current["examples"], current["held_out"]))

    full = adapt.adapt_embedder(None, paths, base, CONFIG)
    assert not full.warm_start_from and full.training.steps == 5 and not full.training.reused
    again = adapt.adapt_embedder(None, paths, base, CONFIG)
    assert again.model == full.model and again.training.reused  # no change: nothing trained

    monkeypatch.setattr(warm_start, "KEEP_MODEL_CHANGE", 0.03)  # one edited example of 40 is 2.5%
    current["examples"] = _examples(edited=1)
    kept = adapt.adapt_embedder(None, paths, base, CONFIG)
    assert kept.model == full.model and kept.training.reused and kept.kept_at_change == pytest.approx(1 / 40)
    assert adapt.read_adapted_model(paths) == full.model  # the next index embeds only what changed

    current["examples"] = _examples(edited=2)  # two of 40 new to the model: past the bound, it trains
    warm = adapt.adapt_embedder(None, paths, base, CONFIG)
    assert warm.warm_start_from == full.model and warm.changed_examples == 2 and not warm.training.reused
    assert warm.training.examples == 2 + warm.replayed_examples < 40
    assert warm.model != adapt.tuned_model_name(base.name, "acme", current["examples"], CONFIG)  # keyed by parent
    assert adapt.read_adapted_model(paths) == warm.model
    lineage = Lineage.load(tmp_path / "models" / warm.model)
    assert lineage.parent == full.model and lineage.generation == 1
    assert lineage.example_keys == sorted(example_key(e) for e in current["examples"])
    repeat = adapt.adapt_embedder(None, paths, base, CONFIG)
    assert repeat.model == warm.model and repeat.training.reused  # the warm model is reused like any other
    assert set(lineage.scripts) == {f"script{i}" for i in range(40)}  # its parent's scripts, with its own

    # A change links script 7, which the lineage learned from, to a held-out group: its examples leave,
    # and neither keeping the model nor continuing it may serve; it trains from the base.
    current["examples"] = [e for e in _examples(edited=2) if e.caller != "script7"]
    current["held_out"] = frozenset({"script7"})
    fresh = adapt.adapt_embedder(None, paths, base, CONFIG)
    assert not fresh.warm_start_from and fresh.kept_at_change is None and fresh.model != warm.model
    assert "script7" not in Lineage.load(tmp_path / "models" / fresh.model).scripts


def test_a_model_that_learned_a_script_now_held_out_is_neither_kept_nor_continued(tmp_path):
    """The held-out rule across a change: a model (or any ancestor) trained on a script that a change
    moved into a held-out group would be measured on what it learned."""
    models = _parent(tmp_path, _examples(100))
    examples = [e for e in _examples(100, edited=1) if e.caller != "script50"]
    assert keeps_parent(examples, "all-MiniLM-L6-v2", CONFIG, "parent", models, NONE) is not None
    held = frozenset({"script50"})
    assert keeps_parent(examples, "all-MiniLM-L6-v2", CONFIG, "parent", models, held) is None
    assert plan_warm_start(_examples(100, edited=5), "all-MiniLM-L6-v2", CONFIG, "parent", models, held) is None
    # a script held out that the model never learned from (a new one) changes nothing
    assert keeps_parent(examples, "all-MiniLM-L6-v2", CONFIG, "parent", models, frozenset({"new"})) is not None


def test_a_lineage_that_does_not_say_what_it_learned_trains_from_the_base(tmp_path):
    models = _parent(tmp_path, _examples(100))
    lineage = json.loads((models / "parent" / LINEAGE_FILE).read_text())
    del lineage["scripts"]  # recorded before the rule
    (models / "parent" / LINEAGE_FILE).write_text(json.dumps(lineage))
    assert Lineage.load(models / "parent").scripts is None
    assert keeps_parent(_examples(100, edited=1), "all-MiniLM-L6-v2", CONFIG, "parent", models, NONE) is None
    assert plan_warm_start(_examples(100, edited=5), "all-MiniLM-L6-v2", CONFIG, "parent", models, NONE) is None


def test_a_no_change_adapt_names_the_scripts_of_a_model_trained_before_the_rule(tmp_path, monkeypatch):
    """A model trained from its base on exactly today's examples learned from exactly their scripts: a
    no-change reindex names them in its lineage, trains nothing, and the next tiny change keeps the model."""
    paths = instance_paths("acme", tmp_path)
    base = SentenceTransformerEmbedder(device="cpu")
    current = {"examples": _examples()}
    monkeypatch.setattr(adapt, "gather_examples", lambda store, paths, per_target=0: (current["examples"], NONE))
    full = adapt.adapt_embedder(None, paths, base, CONFIG)
    lineage_file = tmp_path / "models" / full.model / LINEAGE_FILE
    legacy = json.loads(lineage_file.read_text())
    del legacy["scripts"]
    lineage_file.write_text(json.dumps(legacy))

    again = adapt.adapt_embedder(None, paths, base, CONFIG)
    assert again.model == full.model and again.training.reused
    assert set(Lineage.load(lineage_file.parent).scripts) == {f"script{i}" for i in range(40)}
    monkeypatch.setattr(warm_start, "KEEP_MODEL_CHANGE", 0.03)
    current["examples"] = _examples(edited=1)
    assert adapt.adapt_embedder(None, paths, base, CONFIG).kept_at_change == pytest.approx(1 / 40)
