"""Reindex crons (croniter) and the registry that stores them: bad entries are named, never fatal for others."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import pytest

from deepcodeseek.cron import check_cron, due_in_hour, next_fire
from deepcodeseek.errors import BadInput, InvalidSchedule
from deepcodeseek.sources.instance_config import InstanceConfig
from deepcodeseek.sources.registry import InstanceRegistry


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=timezone.utc)


def test_day_of_month_and_day_of_week_are_ored_as_in_cron():
    # 2026-11-30 is a Monday, 2026-12-01 a Tuesday, 2026-11-26 a Thursday.
    assert due_in_hour("0 2 1 * 1", at(30, 2))  # a Monday that is not the 1st
    assert due_in_hour("0 2 1 * 1", at(1, 2, month=12))  # the 1st, not a Monday
    assert not due_in_hour("0 2 1 * 1", at(26, 2))  # neither
    assert due_in_hour("0 2 * * 1", at(30, 2)) and not due_in_hour("0 2 * * 1", at(26, 2))  # one restricted: AND
    assert due_in_hour("0 2 * * 7", at(29, 2))  # 7 is Sunday as well as 0


def test_aliases_and_hour_matching():
    assert check_cron("@daily") == "@daily" and check_cron("  @HOURLY ") == "@hourly"
    assert due_in_hour("@daily", at(26, 0)) and not due_in_hour("@daily", at(26, 1))
    assert due_in_hour("@hourly", at(26, 13))
    assert due_in_hour("59 13 * * *", at(26, 13)) and not due_in_hour("59 13 * * *", at(26, 14))
    assert due_in_hour("*/20 * * * *", datetime(2026, 11, 26, 5, 37, tzinfo=timezone.utc))  # any start in the hour
    assert due_in_hour("0 2 * * *", datetime(2026, 11, 26, 2))  # naive times are UTC
    assert next_fire("0 2 * * *", at(26, 2)) == at(27, 2)


@pytest.mark.parametrize("cron, reason", [
    ("61 * * * *", "not a valid cron"),
    ("0 2 * *", "has 4 fields"),
    ("0 0 2 * * *", "has 6 fields"),
    ("@fortnightly", "unknown alias"),
    ("", "empty schedule"),
    ("0 2 * * mon-xyz", "not a valid cron"),
])
def test_bad_crons_are_named(cron, reason):
    with pytest.raises(InvalidSchedule, match=reason) as err:
        check_cron(cron, owner="acme")
    assert str(err.value).startswith("instance acme: ") and isinstance(err.value, BadInput)


def test_registry_refuses_a_bad_cron_and_survives_a_hand_edited_one(tmp_path, caplog):
    registry = InstanceRegistry(tmp_path)
    registry.add(InstanceConfig(name="good", source="records", path=str(tmp_path), schedule="@daily"))
    with pytest.raises(InvalidSchedule, match="instance bad: schedule '0 25 \\* \\* \\*'"):
        registry.add(InstanceConfig(name="bad", source="records", path=str(tmp_path), schedule="0 25 * * *"))
    assert registry.names() == ["good", "sample"]  # nothing was written

    entries = json.loads(registry.path.read_text())
    entries.append({**entries[0], "name": "edited", "schedule": "every night"})
    registry.path.write_text(json.dumps(entries))
    with caplog.at_level(logging.WARNING):
        assert registry.names() == ["edited", "good", "sample"]  # the rest of the registry still loads
    assert "instance edited: schedule 'every night'" in caplog.text
    assert [str(p).split(":")[0] for p in registry.schedule_problems()] == ["instance edited"]


def test_instance_config_has_its_own_module_and_no_cycle_remains():
    """registry -> table_api_source -> registry was a cycle; both now import instance_config."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "deepcodeseek" / "sources"

    def imports(name: str) -> set[str]:
        tree = ast.parse((root / f"{name}.py").read_text(encoding="utf-8"))
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}

    assert "deepcodeseek.sources.registry" not in imports("table_api_source")
    assert not {"deepcodeseek.sources.registry", "deepcodeseek.sources.table_api_source"} & imports("instance_config")
    assert "deepcodeseek.sources.instance_config" in imports("registry") & imports("table_api_source")
    from deepcodeseek.sources import registry

    assert registry.InstanceConfig is InstanceConfig  # still importable from where it was
