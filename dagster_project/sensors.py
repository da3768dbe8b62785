"""Keep partitions in step with the registry: new instances are added (with a full build), removed ones deleted."""


from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, sensor

from deepcodeseek_pipeline.jobs import index_instance_job
from deepcodeseek_pipeline.partitions import servicenow_instances
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
