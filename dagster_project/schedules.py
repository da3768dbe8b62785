"""Reindex schedule: every instance on its own cron (default nightly), unchanged records reused.

One hourly schedule asks, at each tick, which instances' crons fall in that hour and
requests one run per due instance, so adding an instance never means editing code.
"""
from datetime import datetime

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from deepcodeseek_pipeline.jobs import index_instance_job
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

HOURLY = "0 * * * *"


def _field_matches(field: str, value: int) -> bool:
    for part in field.split(","):
        spec, _, step = part.partition("/")
        stride = int(step) if step else 1
        if spec == "*":
            low, high = 0, 10**6
        elif "-" in spec:
            low, high = (int(x) for x in spec.split("-", 1))
        else:
            low = high = int(spec)
            if step:
                high = 10**6
        if low <= value <= high and (value - low) % stride == 0:
            return True
    return False


def due_in_hour(cron: str, hour_start: datetime) -> bool:
    """Whether a 5-field cron fires at some minute of the hour that starts at ``hour_start``.

    Supports ``*``, numbers, lists, ranges and steps, which is what reindex schedules use.
    """
    minute, hour, day, month, weekday = cron.split()
    dow = (hour_start.weekday() + 1) % 7  # cron: 0 = Sunday
    return (any(_field_matches(minute, m) for m in range(60)) and _field_matches(hour, hour_start.hour)
            and _field_matches(day, hour_start.day) and _field_matches(month, hour_start.month)
            and (_field_matches(weekday, dow) or (dow == 0 and _field_matches(weekday, 7))))


@schedule(job=index_instance_job, cron_schedule=HOURLY, default_status=DefaultScheduleStatus.STOPPED)
def reindex_schedule(context: ScheduleEvaluationContext, home: DeepCodeSeekHome):
    tick = context.scheduled_execution_time
    partitions = set(context.instance.get_dynamic_partitions(servicenow_instances.name))
    due = [c.name for c in home.registry().all() if c.name in partitions and due_in_hour(c.schedule, tick)]
    if not due:
        return SkipReason(f"no instance is due at {tick:%Y-%m-%d %H:00}")
    return [RunRequest(partition_key=name, run_key=f"{name}-{tick:%Y%m%d%H}") for name in due]
