"""Reindex schedules: standard five-field cron (or ``@daily`` and friends), checked and matched by croniter.

croniter follows cron as people know it, including the rule hand-written matchers get
wrong: when both day-of-month and day-of-week are restricted, the schedule fires on
either (``0 2 1 * 1`` is the 1st of the month *or* every Monday). Schedules are in UTC.
Fields for seconds or years, which croniter also accepts, are refused: the reindex
schedule ticks hourly and Dagster's own cron strings have five fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from croniter import CroniterError, croniter

from deepcodeseek.errors import InvalidSchedule

__all__ = ["ALIASES", "check_cron", "due_in_hour", "next_fire"]

ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_HOUR = timedelta(hours=1)


def check_cron(expression: str, *, owner: str = "") -> str:
    """``expression`` stripped, or :class:`InvalidSchedule` saying why it is not a cron.

    ``owner`` (an instance name) goes into the message, so a bad entry among many is found.
    """
    who = f"instance {owner}: " if owner else ""
    text = " ".join(str(expression or "").split())
    if not text:
        raise InvalidSchedule(f"{who}empty schedule; use a five-field cron such as '0 2 * * *' or '@daily'")
    if text.startswith("@"):
        if text.lower() not in ALIASES:
            raise InvalidSchedule(f"{who}schedule {text!r}: unknown alias (known: {', '.join(ALIASES)})")
        return text.lower()
    fields = text.split(" ")
    if len(fields) != 5:
        raise InvalidSchedule(f"{who}schedule {text!r} has {len(fields)} fields; cron needs five "
                              "(minute hour day-of-month month day-of-week), e.g. '0 2 * * *'")
    try:
        croniter(text)
    except (CroniterError, ValueError, KeyError) as exc:  # croniter reports ranges and names as these
        raise InvalidSchedule(f"{who}schedule {text!r} is not a valid cron: {exc}") from exc
    return text


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


def next_fire(expression: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` at which the schedule fires."""
    return croniter(check_cron(expression), _utc(after)).get_next(datetime)


def due_in_hour(expression: str, hour_start: datetime) -> bool:
    """Whether the schedule fires at some minute of the hour that starts at ``hour_start``."""
    start = _utc(hour_start).replace(minute=0, second=0, microsecond=0)
    return next_fire(expression, start - timedelta(microseconds=1)) < start + _HOUR
