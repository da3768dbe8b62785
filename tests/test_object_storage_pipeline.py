"""The pipeline publishes to S3 (moto on loopback); replicas with empty disks read it, never a mix of versions."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import replace

import pytest
from dagster import DagsterInstance, materialize

from deepcodeseek.index.build import BM25_DIR, current_version
from deepcodeseek.index.publish import current_manifest, version_path
from deepcodeseek.paths import instance_paths
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.sources.records_jsonl import write_records_jsonl
from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry
from deepcodeseek.sources.sample_instance import read_sample_instance
from deepcodeseek.storage import INDEX_URI_ENV, Storage, StorageError
from deepcodeseek.store.duckdb_store import InstanceStore
from deepcodeseek_pipeline.assets.adaptation.resources import AdaptationResource
from deepcodeseek_pipeline.definitions import all_assets, all_checks
from deepcodeseek_pipeline.environment import Environment
from deepcodeseek_pipeline.resources import resources_for
from tests.object_storage import s3_server

# The steps that make and publish a version; adaptation and evaluation have tests of their own.
STEPS = {"source_records", "platform_apis", "jsdoc_summaries", "knowledge_graph", "namespace_documents",
         "vector_index", "bm25_index", "base_index", "published_index"}
QUERY = "var gr = new GlideRecord('incident');\n// ask the server for the HR case summary\nvar ga = new GlideAjax('"


def _write_records(folder, edits: int):
    """The sample's records as a records source; the first ``edits`` class-style Script Includes get a new method."""
    records, done = [], 0
    for record in read_sample_instance().records:
        if record.table == "sys_script_include" and done < edits and ".prototype = {" in record.script:
            method = f".prototype = {{\n    auditRevision{edits}: function(record) {{ return record; }},"
            record = replace(record, script=record.script.replace(".prototype = {", method, 1))
            done += 1
        records.append(record)
    assert done == edits
    write_records_jsonl(records, folder / "acme.jsonl")


def _build(home, instance):
    assets = [a for a in all_assets if a.key.to_user_string() in STEPS]
    checks = [c for c in all_checks if {k.asset_key.to_user_string() for k in c.check_keys} <= STEPS]
    resources = {**resources_for(Environment.CI, home=str(home)), "adaptation": AdaptationResource(enabled=False)}
    return materialize([*assets, *checks], partition_key="acme", instance=instance, resources=resources,
                       raise_on_error=False)


def _consistent(retriever: Retriever) -> tuple[str, int]:
    """A loaded replica's version, after checking every part it loaded belongs to that one version."""
    n = len(retriever.docs)
    assert retriever.manifest["documents"] == n == len(retriever.vectors) == len(retriever.bm25.scores("record"))
    assert retriever.manifest["version"] in retriever.manifest["table"]
    return retriever.version, n


def test_publish_read_concurrent_readers_and_an_interrupted_publish(tmp_path, monkeypatch):
    with s3_server(monkeypatch) as s3, ExitStack() as stack:
        monkeypatch.setenv(INDEX_URI_ENV, s3.uri("prod"))
        builder, records = tmp_path / "builder", tmp_path / "records"
        records.mkdir()
        _write_records(records, edits=0)
        InstanceRegistry(builder).add(InstanceConfig(name="acme", source="records", path=str(records)))
        instance = stack.enter_context(DagsterInstance.ephemeral())
        instance.add_dynamic_partitions("servicenow_instances", ["acme"])

        # Publish: the versions, the pointer and the models they need land on S3, not on the builder's disk.
        assert _build(builder, instance).success
        assert not (builder / "instances" / "acme" / "index").exists()
        v1 = current_manifest(instance_paths("acme", tmp_path / "anyone"))["version"]

        # Read: a replica with an empty disk loads the version, and the static encoder it needs, from S3.
        replica = Retriever("acme", str(tmp_path / "replica-a"))
        assert _consistent(replica)[0] == v1
        assert replica.retrieve(QUERY, k=5, method="fusion_semantic")
        assert (tmp_path / "replica-a" / "models" / "static-all-MiniLM-L6-v2").is_dir()

        # Two readers load the current version again and again while the next build publishes.
        _write_records(records, edits=1)
        seen: dict[str, list] = {"replica-a": [], "replica-b": []}
        errors, done = [], threading.Event()

        def read(name: str) -> None:
            try:
                while True:
                    seen[name].append(_consistent(Retriever("acme", str(tmp_path / name))))
                    if done.is_set():
                        return
            except Exception as exc:  # noqa: BLE001 - the assertion below shows it
                errors.append(f"{name}: {exc!r}")

        readers = [threading.Thread(target=read, args=(n,)) for n in seen]
        for reader in readers:
            reader.start()
        try:
            assert _build(builder, instance).success
        finally:
            done.set()
            for reader in readers:
                reader.join(timeout=600)
        v2 = current_manifest(instance_paths("acme", tmp_path / "anyone"))["version"]
        assert not errors, errors
        assert v2 != v1
        for name, loads in seen.items():
            assert loads and {version for version, _ in loads} <= {v1, v2}, name
            assert loads[-1][0] == v2, f"{name} did not pick up the new version on its own"

        # A publish cut off half-way (the BM25 upload dies after one file): readers never see it.
        _write_records(records, edits=2)
        real_put, puts = Storage._put_file, []

        def dying_put(self, path, rel):
            if f"/{BM25_DIR}/" in rel:
                puts.append(rel)
                if len(puts) == 2:
                    raise StorageError("connection reset by peer")
            real_put(self, path, rel)

        monkeypatch.setattr(Storage, "_put_file", dying_put)
        failed = _build(builder, instance)
        assert not failed.success
        assert {e.step_key for e in failed.all_events if e.is_step_failure} == {"bm25_index"}
        paths = instance_paths("acme", builder)
        v3 = current_version(InstanceStore(paths.database), "all-MiniLM-L6-v2")[0]
        assert paths.index.exists(version_path(v3, f"{BM25_DIR}/{puts[0].rsplit('/', 1)[-1]}"))  # half of it is there
        assert not paths.index.is_complete(version_path(v3, BM25_DIR))
        assert current_manifest(paths)["version"] == v2
        assert _consistent(Retriever("acme", str(tmp_path / "replica-c")))[0] == v2

        # The next build finishes the part and switches readers.
        monkeypatch.setattr(Storage, "_put_file", real_put)
        assert _build(builder, instance).success
        assert current_manifest(paths)["version"] == v3
        assert _consistent(Retriever("acme", str(tmp_path / "replica-a")))[0] == v3


def test_an_unreachable_object_store_is_a_named_error(tmp_path, monkeypatch):
    monkeypatch.setenv(INDEX_URI_ENV, "s3://nowhere/prod")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(StorageError, match="s3://nowhere/prod/instances/acme/index/CURRENT.json"):
        current_manifest(instance_paths("acme", tmp_path))
