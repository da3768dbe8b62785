"""The instance registry: which instances exist and where their records come from.

It is a small JSON file under the state folder, written atomically. Dagster's sensor
turns its entries into dynamic partitions; the CLI adds entries. The bundled sample
instance is always registered.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from deepcodeseek.paths import home_dir, instance_paths, validate_instance_name
from deepcodeseek.sources.records import ReadResult
from deepcodeseek.sources.records_jsonl import read_records_jsonl
from deepcodeseek.sources.sample_instance import SAMPLE_INSTANCE_NAME, read_sample_instance

SOURCE_KINDS = ("sample", "records", "export", "update-set", "table-api")
DEFAULT_SCHEDULE = "0 2 * * *"


class UnknownInstance(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want a plain line
        return str(self.args[0])


@dataclass(frozen=True)
class InstanceConfig:
    name: str
    source: str  # one of SOURCE_KINDS
    path: str = ""  # records folder, export folder or zip, update-set file
    url: str = ""  # instance URL for the Table API
    schedule: str = DEFAULT_SCHEDULE  # cron, in UTC, for the reindex schedule
    benchmark: str = ""  # optional benchmark JSONL for the evaluation asset
    platform: str = ""  # @servicenow/glide tarball or folder: index the platform's APIs too
    auth_env_prefix: str = "SERVICENOW"  # credentials from <prefix>_USER, _PASSWORD, _CLIENT_ID, _CLIENT_SECRET
    max_error_share: float = 0.2  # a sync fails when more records than this are unreadable

    def __post_init__(self) -> None:
        validate_instance_name(self.name)
        if self.source not in SOURCE_KINDS:
            raise ValueError(f"instance {self.name}: unknown source kind {self.source!r} (known: {', '.join(SOURCE_KINDS)})")
        if self.source == "table-api" and not self.url.startswith(("https://", "http://")):
            raise ValueError(f"instance {self.name}: the table-api source needs --url https://<instance>.service-now.com")
        if self.source in ("records", "export", "update-set") and not self.path:
            raise ValueError(f"instance {self.name}: the {self.source} source needs --path")


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
            raise ValueError(f"instance registry {self.path} is not valid JSON: {exc}") from exc
        known = set(InstanceConfig.__dataclass_fields__)
        return {e["name"]: InstanceConfig(**{k: v for k, v in e.items() if k in known}) for e in entries}

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
        """Add or replace an entry; the file is replaced atomically so readers never see half of it."""
        entries = self._load()
        entries[config.name] = config
        self._save(entries)

    def remove(self, name: str) -> InstanceConfig:
        """Take an instance out of the registry; the sensor then deletes its partition.

        Its records and published index stay where they are (delete them by hand when
        they are no longer wanted). The bundled sample is always registered.
        """
        if name == SAMPLE_INSTANCE.name:
            raise ValueError(f"instance {name!r} is the bundled sample: it is always registered")
        entries = self._load()
        if name not in entries:
            raise UnknownInstance(f"unknown instance {name!r}: nothing to remove "
                                  f"(registered: {', '.join(self.names())})")
        removed = entries.pop(name)
        self._save(entries)
        return removed

    def _save(self, entries: dict[str, InstanceConfig]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".instances.", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump([asdict(c) for c in sorted(entries.values(), key=lambda c: c.name)], fh, indent=2)
        os.replace(tmp, self.path)


def read_source(config: InstanceConfig, home: str | os.PathLike[str] | None = None,
                progress: Callable[[str], None] | None = None) -> ReadResult:
    """Read every current record of an instance from its configured source.

    Readers are imported on use: the serving path never pays for parsers it does not need.
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

    return sync_configured_instance(config, instance_paths(config.name, home), progress)
