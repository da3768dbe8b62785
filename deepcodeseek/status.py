"""What an instance looks like right now: records, sync cursors, index version, freshness.

Reads only files that are safe to read during a build: the published manifest, the
sync state, and the DuckDB file when no build holds its lock.
"""

from __future__ import annotations

import json
import time

import duckdb

from deepcodeseek.index.publish import IndexNotPublished, current_manifest
from deepcodeseek.paths import instance_paths
from deepcodeseek.sources.registry import InstanceConfig
from deepcodeseek.store.duckdb_store import fetch_dicts


def instance_status(config: InstanceConfig, home: str | None = None) -> dict:
    paths = instance_paths(config.name, home)
    status: dict = {"instance": config.name, "source": config.source, "path": config.path or None,
                    "schedule": config.schedule}
    status["records"] = _records(paths.database)
    status["sync_cursors"] = _cursors(paths.root / "sync_state.json")
    try:
        manifest = current_manifest(paths)
        status.update({
            "index_version": manifest["version"], "model": manifest["model"], "documents": manifest["documents"],
            "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(manifest["published_at"])),
            "age_hours": round((time.time() - manifest["published_at"]) / 3600, 2),
        })
    except IndexNotPublished:
        status["index_version"] = None
    return status


def _records(database) -> dict | str:
    if not database.exists():
        return {}
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.IOException:
        return "busy: a build holds the database"
    try:
        return {r["table_name"]: r["n"] for r in fetch_dicts(con, "records/count_by_table")}
    except duckdb.Error:
        return {}
    finally:
        con.close()


def _cursors(path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {table: list(cursor) for table, cursor in (state.get("cursors") or {}).items()}
