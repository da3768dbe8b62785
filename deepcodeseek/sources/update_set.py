"""Reader for update-set XML files (``<unload>`` as exported from "Retrieved Update Sets").

An update set travels as one ``sys_remote_update_set`` row (which application it
belongs to) and many ``sys_update_xml`` rows. Each row's ``<payload>`` is an escaped
``<record_update>`` document, the same shape as a file of a source-control export, so
it is parsed with :func:`deepcodeseek.sources.export_xml.record_from_update` and both
sources produce identical records.

One record can be captured several times in an update set (each save adds a row with
the same ``name``, e.g. ``sys_script_include_<sys_id>``); only the latest row by
``sys_updated_on`` counts, since that is what committing the set would leave behind.
A row that cannot be read is reported and skipped, so an earlier good row of the same
record can still stand.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from deepcodeseek.sources.export_xml import (
    Candidate,
    DeletedRecord,
    ExportReadResult,
    collect,
    finish_applications,
    parse_xml,
    record_from_update,
)
from deepcodeseek.sources.records import Application, RecordError, SourceError, normalise
from deepcodeseek.sources.records_jsonl import SourceNotFound

_NAME_SYS_ID = re.compile(r"_([0-9a-fA-F]{32})$")


def _field(row: ET.Element, name: str) -> str:
    elem = row.find(name)
    return (elem.text or "").strip() if elem is not None else ""


def _reference(row: ET.Element, name: str) -> tuple[str, str]:
    """A reference field as (sys_id, display value)."""
    elem = row.find(name)
    if elem is None:
        return "", ""
    return (elem.text or "").strip(), (elem.get("display_value") or "").strip()


def _application(row: ET.Element) -> Application | None:
    """The application a ``sys_remote_update_set`` row belongs to, when it names its scope.

    ``application`` holds the sys_id and the app's name; ``application_scope`` (present
    in exports from recent releases) is the scope name. Without a scope name the set's
    scope is only known from its records, so no Application is made here.
    """
    sys_id, display = _reference(row, "application")
    name = _field(row, "application_name") or display
    scope = _field(row, "application_scope") or ("global" if sys_id == "global" else "")
    if not scope:
        return None
    return Application(
        scope=scope, name=name or scope, sys_id=sys_id, kind="sys_scope" if scope == "global" else "sys_app",
        version=_field(row, "application_version"),
    )


def _row_scope(row: ET.Element, apps: dict[str, Application]) -> str:
    """The scope a ``sys_update_xml`` row names through its ``application`` reference.

    Used for payloads without their own ``sys_scope``; the display value (the app's
    name) is the last resort, as the corpus extractor does.
    """
    sys_id, display = _reference(row, "application")
    if sys_id in apps:
        return apps[sys_id].scope
    if sys_id == "global":
        return "global"
    return display


def read_update_set(path: str | Path) -> ExportReadResult:
    """Read one update-set XML file into records, applications and deleted sys_ids.

    A file that is not XML at all is one :class:`SourceError` for the whole file; a
    row whose payload is broken is one error (origin ``<file>:<update name>``) and the
    other rows are still read.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceNotFound(f"update set {path} does not exist or is not a file")
    result = ExportReadResult(files=1)
    try:
        root = parse_xml(path.read_bytes())
    except (RecordError, OSError) as exc:
        result.errors.append(SourceError(path.name, "", str(exc)))
        return result
    if root.tag != "unload":
        result.errors.append(SourceError(path.name, "", f"root element is <{root.tag}>, not <unload>"))
        return result

    own_apps = [a for a in (_application(r) for r in root.iter("sys_remote_update_set")) if a is not None]
    apps = {a.sys_id: a for a in own_apps if a.sys_id}

    candidates: list[tuple[str, str, Candidate]] = []
    for index, row in enumerate(root.iter("sys_update_xml"), start=1):
        update_name = _field(row, "name") or _field(row, "sys_id") or f"row {index}"
        origin = f"{path.name}:{update_name}"
        match = _NAME_SYS_ID.search(update_name)
        name_sys_id = match.group(1) if match else ""
        raw: dict[str, Any] | DeletedRecord | None = None
        try:
            payload = _field(row, "payload")
            if not payload:
                raise RecordError("sys_update_xml has no payload")
            raw = record_from_update(
                parse_xml(payload.encode("utf-8")), apps, _row_scope(row, apps), name_sys_id
            )
            if _field(row, "action").upper() == "DELETE" and not isinstance(raw, DeletedRecord):
                # The row says DELETE even where the payload still shows the last version.
                sys_id = (raw or {}).get("sys_id") or name_sys_id
                if not sys_id:
                    raise RecordError("DELETE row names no sys_id")
                raw = DeletedRecord(table=(raw or {}).get("table") or "", sys_id=sys_id)
            if raw is None:
                result.skipped_no_script += 1
                continue
            item = raw if isinstance(raw, DeletedRecord) else normalise(raw, origin)
        except RecordError as exc:
            who = name_sys_id or (str(raw.get("sys_id") or "") if isinstance(raw, dict) else "")
            result.errors.append(SourceError(origin, who, str(exc)))
            continue
        updated = _field(row, "sys_updated_on") or item.sys_updated_on
        candidates.append((update_name, updated, item))
    collect(result, candidates)
    finish_applications(result, own_apps)
    return result
