"""The one record shape every source produces, and its normalisation.

All sources (records JSONL, the bundled sample instance, later the Table API and
exports) end in :class:`SourceRecord`, so everything downstream reads one format.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from deepcodeseek.errors import BadInput

SCRIPT_INCLUDE_TABLE = "sys_script_include"


class RecordError(BadInput):
    """A record that cannot be used; the message names what is wrong."""


@dataclass(frozen=True)
class SourceError:
    """One record or file that could not be read, reported and skipped."""

    origin: str  # file and line, or file and sys_id
    record: str  # sys_id or name when known, else ""
    message: str

    def __str__(self) -> str:
        who = f" (record {self.record})" if self.record else ""
        return f"{self.origin}{who}: {self.message}"


@dataclass
class SourceRecord:
    table: str
    sys_id: str
    name: str
    scope: str
    script: str
    api_name: str | None = None
    access: str = "public"
    client_callable: bool = False
    active: bool = True
    description: str = ""
    sys_updated_on: str = ""
    origin: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_script_include(self) -> bool:
        return self.table == SCRIPT_INCLUDE_TABLE

    @property
    def content_hash(self) -> str:
        """Changes whenever anything that feeds JSDoc or documents changes."""
        payload = json.dumps(
            [self.name, self.api_name, self.scope, self.access, self.client_callable,
             self.active, self.description, self.script],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Application:
    """A scope and the application (or package) that owns it."""

    scope: str
    name: str
    sys_id: str = ""
    kind: str = "sys_scope"  # sys_scope, sys_app, sys_store_app, sys_package
    version: str = ""
    vendor: str = ""


@dataclass
class ReadResult:
    records: list[SourceRecord] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    files: int = 0


def as_bool(value: Any, default: bool) -> bool:
    """ServiceNow exports booleans as the strings "true"/"false" (or leave them out)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    return default


def synthetic_sys_id(*parts: str | None) -> str:
    """A stable 32-hex id for records that carry none (plain .js files, doc pages)."""
    return hashlib.md5("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()


def normalise(raw: dict[str, Any], origin: str) -> SourceRecord:
    """Turn one raw record (records-JSONL field names) into a :class:`SourceRecord`."""
    if not isinstance(raw, dict):
        raise RecordError("record is not a JSON object")
    table = raw.get("table")
    if not table or not isinstance(table, str):
        raise RecordError("record has no 'table'")
    script = raw.get("script")
    if not isinstance(script, str) or not script.strip():
        raise RecordError("record has no script text")
    extra = raw.get("extra") if isinstance(raw.get("extra"), dict) else {}
    name = str(raw.get("name") or extra.get("sys_name") or "").strip()
    if not name and table == SCRIPT_INCLUDE_TABLE:
        raise RecordError("Script Include has no name")
    name = name or str(raw.get("path") or raw.get("sys_id") or table).rsplit("/", 1)[-1]
    scope = str(raw.get("scope") or raw.get("sys_scope") or "global").strip() or "global"
    sys_id = str(raw.get("sys_id") or "").strip() or synthetic_sys_id(
        raw.get("repo"), raw.get("path"), table, name
    )
    api_name = raw.get("api_name") or None
    if table == SCRIPT_INCLUDE_TABLE and not api_name:
        api_name = f"{scope}.{name}"
    access = str(raw.get("access") or "public").strip() or "public"
    return SourceRecord(
        table=table,
        sys_id=sys_id,
        name=name,
        scope=scope,
        script=script.replace("\r\n", "\n"),
        api_name=api_name,
        access=access,
        client_callable=as_bool(raw.get("client_callable"), False),
        active=as_bool(raw.get("active", extra.get("active")), True),
        description=str(raw.get("description") or ""),
        sys_updated_on=str(raw.get("sys_updated_on") or extra.get("sys_updated_on") or ""),
        origin=origin,
        extra=extra,
    )


def applications_from_records(records: list[SourceRecord]) -> list[Application]:
    """Scopes seen in records when the source has no application table of its own."""
    seen: dict[str, Application] = {}
    for r in records:
        if r.scope in seen:
            continue
        app_name = r.extra.get("app_name") or ("Global" if r.scope == "global" else r.scope)
        seen[r.scope] = Application(
            scope=r.scope,
            name=str(app_name),
            sys_id=str(r.extra.get("app_sys_id") or r.extra.get("sys_scope_sys_id") or ""),
            kind="sys_scope" if r.scope == "global" else "sys_app",
        )
    return sorted(seen.values(), key=lambda a: a.scope)
