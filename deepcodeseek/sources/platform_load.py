"""Store the platform's API declarations beside an instance's own records."""

from __future__ import annotations

from dataclasses import dataclass

from deepcodeseek.sources.platform_api import PlatformReadResult
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts, insert_rows, run_sql

PLATFORM_PREFIX = "platform:"
PLATFORM_CLASS_COLUMNS = ("sys_id", "api_name", "name", "scope", "deprecated", "doc_json", "source_file",
                          "package_version")


@dataclass
class PlatformLoadSummary:
    classes: int
    scopes: int
    errors: int
    package_version: str


def load_platform_classes(store: InstanceStore, result: PlatformReadResult | None) -> PlatformLoadSummary:
    """Replace the instance's platform classes (none when the instance has no platform configured)."""
    classes = result.classes if result else []
    rows = [[PLATFORM_PREFIX + c.api_name, c.api_name, c.name, c.scope, c.deprecated, c.doc.to_json(),
             c.source_file, result.package_version] for c in classes]
    with store.transaction() as con:
        run_sql(con, "records/delete_platform")
        if rows:
            insert_rows(con, "records/insert_platform_class", PLATFORM_CLASS_COLUMNS, rows)
    return PlatformLoadSummary(len(rows), len({c.scope for c in classes}), len(result.errors) if result else 0,
                               result.package_version if result else "")


def platform_classes(store: InstanceStore) -> list[dict]:
    with store.connect() as con:
        return fetch_dicts(con, "records/select_platform_classes")
