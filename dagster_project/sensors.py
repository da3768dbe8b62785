"""Keep partitions in step with the registry: new instances are added (with a full build), removed ones deleted;
and keep pool steps from waiting for ever beside a free slot (Dagster's slot race, ``pool_steps``)."""


from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from deepcodeseek_pipeline.jobs import index_instance_job
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.pool_steps import assign_stranded_steps
from deepcodeseek_pipeline.resources import DeepCodeSeekHome


@sensor(job=index_instance_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def instance_registry_sensor(context: SensorEvaluationContext, home: DeepCodeSeekHome) -> SensorResult:
    """New instances in the registry become partitions and get their backfill (a full build);
    partitions of instances no longer registered are deleted (their runs and records stay)."""
    registered = set(home.registry().names())
    existing = set(context.instance.get_dynamic_partitions(servicenow_instances.name))
    new, removed = sorted(registered - existing), sorted(existing - registered)
    requests = []
    if new:
        requests.append(servicenow_instances.build_add_request(new))
    if removed:
        requests.append(servicenow_instances.build_delete_request(removed))
    return SensorResult(
        run_requests=[RunRequest(partition_key=name, run_key=f"new-instance-{name}") for name in new],
        dynamic_partitions_requests=requests,
    )


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def stranded_pool_steps_sensor(context: SensorEvaluationContext) -> SkipReason:
    """The daemon's runs share one storage, so a step can queue just after another run freed the pool's slot
    and never be assigned: its run would sleep until its timeout. This assigns such steps, as the in-process
    backfill's parent does; it starts no run, and its skip message names what it assigned."""
    assigned = assign_stranded_steps(context.instance)
    if assigned:
        context.log.warning(f"assigned pool steps that no free would have: {', '.join(assigned)}")
        return SkipReason(f"assigned {len(assigned)} stranded step(s): {', '.join(assigned)}")
    return SkipReason("no pool step waits beside a free slot")
