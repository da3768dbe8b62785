"""The code location loads, and its definitions follow the project's conventions."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dagster import AssetKey

from deepcodeseek_pipeline.definitions import all_assets, defs
from deepcodeseek_pipeline.gpu import GPU_POOL

EXPECTED_ASSETS = {
    "source_records", "platform_apis", "jsdoc_summaries", "knowledge_graph", "namespace_documents", "vector_index",
    "bm25_index", "base_index", "published_index", "benchmark_samples", "training_triplets", "adapted_embedder", "adapted_index",
    "evaluation_report", "learned_ranker", "query_encoders", "rerankers",
}


def test_definitions_load_and_job_resolves():
    repo = defs.get_repository_def()
    assert {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()} == EXPECTED_ASSETS
    job = defs.resolve_job_def("index_instance")
    assert job.partitions_def is not None and job.partitions_def.name == "servicenow_instances"
    assert defs.resolve_schedule_def("reindex_schedule").cron_schedule == "0 * * * *"
    assert defs.resolve_sensor_def("instance_registry_sensor") is not None


def test_every_asset_has_group_kinds_and_description():
    for assets_def in all_assets:
        key = assets_def.key
        spec = next(iter(assets_def.specs))
        assert spec.group_name and spec.group_name != "default", key
        assert spec.kinds, key
        assert spec.description, key
        assert assets_def.partitions_def.name == "servicenow_instances", key


def test_embedding_asset_is_gpu_pinned():
    vector = next(a for a in all_assets if a.key == AssetKey("vector_index"))
    node = vector.node_def
    assert node.pool == GPU_POOL  # its pod config comes from the deployment file (tests/test_deployment.py)


def test_the_ranker_features_use_every_core_except_in_prod_pods_that_request_one():
    """``feature_workers`` 0 is one process per usable core; a prod step pod requests one CPU
    (deploy/deployment.yaml) with no CPU limit, where "per core" would count the node's."""
    from deepcodeseek_pipeline.assets.ranking.resources import resources_for
    from deepcodeseek_pipeline.environment import Environment

    workers = {env: resources_for(env)["ranking"].feature_workers for env in Environment}
    assert workers == {Environment.LOCAL: 0, Environment.CI: 0, Environment.PROD: 1}


def test_query_path_never_imports_dagster_nor_the_pipeline_database():
    code = ("import sys, deepcodeseek.cli, deepcodeseek.retrieval.retriever, deepcodeseek.index.publish;"
            "print('dagster' in sys.modules, 'duckdb' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_a_run_does_not_read_a_state_storage_that_an_earlier_run_left_behind(tmp_path, monkeypatch):
    """Dagster names its current definitions-state storage in a context variable. CI met a process where
    an earlier test had left one behind whose instance was gone: every later run failed to load its
    definitions ("Attempted to resolve undefined DagsterInstance weakref"). A run names its own."""
    import gc

    from dagster import DagsterInstance, instance_for_test
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    from deepcodeseek_pipeline import run
    from deepcodeseek_pipeline.definitions import all_assets

    with instance_for_test() as gone:  # a scoped instance has a state storage (an ephemeral one has none)
        storage = gone.defs_state_storage
    del gone
    gc.collect()
    with pytest.raises(Exception, match="weakref"):
        storage.get_latest_defs_state_info()  # what loading definitions read under it
    others = [a.key.to_user_string() for a in all_assets if a.key.to_user_string() != "source_records"]
    monkeypatch.setenv("DEEPCODESEEK_HOME", str(tmp_path / "home"))
    with set_defs_state_storage(storage):  # as the earlier test left it
        result = run.materialize_instance("sample", home=str(tmp_path / "home"), instance=DagsterInstance.ephemeral(),
                                          skip=others)
    assert result.success and [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] \
        == ["source_records"]
