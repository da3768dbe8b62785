"""Nightly reindex: one run per registered instance (unchanged records are reused)."""


from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from dagster_project.jobs import index_instance_job
from dagster_project.partitions import servicenow_instances

NIGHTLY = "0 2 * * *"


@schedule(job=index_instance_job, cron_schedule=NIGHTLY, default_status=DefaultScheduleStatus.STOPPED)
def nightly_reindex(context: ScheduleEvaluationContext):
    for name in context.instance.get_dynamic_partitions(servicenow_instances.name):
        yield RunRequest(partition_key=name, run_key=f"{name}-{context.scheduled_execution_time:%Y%m%d}")
