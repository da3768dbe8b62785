"""Reindex schedule: every instance on its own cron (default nightly), unchanged records reused.

One hourly schedule asks, at each tick, which instances' crons fall in that hour and
requests one run per due instance, so adding an instance never means editing code.
Crons are matched by croniter (``deepcodeseek.cron``): day-of-month and day-of-week
are OR-ed as in cron, and ``@daily`` and the other aliases work. An entry whose cron is
invalid (a hand-edited registry) is skipped with its name and reason in the tick's log
and skip message; the other instances are still scheduled.
"""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from deepcodeseek.cron import due_in_hour
from deepcodeseek.errors import InvalidSchedule
from deepcodeseek_pipeline.jobs import index_instance_job
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

__all__ = ["HOURLY", "due_in_hour", "reindex_schedule"]

HOURLY = "0 * * * *"


@schedule(job=index_instance_job, cron_schedule=HOURLY, default_status=DefaultScheduleStatus.STOPPED)
def reindex_schedule(context: ScheduleEvaluationContext, home: DeepCodeSeekHome):
    tick = context.scheduled_execution_time
    partitions = set(context.instance.get_dynamic_partitions(servicenow_instances.name))
    due: list[str] = []
    skipped: list[str] = []
    for config in home.registry().all():
        if config.name not in partitions:
            continue
        try:
            if due_in_hour(config.check_schedule(), tick):
                due.append(config.name)
        except InvalidSchedule as exc:
            context.log.warning(f"{exc}; not scheduled")
            skipped.append(str(exc))
    if not due:
        reason = f"no instance is due at {tick:%Y-%m-%d %H:00}"
        return SkipReason("; ".join([reason, *(f"skipped {s}" for s in skipped)]))
    return [RunRequest(partition_key=name, run_key=f"{name}-{tick:%Y%m%d%H}") for name in due]
