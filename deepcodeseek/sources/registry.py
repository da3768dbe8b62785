"""The instance registry: which instances exist and where their records come from.

It is a small JSON file under the state folder, written atomically. Dagster's sensor
turns its entries into dynamic partitions; the CLI adds entries. The bundled sample
instance is always registered.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from deepcodeseek import atomic
from deepcodeseek.errors import BadInput, InvalidSchedule, UnknownInstance
from deepcodeseek.paths import home_dir, instance_paths
from deepcodeseek.sources.instance_config import DEFAULT_SCHEDULE, SOURCE_KINDS, InstanceConfig
from deepcodeseek.sources.records import ReadResult
from deepcodeseek.sources.records_jsonl import read_records_jsonl
from deepcodeseek.sources.sample_instance import SAMPLE_INSTANCE_NAME, read_sample_instance

if TYPE_CHECKING:  # the Table API client needs httpx; other sources do not import it
    from deepcodeseek.sources.table_api_client import Auth

__all__ = ["DEFAULT_SCHEDULE", "SAMPLE_INSTANCE", "SOURCE_KINDS", "InstanceConfig", "InstanceRegistry",
           "UnknownInstance", "read_source"]

log = logging.getLogger(__name__)

SAMPLE_INSTANCE = InstanceConfig(name=SAMPLE_INSTANCE_NAME, source="sample")


class InstanceRegistry:
    def __init__(self, home: str | os.PathLike[str] | None = None):
        self.path = home_dir(home) / "instances.json"

    def _load(self) -> dict[str, InstanceConfig]:
        if not self.path.exists():
            return {}
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise BadInput(f"instance registry {self.path} is not valid JSON: {exc}") from exc
        known = set(InstanceConfig.__dataclass_fields__)
        configs = {e["name"]: InstanceConfig(**{k: v for k, v in e.items() if k in known}) for e in entries}
        for problem in self._schedule_problems(configs.values()):
            log.warning("%s: %s; the instance will not be reindexed on a schedule until it is fixed "
                        "('deepcodeseek instance add ... --schedule')", self.path, problem)
        return configs

    @staticmethod
    def _schedule_problems(configs) -> list[InvalidSchedule]:
        problems = []
        for config in configs:
            try:
                config.check_schedule()
            except InvalidSchedule as exc:
                problems.append(exc)
        return problems

    def schedule_problems(self) -> list[InvalidSchedule]:
        """The entries whose cron is invalid (a hand-edited file): named, so each can be skipped."""
        return self._schedule_problems(self.all())

    def all(self) -> list[InstanceConfig]:
        entries = self._load()
        entries.setdefault(SAMPLE_INSTANCE.name, SAMPLE_INSTANCE)
        return sorted(entries.values(), key=lambda c: c.name)

    def names(self) -> list[str]:
        return [c.name for c in self.all()]

    def get(self, name: str) -> InstanceConfig:
        for config in self.all():
            if config.name == name:
                return config
        raise UnknownInstance(f"unknown instance {name!r}: register it with 'deepcodeseek index --instance {name} --records PATH'")

    def add(self, config: InstanceConfig) -> None:
        """Add or replace an entry, once its schedule is a valid cron; the file is replaced atomically."""
        config.check_schedule()
        entries = self._load()
        entries[config.name] = config
        self._save(entries)

    def remove(self, name: str) -> InstanceConfig:
        """Take an instance out of the registry; the sensor then deletes its partition.

        Its records and published index stay where they are (delete them by hand when
        they are no longer wanted). The bundled sample is always registered.
        """
        if name == SAMPLE_INSTANCE.name:
            raise BadInput(f"instance {name!r} is the bundled sample: it is always registered")
        entries = self._load()
        if name not in entries:
            raise UnknownInstance(f"unknown instance {name!r}: nothing to remove "
                                  f"(registered: {', '.join(self.names())})")
        removed = entries.pop(name)
        self._save(entries)
        return removed

    def _save(self, entries: dict[str, InstanceConfig]) -> None:
        atomic.write_json(self.path, [asdict(c) for c in sorted(entries.values(), key=lambda c: c.name)], indent=2)


def read_source(config: InstanceConfig, home: str | os.PathLike[str] | None = None,
                progress: Callable[[str], None] | None = None, auth: Auth | None = None) -> ReadResult:
    """Read every current record of an instance from its configured source.

    Readers are imported on use: the serving path never pays for parsers it does not need.
    ``auth`` is the Table API's credentials; without it they are read from the environment
    under the instance's ``auth_env_prefix`` (the standalone path).
    """
    if config.source == "sample":
        return read_sample_instance()
    if config.source == "records":
        return read_records_jsonl(Path(config.path))
    if config.source == "export":
        from deepcodeseek.sources.export_xml import read_source_control_export

        return read_source_control_export(Path(config.path))
    if config.source == "update-set":
        from deepcodeseek.sources.update_set import read_update_set

        return read_update_set(Path(config.path))
    from deepcodeseek.sources.table_api_source import sync_configured_instance

    return sync_configured_instance(config, instance_paths(config.name, home), auth, progress)
