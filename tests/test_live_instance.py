"""A live instance end to end: Table API sync under faults, Dagster build, incremental reindex."""

from __future__ import annotations

from collections import defaultdict

import pytest
from dagster import DagsterInstance

from deepcodeseek_pipeline.run import materialize_instance
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry
from deepcodeseek.sources.sample_instance import read_sample_instance
from tests.fake_servicenow import FakeServiceNow
from tests.steps import BEYOND_THE_INDEX

STAMP = "2025-05-01 10:00:00"
SKIPPED = BEYOND_THE_INDEX  # this test is about sync, summaries, documents and the index


def sample_as_table_api() -> dict[str, list[dict]]:
    """The bundled sample instance, served the way the Table API returns it (scopes as sys_ids)."""
    read = read_sample_instance()
    scope_ids = {a.scope: ("global" if a.scope == "global" else a.sys_id) for a in read.applications}
    tables: dict[str, list[dict]] = defaultdict(list)
    for app in read.applications:
        row = {"sys_id": scope_ids[app.scope], "sys_updated_on": STAMP, "scope": app.scope, "name": app.name}
        tables["sys_scope"].append(row)
        if app.scope != "global":
            tables["sys_app"].append({**row, "version": app.version or "1.0.0", "vendor": app.vendor})
    for r in read.records:
        row = {"sys_id": r.sys_id, "sys_updated_on": r.sys_updated_on or STAMP, "name": r.name,
               "sys_scope": scope_ids[r.scope], "active": str(r.active).lower()}
        row["operation_script" if r.table == "sys_ws_operation" else "script"] = r.script
        if r.is_script_include:
            row.update(api_name=r.api_name, access=r.access, client_callable=str(r.client_callable).lower(),
                       description=r.description)
        tables[r.table].append(row)
    return dict(tables)


@pytest.fixture
def live(tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICENOW_USER", "admin")
    monkeypatch.setenv("SERVICENOW_PASSWORD", "admin-pw")
    with FakeServiceNow(sample_as_table_api(), seed=3) as fake:
        InstanceRegistry(tmp_path).add(InstanceConfig(name="live", source="table-api", url=fake.url))
        yield fake, tmp_path


def test_sync_under_faults_builds_then_reindexes_only_what_changed(live):
    fake, home = live
    fake.faults.set_rate(0.05, kinds=("429", "500", "drop"))
    dagster = DagsterInstance.ephemeral()
    first = materialize_instance("live", home=str(home), instance=dagster, skip=SKIPPED)
    assert first.success
    retriever = Retriever("live", str(home))
    sample_sis = {r.name for r in read_sample_instance().records if r.is_script_include}
    assert retriever.docs.namespaces() == sample_sis

    fake.faults.clear()
    victim = next(r for r in fake.rows("sys_script_include") if r["name"] == "IOCNormalizer")
    fake.delete("sys_script_include", victim["sys_id"])
    changed = next(r for r in fake.rows("sys_script_include") if r["name"] == "HRCaseUtils")
    fake.update("sys_script_include", changed["sys_id"], script=changed["script"] + "\n// reviewed\n")
    second = materialize_instance("live", home=str(home), instance=dagster, skip=SKIPPED)
    assert second.success
    jsdoc = next(e.materialization.metadata for e in second.get_asset_materialization_events()
                 if e.materialization.asset_key.to_user_string() == "jsdoc_summaries")
    assert jsdoc["generated"].value == 1 and jsdoc["reused"].value == len(sample_sis) - 2
    after = Retriever("live", str(home))
    assert "IOCNormalizer" not in after.docs.namespaces()
    assert after.version != retriever.version
