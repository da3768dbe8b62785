"""Write a source's records into the instance's DuckDB tables.

A load replaces the instance's records in one transaction, so a failed load leaves the
previous records in place. When a sys_id appears twice the most recently updated
record wins, and the duplicate is counted.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from deepcodeseek.sources.records import SCRIPT_INCLUDE_TABLE, ReadResult, SourceRecord
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts, insert_rows, run_sql

SCRIPT_INCLUDE_COLUMNS = ("sys_id", "name", "api_name", "scope", "access", "client_callable", "active",
                          "description", "script", "sys_updated_on", "content_hash", "origin")
SCRIPT_COLUMNS = ("sys_id", "table_name", "name", "scope", "active", "script", "sys_updated_on", "content_hash",
                  "origin", "extra")
ERROR_COLUMNS = ("origin", "record", "message")


@dataclass
class LoadSummary:
    script_includes: int = 0
    scripts: int = 0
    applications: int = 0
    errors: int = 0
    duplicates: int = 0
    by_table: dict[str, int] = field(default_factory=dict)


def dedupe(records: list[SourceRecord]) -> tuple[list[SourceRecord], int]:
    latest: dict[str, SourceRecord] = {}
    for r in records:
        kept = latest.get(r.sys_id)
        if kept is None or r.sys_updated_on >= kept.sys_updated_on:
            latest[r.sys_id] = r
    return list(latest.values()), len(records) - len(latest)


def load_records(store: InstanceStore, result: ReadResult) -> LoadSummary:
    records, duplicates = dedupe(result.records)
    summary = LoadSummary(errors=len(result.errors), duplicates=duplicates)
    scopes = {a.scope for a in result.applications}
    with store.transaction() as con:
        run_sql(con, "records/delete_all")
        for app in result.applications:
            run_sql(con, "records/insert_application", [app.scope, app.name, app.sys_id, app.kind, app.version, app.vendor])
        for scope in sorted({r.scope for r in records} - scopes):
            run_sql(con, "records/insert_application", [scope, scope, "", "sys_scope", "", ""])
        si_rows = [
            [r.sys_id, r.name, r.api_name, r.scope, r.access, r.client_callable, r.active,
             r.description, r.script, r.sys_updated_on, r.content_hash, r.origin]
            for r in records if r.is_script_include
        ]
        script_rows = [
            [r.sys_id, r.table, r.name, r.scope, r.active, r.script, r.sys_updated_on,
             r.content_hash, r.origin, json.dumps(r.extra, ensure_ascii=False)]
            for r in records if not r.is_script_include
        ]
        error_rows = [[e.origin, e.record, e.message] for e in result.errors]
        insert_rows(con, "records/insert_script_include", SCRIPT_INCLUDE_COLUMNS, si_rows)
        insert_rows(con, "records/insert_script", SCRIPT_COLUMNS, script_rows)
        insert_rows(con, "records/insert_source_error", ERROR_COLUMNS, error_rows)
        summary.applications = con.execute("SELECT count(*) FROM applications").fetchone()[0]
    counts = Counter(r.table for r in records)
    summary.script_includes = counts.get("sys_script_include", 0)
    summary.scripts = sum(counts.values()) - summary.script_includes
    summary.by_table = dict(sorted(counts.items()))
    return summary


def records_from_store(store: InstanceStore) -> list[SourceRecord]:
    """The instance's current records, as a source would deliver them (for export)."""
    with store.connect(read_only=True) as con:
        sis = fetch_dicts(con, "records/select_export_script_includes")
        scripts = fetch_dicts(con, "records/select_export_scripts")
    out = [SourceRecord(table=SCRIPT_INCLUDE_TABLE, sys_id=r["sys_id"], name=r["name"], scope=r["scope"],
                        script=r["script"], api_name=r["api_name"], access=r["access"],
                        client_callable=r["client_callable"], active=r["active"], description=r["description"] or "",
                        sys_updated_on=r["sys_updated_on"] or "", origin=r["origin"] or "")
           for r in sis]
    out += [SourceRecord(table=r["table_name"], sys_id=r["sys_id"], name=r["name"], scope=r["scope"],
                         script=r["script"], active=r["active"], sys_updated_on=r["sys_updated_on"] or "",
                         origin=r["origin"] or "", extra=json.loads(r["extra"] or "{}"))
            for r in scripts]
    return out
