"""ServiceNow credentials: read at launch through run config ``{"env": NAME}``, never stored as values,
needed only by Table API instances, and missing ones named under the instance's own prefix."""

from __future__ import annotations

import json

import pytest
from dagster import DagsterInstance, materialize

from deepcodeseek.errors import MissingCredentials
from deepcodeseek.paths import instance_paths
from deepcodeseek.sources.instance_config import InstanceConfig
from deepcodeseek.sources.registry import InstanceRegistry
from deepcodeseek.sources.table_api import BasicAuth, OAuthPasswordGrant, auth_from_env
from deepcodeseek.sources.table_api_source import sync_configured_instance
from deepcodeseek_pipeline.assets.sources.assets import source_records
from deepcodeseek_pipeline.assets.sources.resources import ServiceNowCredentials, credentials_run_config
from deepcodeseek_pipeline.environment import Environment
from deepcodeseek_pipeline.jobs import run_config_for_instance
from deepcodeseek_pipeline.resources import resources_for
from tests.fake_servicenow import FakeServiceNow
from tests.test_live_instance import sample_as_table_api

PREFIX = "ACME_PROD"
SECRET = "admin-pw"


@pytest.fixture
def no_credentials(monkeypatch):
    for prefix in ("SERVICENOW", PREFIX):
        for key in ("USER", "PASSWORD", "CLIENT_ID", "CLIENT_SECRET"):
            monkeypatch.delenv(f"{prefix}_{key}", raising=False)
    return monkeypatch


@pytest.fixture
def live(tmp_path, no_credentials):
    with FakeServiceNow(sample_as_table_api(), seed=5) as fake:
        config = InstanceConfig(name="live", source="table-api", url=fake.url, auth_env_prefix=PREFIX)
        InstanceRegistry(tmp_path).add(config)
        dagster = DagsterInstance.ephemeral()
        dagster.add_dynamic_partitions("servicenow_instances", ["live", "sample"])
        yield fake, config, dagster, tmp_path


def _build(partition: str, dagster, home, run_config=None):
    return materialize([source_records], partition_key=partition, instance=dagster, raise_on_error=False,
                       resources=resources_for(Environment.CI, home=str(home)), run_config=run_config or {})


def test_credentials_are_read_at_launch_and_never_stored(live, no_credentials):
    fake, config, dagster, home = live
    no_credentials.setenv(f"{PREFIX}_USER", "admin")
    no_credentials.setenv(f"{PREFIX}_PASSWORD", SECRET)
    run_config = credentials_run_config(config)
    assert run_config == {"resources": {"servicenow": {"config": {
        "env_prefix": PREFIX, "user": {"env": f"{PREFIX}_USER"}, "password": {"env": f"{PREFIX}_PASSWORD"}}}}}
    result = _build("live", dagster, home, run_config)
    assert result.success
    assert fake.table_requests() and all(r.status != 401 for r in fake.table_requests())
    stored = dagster.get_run_by_id(result.run_id).run_config
    assert SECRET not in json.dumps(stored) and f"{PREFIX}_PASSWORD" in json.dumps(stored)
    assert SECRET not in repr(ServiceNowCredentials(user="admin", password=SECRET))

    no_credentials.setenv(f"{PREFIX}_CLIENT_ID", "client-id")  # OAuth once both client variables are set
    no_credentials.setenv(f"{PREFIX}_CLIENT_SECRET", "client-secret")
    fields = credentials_run_config(config)["resources"]["servicenow"]["config"]
    assert fields["client_id"] == {"env": f"{PREFIX}_CLIENT_ID"} and fields["client_secret"]["env"].endswith("SECRET")
    assert _build("live", dagster, home, credentials_run_config(config)).success
    assert any(r.path == "/oauth_token.do" for r in fake.requests)


def test_a_missing_variable_is_named_with_the_configured_prefix(live, no_credentials):
    fake, config, dagster, home = live
    no_credentials.setenv(f"{PREFIX}_USER", "admin")
    no_credentials.setenv("SERVICENOW_PASSWORD", SECRET)  # the default prefix does not stand in for it
    result = _build("live", dagster, home, credentials_run_config(config))
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.cause.message  # the library's error, under Dagster's wrapper
    assert "instance live: ServiceNow credentials: ACME_PROD_PASSWORD not set" in message
    assert "SERVICENOW_" not in message and not fake.table_requests()


def test_only_table_api_instances_need_credentials(live):
    _, _, dagster, home = live
    assert credentials_run_config(InstanceRegistry(home).get("sample")) == {}
    assert _build("sample", dagster, home).success  # no ServiceNow variable set at all


def test_the_job_adds_the_credentials_config_per_partition(live, no_credentials):
    _, _, _, home = live
    no_credentials.setenv("DEEPCODESEEK_HOME", str(home))
    no_credentials.setenv(f"{PREFIX}_USER", "admin")
    assert run_config_for_instance("live")["resources"]["servicenow"]["config"] == {
        "env_prefix": PREFIX, "user": {"env": f"{PREFIX}_USER"}}
    assert run_config_for_instance("sample") == {} and run_config_for_instance("ghost") == {}
    from deepcodeseek_pipeline.definitions import defs

    job = defs.resolve_job_def("index_instance")
    assert job.partitioned_config is not None


def test_the_library_takes_credentials_and_reads_the_environment_only_standalone(live, no_credentials):
    fake, config, _, home = live
    with pytest.raises(MissingCredentials, match="instance live: .*ACME_PROD_USER and ACME_PROD_PASSWORD not set"):
        sync_configured_instance(config, instance_paths("live", home))
    assert not fake.table_requests()
    read = sync_configured_instance(config, instance_paths("live", home), BasicAuth("admin", SECRET))
    assert read.records
    no_credentials.setenv(f"{PREFIX}_USER", "admin")
    no_credentials.setenv(f"{PREFIX}_PASSWORD", SECRET)
    assert len(sync_configured_instance(config, instance_paths("live", home)).records) == len(read.records)
    with pytest.raises(MissingCredentials, match="ACME_PROD_CLIENT_SECRET not set"):
        auth_from_env({f"{PREFIX}_USER": "u", f"{PREFIX}_PASSWORD": "p", f"{PREFIX}_CLIENT_ID": "c"}, prefix=PREFIX)
    assert isinstance(auth_from_env({f"{PREFIX}_USER": "u", f"{PREFIX}_PASSWORD": "p", f"{PREFIX}_CLIENT_ID": "c",
                                     f"{PREFIX}_CLIENT_SECRET": "s"}, prefix=PREFIX), OAuthPasswordGrant)
