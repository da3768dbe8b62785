"""New registry entries become partitions with a backfill; instances reindex on their own cron."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from dagster import (
    DagsterInstance,
    DeleteDynamicPartitionsRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from deepcodeseek_pipeline.resources import DeepCodeSeekHome
from deepcodeseek_pipeline.schedules import due_in_hour, reindex_schedule
from deepcodeseek_pipeline.sensors import instance_registry_sensor
from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry, UnknownInstance


def test_sensor_adds_partitions_and_requests_a_build_for_each_new_instance(tmp_path):
    InstanceRegistry(tmp_path).add(InstanceConfig(name="acme-prod", source="records", path=str(tmp_path)))
    instance = DagsterInstance.ephemeral()
    resources = {"home": DeepCodeSeekHome(home=str(tmp_path))}
    result = instance_registry_sensor(build_sensor_context(instance=instance, resources=resources))
    assert sorted(r.partition_key for r in result.run_requests) == ["acme-prod", "sample"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["acme-prod", "sample"]
    instance.add_dynamic_partitions("servicenow_instances", ["acme-prod", "sample"])
    again = instance_registry_sensor(build_sensor_context(instance=instance, resources=resources))
    assert not again.run_requests and not again.dynamic_partitions_requests


def test_sensor_deletes_the_partitions_of_removed_instances(tmp_path):
    registry = InstanceRegistry(tmp_path)
    for name in ("acme-prod", "acme-dev"):
        registry.add(InstanceConfig(name=name, source="records", path=str(tmp_path)))
    assert registry.remove("acme-dev").name == "acme-dev"
    assert registry.names() == ["acme-prod", "sample"]
    resources = {"home": DeepCodeSeekHome(home=str(tmp_path))}
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("servicenow_instances", ["acme-prod", "acme-dev", "sample"])
        result = instance_registry_sensor(build_sensor_context(instance=instance, resources=resources))
    assert not result.run_requests
    (delete,) = result.dynamic_partitions_requests
    assert isinstance(delete, DeleteDynamicPartitionsRequest) and delete.partition_keys == ["acme-dev"]
    with pytest.raises(UnknownInstance, match="nothing to remove"):
        registry.remove("acme-dev")
    with pytest.raises(ValueError, match="always registered"):
        registry.remove("sample")


def test_cron_matching():  # croniter semantics, day-of-month OR day-of-week: see tests/library/test_cron_and_registry.py
    at_two = datetime(2026, 11, 26, 2, tzinfo=timezone.utc)  # a Thursday
    assert due_in_hour("0 2 * * *", at_two) and not due_in_hour("0 3 * * *", at_two)
    assert due_in_hour("*/15 */2 * * 4", at_two) and not due_in_hour("0 2 * * 1-3", at_two)
    assert due_in_hour("30 1-3 26 11 *", at_two) and not due_in_hour("0 2 1 * *", at_two)


def test_schedule_requests_only_due_instances(tmp_path):
    registry = InstanceRegistry(tmp_path)
    registry.add(InstanceConfig(name="nightly", source="records", path=str(tmp_path)))
    registry.add(InstanceConfig(name="hourly", source="records", path=str(tmp_path), schedule="5 * * * *"))
    resources = {"home": DeepCodeSeekHome(home=str(tmp_path))}
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("servicenow_instances", ["nightly", "hourly", "sample"])

        def due_at(hour: int) -> list[str]:
            when = datetime(2026, 11, 26, hour, tzinfo=timezone.utc)
            context = build_schedule_context(instance=instance, resources=resources, scheduled_execution_time=when)
            requests = reindex_schedule(context)
            return sorted(r.partition_key for r in requests) if isinstance(requests, list) else []

        assert due_at(2) == ["hourly", "nightly", "sample"]
        assert due_at(10) == ["hourly"]


def test_a_bad_cron_in_the_registry_skips_that_instance_only(tmp_path):
    registry = InstanceRegistry(tmp_path)
    registry.add(InstanceConfig(name="nightly", source="records", path=str(tmp_path)))
    registry.add(InstanceConfig(name="daily", source="records", path=str(tmp_path), schedule="@daily"))
    entries = json.loads(registry.path.read_text())  # hand-edited after `instance add` validated it
    entries.append({**entries[0], "name": "broken", "schedule": "0 2 31 2 * *"})
    registry.path.write_text(json.dumps(entries))
    resources = {"home": DeepCodeSeekHome(home=str(tmp_path))}
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("servicenow_instances", ["nightly", "daily", "broken", "sample"])

        def tick(hour: int):
            when = datetime(2026, 11, 26, hour, tzinfo=timezone.utc)
            return reindex_schedule(build_schedule_context(instance=instance, resources=resources,
                                                           scheduled_execution_time=when))

        assert sorted(r.partition_key for r in tick(2)) == ["nightly", "sample"]
        assert sorted(r.partition_key for r in tick(0)) == ["daily"]
        skip = tick(5)
        assert isinstance(skip, SkipReason) and "skipped instance broken: schedule '0 2 31 2 * *'" in skip.skip_message
