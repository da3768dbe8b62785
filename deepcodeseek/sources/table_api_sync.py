"""Incremental, resumable sync of an instance's scripts through the Table API.

What it keeps, and why:

* ``SyncState`` (JSON, replaced atomically after every page): per table the keyset cursor of
  the last row fully processed, the content hash of every row held, and the rows of the small
  metadata tables (scopes, applications, packages). Saving after each page means a sync that
  dies half-way resumes from where it stopped instead of starting over.
* The records file (records-JSONL.gz, the project's interchange format, replaced atomically
  at the end of a sync) holds every current record, so an incremental sync, which fetches only
  what changed, can still hand the whole current set downstream.
* A journal beside it (plain JSONL, appended and fsynced per page *before* the state is
  saved) holds the records fetched by an unfinished sync; a resumed sync replays it.
  Membership is decided by the state's ``known`` table, so a journal or records file that is
  ahead of or behind the state can never resurrect a retired record.
* Deletions never show up in a watermark query, so (with ``full_listing``) every sync ends by
  listing all sys_ids of each table and retiring what is gone.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import itertools
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deepcodeseek import atomic
from deepcodeseek.errors import BadInput
from deepcodeseek.sources.records import (
    SCRIPT_INCLUDE_TABLE,
    Application,
    ReadResult,
    RecordError,
    SourceError,
    SourceRecord,
    normalise,
)
from deepcodeseek.sources.records_jsonl import record_to_json
from deepcodeseek.sources.table_api_client import (
    AuthenticationError,
    Cursor,
    TableAPIClient,
    TableAPIError,
    _reference_value,
)

log = logging.getLogger(__name__)

STATE_VERSION = 1
COMMON_REFS = ("sys_scope", "sys_package")


@dataclass(frozen=True)
class TableSpec:
    """A table to sync: its fields, where the script lives, and whether it is metadata."""

    name: str
    fields: tuple[str, ...]
    script_field: str = "script"
    metadata: bool = False  # scopes / applications / packages: kept in the state, not as records


def _code(name: str, *fields: str, script_field: str = "script") -> TableSpec:
    return TableSpec(name, tuple(dict.fromkeys([*fields, script_field, *COMMON_REFS])), script_field)


METADATA_TABLES: tuple[TableSpec, ...] = (
    TableSpec("sys_scope", ("scope", "name"), metadata=True),
    TableSpec("sys_app", ("scope", "name", "version", "vendor"), metadata=True),
    TableSpec("sys_store_app", ("scope", "name", "version", "vendor"), metadata=True),
    TableSpec("sys_package", ("name", "source", "version"), metadata=True),
)

CODE_TABLES: tuple[TableSpec, ...] = (
    _code(SCRIPT_INCLUDE_TABLE, "name", "api_name", "access", "active", "client_callable", "description"),
    _code("sys_script", "name", "collection", "when", "active", "description"),
    _code("sys_ui_action", "name", "table", "action_name", "active", "client"),
    _code("sysauto_script", "name", "active", "run_type"),
    _code("sys_script_fix", "name", "description"),
    _code("sys_ws_operation", "name", "http_method", "operation_uri", "active", script_field="operation_script"),
    _code("sys_script_client", "name", "table", "type", "ui_type", "active", "description"),
    _code("sys_ui_script", "name", "active", "ui_type", "description"),
)

USAGE_TABLES: tuple[TableSpec, ...] = METADATA_TABLES + CODE_TABLES
TABLE_SPECS: dict[str, TableSpec] = {spec.name: spec for spec in USAGE_TABLES}
APP_KINDS = ("sys_store_app", "sys_app", "sys_scope")  # precedence when one sys_id is in several

_CORE_FIELDS = {"sys_id", "sys_updated_on", "name", "api_name", "access", "active", "client_callable",
                "description", "sys_scope"}


# ----------------------------------------------------------------------------------------- state


@dataclass
class SyncState:
    """Where each table's sync stands; persisted as JSON, written atomically."""

    cursors: dict[str, tuple[str, str]] = field(default_factory=dict)
    known: dict[str, dict[str, str]] = field(default_factory=dict)
    metadata: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> SyncState:
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise BadInput(f"sync state {path} is unreadable ({exc}); delete it to sync from scratch") from exc
        if data.get("version") != STATE_VERSION:
            raise BadInput(f"sync state {path} has version {data.get('version')!r}, expected {STATE_VERSION}")
        return cls(
            cursors={t: Cursor(*c) for t, c in data.get("cursors", {}).items()},
            known={t: dict(v) for t, v in data.get("known", {}).items()},
            metadata={t: dict(v) for t, v in data.get("metadata", {}).items()},
        )

    def save(self, path: Path) -> None:
        payload = {"version": STATE_VERSION, "cursors": {t: list(c) for t, c in self.cursors.items()},
                   "known": self.known, "metadata": self.metadata}
        atomic.write_json(path, payload, ensure_ascii=False, separators=(",", ":"))


@dataclass
class SyncResult:
    read: ReadResult  # every current record (held before + new/changed), and the applications
    changed: int  # fetched rows that are new or whose content hash differs
    unchanged: int  # fetched rows whose content hash is the one already held
    deleted: list[str]  # sys_ids retired because the full listing no longer has them
    fetched: int
    requests: int
    retries: int
    seconds: float
    skipped: int = 0  # fetched rows with no script (nothing to index), not held
    asleep_waits: int = 0  # retries after HTML answers (an instance asleep or a proxy page), within retries
    scope_warnings: int = 0  # current records whose sys_scope could not be resolved (held as "global")


# -------------------------------------------------------------------------------------- helpers


def _row_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _text(value: Any) -> str:
    value = _reference_value(value)
    return "" if value is None else str(value)


class _Scopes:
    """sys_id → application, from the current scope/app rows (sys_app and sys_store_app win)."""

    def __init__(self, metadata: dict[str, dict[str, dict[str, str]]]):
        self.by_id: dict[str, Application] = {}
        for kind in reversed(APP_KINDS):  # later kinds overwrite earlier ones
            for sys_id, row in metadata.get(kind, {}).items():
                scope = row.get("scope") or ""
                if scope:
                    self.by_id[sys_id] = Application(scope=scope, name=row.get("name") or scope, sys_id=sys_id,
                                                     kind=kind, version=row.get("version", ""),
                                                     vendor=row.get("vendor", ""))
        self.packages = {sid: row.get("name", "") for sid, row in metadata.get("sys_package", {}).items()}

    def resolve(self, ref: str) -> tuple[str, Application | None, bool]:
        """(scope name, application, resolved?); empty and the literal "global" are global."""
        if not ref or ref == "global":
            return "global", self.by_id.get("global"), True
        app = self.by_id.get(ref)
        return (app.scope, app, True) if app else ("global", None, False)

    def applications(self, records: Iterable[SourceRecord]) -> list[Application]:
        """One application per scope (the applications table is keyed by scope)."""
        by_scope: dict[str, Application] = {}
        for app in self.by_id.values():
            kept = by_scope.get(app.scope)
            if kept is None or APP_KINDS.index(app.kind) < APP_KINDS.index(kept.kind):
                by_scope[app.scope] = app
        if "global" not in by_scope and any(r.scope == "global" for r in records):
            by_scope["global"] = Application(scope="global", name="Global", sys_id="global", kind="sys_scope")
        return sorted(by_scope.values(), key=lambda a: a.scope)


def _record_from_row(spec: TableSpec, row: dict[str, Any], scopes: _Scopes, origin: str) -> SourceRecord:
    scope_ref = _text(row.get("sys_scope"))
    scope, app, _ = scopes.resolve(scope_ref)
    package_ref = _text(row.get("sys_package"))
    extra: dict[str, Any] = {"sys_scope_sys_id": scope_ref, "source": "table_api"}
    if app is not None:
        extra["app_name"], extra["app_sys_id"] = app.name, app.sys_id
    if package_ref:
        extra["sys_package"] = package_ref
        if scopes.packages.get(package_ref):
            extra["sys_package_name"] = scopes.packages[package_ref]
    for name in spec.fields:
        if name not in _CORE_FIELDS and name not in COMMON_REFS and name != spec.script_field:
            extra[name] = _text(row.get(name))
    if spec.script_field != "script":
        extra["script_field"] = spec.script_field
    raw = {
        "table": spec.name, "sys_id": _text(row.get("sys_id")), "name": _text(row.get("name")).strip(),
        "api_name": _text(row.get("api_name")) or None, "script": row.get(spec.script_field),
        "scope": scope, "access": _text(row.get("access")), "client_callable": _text(row.get("client_callable")),
        "active": _text(row.get("active")), "description": _text(row.get("description")),
        "sys_updated_on": _text(row.get("sys_updated_on")), "extra": extra,
    }
    return normalise(raw, origin)


def _rescope(record: SourceRecord, scopes: _Scopes) -> tuple[SourceRecord, bool]:
    """Re-resolve a held record's scope (its scope row may have arrived or changed since)."""
    ref = str(record.extra.get("sys_scope_sys_id", record.scope))
    scope, app, resolved = scopes.resolve(ref)
    if scope == record.scope:
        return record, resolved
    api_name = record.api_name
    if record.is_script_include and api_name == f"{record.scope}.{record.name}":
        api_name = f"{scope}.{record.name}"
    extra = dict(record.extra)
    if app is not None:
        extra["app_name"], extra["app_sys_id"] = app.name, app.sys_id
    else:
        extra.pop("app_name", None)
        extra.pop("app_sys_id", None)
    return dataclasses.replace(record, scope=scope, api_name=api_name, extra=extra), resolved


def _record_json(record: SourceRecord) -> dict[str, Any]:
    return {**record_to_json(record), "origin": record.origin}


class _RecordStore:
    """The current records: the records file plus the journal of an unfinished sync."""

    def __init__(self, records_path: Path):
        self.path = Path(records_path)
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self.current: dict[tuple[str, str], SourceRecord] = {}
        self.dirty = False
        self._journal: Any = None

    def load(self, known: dict[str, dict[str, str]]) -> None:
        """Read records file then journal (journal wins); keep only what the state says is held."""
        loaded: dict[tuple[str, str], SourceRecord] = {}
        if self.path.exists():
            try:
                with gzip.open(self.path, "rt", encoding="utf-8") as fh:
                    self._read_lines(fh, loaded)
            except (OSError, EOFError, UnicodeDecodeError) as exc:
                # What it held is refetched: the state check below sees the records missing.
                log.warning("records file %s is unreadable (%s); its tables will be refetched", self.path, exc)
        if self.journal_path.exists():
            self.dirty = True  # an unfinished sync: the records file must be rewritten
            with open(self.journal_path, encoding="utf-8") as fh:
                self._read_lines(fh, loaded)
        self.current = {key: rec for key, rec in loaded.items() if key[1] in known.get(key[0], {})}

    def _read_lines(self, lines: Iterable[str], into: dict[tuple[str, str], SourceRecord]) -> None:
        for line in lines:
            try:
                raw = json.loads(line)
                record = normalise(raw, str(raw.get("origin") or ""))
            except (json.JSONDecodeError, RecordError, AttributeError):
                continue  # a torn last journal line from a crash: its page is refetched
            into[(record.table, record.sys_id)] = record

    def journal(self, records: list[SourceRecord]) -> None:
        """Append a page's records and make them durable before the cursor moves past them."""
        if not records:
            return
        if self._journal is None:
            self.journal_path.parent.mkdir(parents=True, exist_ok=True)
            self._journal = open(self.journal_path, "a", encoding="utf-8")
        self._journal.write("".join(json.dumps(_record_json(r), ensure_ascii=False) + "\n" for r in records))
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self.dirty = True

    def close_journal(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def write(self) -> None:
        """Replace the records file with every current record (stable order: table, sys_id)."""
        ordered = [self.current[k] for k in sorted(self.current)]

        def emit(gz: Any) -> None:
            for i in range(0, len(ordered), 500):
                chunk = ordered[i:i + 500]
                gz.write("".join(json.dumps(_record_json(r), ensure_ascii=False) + "\n" for r in chunk)
                         .encode("utf-8"))

        with atomic.open_atomic(self.path, "wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=5, mtime=0) as gz:
            emit(gz)

    def drop_journal(self) -> None:
        self.close_journal()
        try:
            os.unlink(self.journal_path)
        except FileNotFoundError:
            pass


def _specs(tables: Sequence[TableSpec | str]) -> list[TableSpec]:
    specs = []
    for table in tables:
        if isinstance(table, str):
            if table not in TABLE_SPECS:
                raise BadInput(f"no TableSpec for table {table!r}; pass a TableSpec with its fields")
            table = TABLE_SPECS[table]
        specs.append(table)
    # Metadata first: code rows resolve their scope through it.
    return sorted(specs, key=lambda s: not s.metadata)


# ----------------------------------------------------------------------------------------- sync


OPTIONAL_TABLES = frozenset({"sys_store_app", "sys_app", "sys_package", "sys_ui_script", "sys_ws_operation",
                             "sys_script_fix", "sysauto_script", "sys_script_client", "sys_ui_action"})


def _optional_table_missing(exc: TableAPIError, spec: TableSpec) -> bool:
    """Instances without a plugin, or users without a table's ACL, lack some optional tables.

    Such a table (HTTP 400 "Invalid table", 403) is logged and skipped; the Script Include
    and scope tables are never optional.
    """
    return (spec.name in OPTIONAL_TABLES and exc.status in (400, 403)
            and not isinstance(exc, AuthenticationError))


def sync_instance(client: TableAPIClient, state_path: Path, records_path: Path, *,
                  tables: Sequence[TableSpec | str] = USAGE_TABLES, full_listing: bool = True) -> SyncResult:
    """Bring ``records_path`` up to date with the instance; see the module docstring for how."""
    started = time.perf_counter()
    before = client.stats.snapshot()
    state_path, records_path = Path(state_path), Path(records_path)
    specs = _specs(tables)
    state = SyncState.load(state_path)
    store = _RecordStore(records_path)
    store.load(state.known)

    # A records file that lost rows the state says are held (deleted, restored from an old
    # copy) would leave holes an incremental fetch never fills: refetch those tables whole.
    held_by_table: dict[str, dict[str, str]] = {}
    for (table, sys_id), record in store.current.items():
        held_by_table.setdefault(table, {})[sys_id] = record.content_hash
    for spec in specs:
        if spec.metadata:
            continue
        known = state.known.get(spec.name, {})
        held = held_by_table.get(spec.name, {})
        if held != known:
            log.warning("%s: records held for %s do not match the sync state (%d held, %d known); "
                        "refetching the table", client.instance, spec.name, len(held), len(known))
            state.cursors.pop(spec.name, None)
            state.known[spec.name] = {}
            store.current = {k: v for k, v in store.current.items() if k[0] != spec.name}

    changed = unchanged = fetched = skipped = 0
    errors: list[SourceError] = []
    unavailable: set[str] = set()
    scopes = _Scopes(state.metadata)
    try:
        for spec in specs:
            known = state.known.setdefault(spec.name, {})
            after = state.cursors.get(spec.name)
            pages = client.iter_pages(spec.name, spec.fields, after=after)
            try:
                first = next(pages, None)
            except TableAPIError as exc:
                if not _optional_table_missing(exc, spec):
                    raise
                log.warning("%s: table %s is not readable (HTTP %s); skipped", client.instance, spec.name, exc.status)
                unavailable.add(spec.name)
                continue
            for page in itertools.chain([first] if first is not None else [], pages):
                journal: list[SourceRecord] = []
                for row in page.rows:
                    fetched += 1
                    sys_id = _text(row.get("sys_id"))
                    if spec.metadata:
                        clean = {name: _text(row.get(name)) for name in ("sys_id", "sys_updated_on", *spec.fields)}
                        # sys_updated_on is left out: a touch without a change is not a change.
                        digest = _row_hash({k: v for k, v in clean.items() if k != "sys_updated_on"})
                        state.metadata.setdefault(spec.name, {})[sys_id] = clean
                    else:
                        origin = f"{client.instance}/{spec.name}.do?sys_id={sys_id}"
                        try:
                            record = _record_from_row(spec, row, scopes, origin)
                        except RecordError as exc:
                            if known.pop(sys_id, None) is not None:
                                store.current.pop((spec.name, sys_id), None)
                                changed += 1  # held before, no longer usable
                            else:
                                skipped += 1
                            if spec.name == SCRIPT_INCLUDE_TABLE:
                                errors.append(SourceError(origin, sys_id, str(exc)))
                            continue
                        digest = record.content_hash
                        store.current[(spec.name, sys_id)] = record
                        journal.append(record)
                    if known.get(sys_id) == digest:
                        unchanged += 1
                    else:
                        changed += 1
                        known[sys_id] = digest
                store.journal(journal)  # durable before the cursor moves past these rows
                state.cursors[spec.name] = Cursor(*page.cursor)
                state.save(state_path)
            if spec.metadata:
                scopes = _Scopes(state.metadata)

        deleted: list[str] = []
        if full_listing:
            for spec in specs:
                if spec.name in unavailable:
                    continue
                listed = set(client.list_sys_ids(spec.name))
                known = state.known.setdefault(spec.name, {})
                for sys_id in sorted(set(known) - listed):
                    known.pop(sys_id)
                    state.metadata.get(spec.name, {}).pop(sys_id, None)
                    store.current.pop((spec.name, sys_id), None)
                    deleted.append(sys_id)
            if deleted:
                scopes = _Scopes(state.metadata)
                store.dirty = True

        # Scopes may have arrived, changed or gone since a record was fetched.
        scope_warnings = 0
        for key, record in list(store.current.items()):
            fresh, resolved = _rescope(record, scopes)
            scope_warnings += not resolved
            if fresh is not record:
                store.current[key] = fresh
                state.known[fresh.table][fresh.sys_id] = fresh.content_hash
                store.dirty = True
        if scope_warnings:
            log.warning("%s: %d records have a sys_scope that matches no sys_scope/sys_app row; held as 'global'",
                        client.instance, scope_warnings)

        # Finish: records first, then the state, then the journal. A crash in between leaves a
        # state whose `known` still filters whatever the files hold.
        store.close_journal()
        if store.dirty or not records_path.exists():
            store.write()
        state.save(state_path)
        store.drop_journal()
    finally:
        store.close_journal()

    records = [store.current[k] for k in sorted(store.current)]
    after_stats = client.stats
    return SyncResult(
        read=ReadResult(records=records, applications=scopes.applications(records), errors=errors),
        changed=changed, unchanged=unchanged, deleted=deleted, fetched=fetched,
        requests=after_stats.requests - before.requests, retries=after_stats.retries - before.retries,
        seconds=time.perf_counter() - started, skipped=skipped, scope_warnings=scope_warnings,
        asleep_waits=after_stats.asleep_waits - before.asleep_waits,
    )
