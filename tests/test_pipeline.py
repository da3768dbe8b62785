"""Every asset of the sample instance, materialised in-process through Dagster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dagster import DagsterInstance

from deepcodeseek_pipeline.run import materialize_instance
from deepcodeseek.index import publish
from deepcodeseek.index.publish import current_manifest
from deepcodeseek.paths import instance_paths
from deepcodeseek.carry import instance_fingerprint
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.served_choice import carried_choice, choice_compatible
from deepcodeseek.store import InstanceStore


def _metadata(result, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.materialization.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"{asset} was not materialised")


def test_first_build_materialised_everything_and_passed_its_gates(built_sample):
    paths = instance_paths("sample", built_sample)
    manifest = current_manifest(paths)
    # Readers use the version embedded with the instance's tuned model, adapted from the base one.
    assert manifest["adapted_from"]["model"] == "all-MiniLM-L6-v2" and manifest["dimension"] == 384
    assert manifest["model"].startswith("all-MiniLM-L6-v2-sample-tuned-")
    training = json.loads((built_sample / "models" / manifest["model"] / "training.json").read_text())
    assert training["examples"] > 20 and training["last_loss"] < training["first_loss"]
    # The fusion's weights were chosen on the calibration split, zero included for every signal.
    calibration = manifest["calibration"]
    assert manifest["fusion_weights"] == calibration["weights"] and calibration["split"] == "calibration"
    assert calibration["samples"] > 0 and set(calibration["top5_by_dense"]) >= {"0.0", "0.5"}
    # The learned ranker was trained for the live version, and the calibration split chose the default.
    assert manifest["default_method"] in ("ranker", "fusion", "rerank_ce")
    assert manifest["rerank_base"] in ("ranker", "fusion") and "rerank_ce" in manifest["rerankers"]
    # A light query student was chosen on calibration (or the teacher kept), and serves the queries.
    encoders = manifest["query_encoders"]
    assert encoders["calibration"] and {"teacher-onnx-int8", "static-mlp", "static-tuned"} <= set(encoders["students"])
    assert (manifest["query_encoder"] or {"name": "teacher"})["name"] == encoders["chosen"]
    assert manifest["ranker"]["queries"] > 0 and set(manifest["ranker_calibration"]) == {"ranker", "fusion"}
    assert (paths.version_dir(manifest["version"]) / manifest["ranker"]["folder"] / "model.txt").exists()
    # Where the ranker won its A/B, the choice of what serves is on record for a warm start to carry.
    record = carried_choice(paths.root, choice_compatible(built_sample, "all-MiniLM-L6-v2", manifest["model"]),
                            instance_fingerprint(InstanceStore(paths.database), paths.root), sorted(encoders["students"]))
    if manifest["rerank_base"] == "ranker":
        assert record.version == manifest["version"] and record.encoder == encoders["chosen"]
        assert record.paired == bool((manifest["paired_query_encoder"] or {}).get("serves"))
    else:  # the fusion serves: the next build chooses again
        assert record is None
    with InstanceStore(paths.database).connect(read_only=True) as con:
        sis = con.execute("SELECT count(*) FROM script_includes").fetchone()[0]
        docs = con.execute("SELECT count(DISTINCT sys_id) FROM documents").fetchone()[0]
    assert manifest["documents"] == docs == sis
    report = (paths.reports / "evaluation.md").read_text()
    assert "| hybrid" in report and "| bm25" in report and "top@40" in report
    assert "Per-instance adaptation" in report and "| untuned all-MiniLM-L6-v2" in report


def test_rebuild_reuses_summaries_and_embeddings_and_keeps_the_version(built_sample, tmp_path, monkeypatch):
    # On a copy: the shared build is read by other tests (other xdist workers too) while this one rebuilds.
    built_sample = Path(shutil.copytree(built_sample, tmp_path / "home", symlinks=True))
    before = current_manifest(instance_paths("sample", built_sample))["version"]
    switches = []
    real_switch = publish.switch_current
    monkeypatch.setattr(publish, "switch_current", lambda paths, version: (switches.append(version),
                                                                           real_switch(paths, version)))
    from deepcodeseek.ranking import training as ranker_training

    def no_second_ab(*args, **kwargs):
        raise AssertionError("an unchanged instance measured the ranker against the fusion again")

    monkeypatch.setattr(ranker_training, "decide_default", no_second_ab)  # read back from measured/
    result = materialize_instance("sample", home=str(built_sample), instance=DagsterInstance.ephemeral())
    assert result.success
    assert switches == [before]  # one switch of readers per build, straight to the adapted version
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [(c.check_name, c.metadata) for c in checks if not c.passed]
    jsdoc = _metadata(result, "jsdoc_summaries")
    assert jsdoc["generated"] == 0 and jsdoc["reused"] == jsdoc["script_includes"] > 0
    vectors = _metadata(result, "vector_index")
    assert vectors["embedded"] == 0
    assert _metadata(result, "adapted_embedder")["training/reused"] is True  # nothing changed: no training
    assert _metadata(result, "learned_ranker")["reused"] is True
    assert _metadata(result, "query_encoders")["trained"] == "none"
    assert _metadata(result, "query_encoders")["measured_before"] is True  # nothing changed: nothing timed again
    adapted = _metadata(result, "adapted_index")
    assert adapted["embedded"] == 0 and adapted["version"] == before
    published = _metadata(result, "published_index")
    assert published["version"] == before and published["chosen"] == "adapted"
    evaluation = _metadata(result, "evaluation_report")
    assert evaluation["reused"] is True  # the same manifest and benchmark: the report is not computed again
    assert evaluation["samples"] >= 30
    assert evaluation["hybrid/top@5"] >= evaluation["bm25/top@5"] - 0.05


QUERIES = [
    # (code_before, scope, expected namespace): intent without the answer's name
    ("""(function executeRule(current, previous) {
    // the laptop was returned: check the asset tag format before we update the CMDB
    var tag = current.getValue('asset_tag');
    if (!""", "x_acme_itam", "validateAssetTag"),
    ("""function onChange(control, oldValue, newValue, isLoading) {
    if (isLoading || newValue === '') return;
    // ask the server for the HR case summary of the selected case
    var ga = new GlideAjax('""", "x_acme_hr", "HRCaseAjax"),
]


def test_retriever_ranks_the_expected_namespace_in_the_top_3(built_sample):
    retriever = Retriever("sample", str(built_sample))
    for code_before, scope, expected in QUERIES:
        results = retriever.retrieve(code_before, scope=scope, k=10)
        names = [r.namespace for r in results]
        assert expected in names[:3], (expected, names[:5])
        top = results[names.index(expected)]
        assert top.methods and top.evidence["scope_rule"] in {"same scope", "public"}
    # Queries read no document text: the texts stay on disk until a reranker or a benchmark asks.
    assert not retriever.docs.texts_loaded
    stored = publish.open_vector_table(retriever.paths, retriever.version).to_arrow()
    assert retriever.docs.texts() == stored.column("text").to_pylist() and retriever.docs.texts_loaded
    assert list(retriever.docs.column("sys_id")) == stored.column("sys_id").to_pylist()


def test_package_private_apis_are_pruned_outside_their_scope(built_sample):
    retriever = Retriever("sample", str(built_sample))
    private = {d["namespace"]: d["scope"] for d in retriever.docs if d["access"] == "package_private"}
    assert private
    name, scope = next(iter(private.items()))
    other = next(d["scope"] for d in retriever.docs if d["scope"] != scope)
    inside = [r.namespace for r in retriever.retrieve(f"var x = new {name}();", scope=scope, k=40)]
    outside = [r.namespace for r in retriever.retrieve(f"var x = new {name}();", scope=other, k=40)]
    assert name in inside and name not in outside
    assert json.dumps([r.as_dict() for r in retriever.retrieve("var a = 1;", k=3)])
