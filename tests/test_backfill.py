"""Several instances built as a backfill in process: each alone, one failure stops no other, pools hold."""

from __future__ import annotations

from dagster import DagsterEventType, instance_for_test

from deepcodeseek.index.publish import current_manifest
from deepcodeseek.paths import instance_paths
from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry
from deepcodeseek_pipeline.assets.adaptation.resources import AdaptationResource
from deepcodeseek_pipeline.backfill import BACKFILL_TAG, backfill_instances
from deepcodeseek_pipeline.deployment import DeploymentConfig, PoolConfig, apply_pool_limits
from deepcodeseek_pipeline.environment import Environment
from deepcodeseek_pipeline.gpu import GPU_POOL, LLM_POOL
from deepcodeseek_pipeline.resources import resources_for
from tests.steps import BEYOND_THE_INDEX

HEALTHY = ("acme", "globex")
SKIPPED = BEYOND_THE_INDEX  # the stages that train or measure have tests of their own


def _pool_intervals(instance, run_ids: list[str], steps: set[str]) -> list[tuple[float, float, str]]:
    """(start, end, run) of every step of ``steps`` in the runs, from the event log."""
    intervals = []
    for run_id in run_ids:
        started = {}
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event is None or event.step_key not in steps:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                started[event.step_key] = record.timestamp
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                intervals.append((started[event.step_key], record.timestamp, run_id))
    return sorted(intervals)


def test_a_backfill_builds_each_instance_alone_within_the_pools(tmp_path):
    home = tmp_path / "home"
    registry = InstanceRegistry(home)
    for name in HEALTHY:  # copies of the bundled sample under other names
        registry.add(InstanceConfig(name=name, source="sample"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "records.jsonl").write_text("this is not a record\n{\"table\": \n")
    registry.add(InstanceConfig(name="broken", source="records", path=str(broken)))
    resources = {**resources_for(Environment.CI, home=str(home)), "adaptation": AdaptationResource(enabled=False)}
    with instance_for_test(overrides={"concurrency": {"pools": {"granularity": "op"}}}) as instance:
        apply_pool_limits(instance, DeploymentConfig(pools={GPU_POOL: PoolConfig(GPU_POOL, limit=1),
                                                            LLM_POOL: PoolConfig(LLM_POOL, limit=1)}))
        names = ["broken", *HEALTHY]
        report = backfill_instances(names, instance, resources=resources, parallel=2, skip=SKIPPED)

        assert report.failed == ["broken"], {n: o.error for n, o in report.outcomes.items()}
        assert report.succeeded == sorted(HEALTHY)
        assert report.outcomes["broken"].failed_steps == ["source_records"]
        assert "instance broken" in report.outcomes["broken"].error  # the step's own message, naming the instance
        for name in HEALTHY:  # each instance has its own published index
            manifest = current_manifest(instance_paths(name, home))
            assert manifest["instance"] == name and manifest["documents"] > 0
        runs = [o.run_id for o in report.outcomes.values()]
        assert {instance.get_run_by_id(r).tags[BACKFILL_TAG] for r in runs} == {report.backfill_id}
        assert len({instance.get_run_by_id(r).tags["dagster/partition"] for r in runs}) == len(names)

        for pool, steps in ((GPU_POOL, {"vector_index"}),
                            (LLM_POOL, {"jsdoc_summaries", "benchmark_samples"})):
            intervals = _pool_intervals(instance, runs, steps)
            assert intervals, pool
            for (_, end, run), (start, _, other) in zip(intervals, intervals[1:]):
                assert start >= end or run == other, f"two {pool} steps of different runs overlapped"
            info = instance.event_log_storage.get_concurrency_info(pool)
            assert info.slot_count == 1 and not info.claimed_slots and not info.pending_steps
