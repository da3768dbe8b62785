"""Reader for source-control application exports (a scoped app committed to git), as a folder or a .zip.

ServiceNow's source-control integration writes one XML file per application file
(``update/<table>_<sys_id>.xml``) holding a ``<record_update>`` document. Two layouts
occur in real repositories: the application folder ``<app sys_id>/`` below the root
(``sn_source_control.properties`` says ``path=<app sys_id>``), and older exports with
``update/`` and ``sys_app_<sys_id>.xml`` directly at the root (``path=`` empty). This
reader does not trust the properties file: any folder holding ``update/``,
``author_elective_update/`` or a ``sys_app_<sys_id>.xml`` is treated as an application
root, so both layouts, several applications, and zips with or without one top folder
all read the same way.

Only records that carry script text become :class:`SourceRecord`s: an application is
mostly forms, ACL roles and dictionary entries, which the retriever has no use for.
Those are counted (``skipped_no_script``), not reported as errors, because errors are
reserved for input that is broken. ``action="DELETE"`` records are returned by sys_id
so an index can drop them.

:func:`record_from_update` turns one ``<record_update>`` element into a raw record; the
update-set reader (:mod:`deepcodeseek.sources.update_set`) reuses it for its payloads so
both sources agree on fields, scopes and script selection.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deepcodeseek.sources.records import (
    Application,
    ReadResult,
    RecordError,
    SourceError,
    SourceRecord,
    applications_from_records,
    normalise,
)
from deepcodeseek.sources.records_jsonl import SourceNotFound

# The fields that hold a record's JavaScript, in the order the corpus extractor uses
# (corpus/README.md), so export records and corpus records pick the same text.
# ``expression`` comes last: it is the corpus' seventh field and only matters for
# tables that have none of the others.
SCRIPT_FIELDS: tuple[str, ...] = (
    "script", "operation_script", "script_true", "client_script", "condition",
    "processing_script", "expression",
)
# Further script-bearing fields kept in ``extra`` when non-empty (a UI action's
# workspace client script, a UI policy's false branch, a widget's link function).
OTHER_SCRIPT_FIELDS: tuple[str, ...] = ("script_false", "client_script_v2", "link")
# Plain fields that say where and when a script runs; copied into ``extra``.
EXTRA_FIELDS: tuple[str, ...] = (
    "collection", "when", "order", "table", "action_name", "http_method", "relative_path",
    "type", "field", "ui_type", "sys_class_name", "sys_name", "sys_update_name",
    "web_service_definition", "operation_uri",
)
RECORD_FOLDERS: tuple[str, ...] = ("update", "author_elective_update")

_SYS_ID = re.compile(r"[0-9a-fA-F]{32}")
_APP_FILE = re.compile(r"sys_app_([0-9a-fA-F]{32})\.xml")
_FILE_SYS_ID = re.compile(r"_([0-9a-fA-F]{32})\.xml$")
_ENCODING_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


@dataclass
class ExportReadResult(ReadResult):
    """A :class:`ReadResult` plus what an export says beyond live records.

    ``deleted_sys_ids`` lets an incremental index remove records the export deletes;
    ``skipped_no_script`` makes the silent skipping of script-less records visible.
    """

    deleted_sys_ids: list[str] = field(default_factory=list)
    skipped_no_script: int = 0


@dataclass(frozen=True)
class DeletedRecord:
    """A ``<record_update>`` whose record has ``action="DELETE"``: a sys_id to forget."""

    table: str
    sys_id: str
    sys_updated_on: str = ""


# ---------------------------------------------------------------------------
# One <record_update> document -> raw record (shared with update sets)


def _text(elem: ET.Element | None) -> str:
    return (elem.text or "") if elem is not None else ""


def _script_text(elem: ET.Element | None) -> str:
    """The JavaScript in a field, or "" when the field is empty or is not code.

    A ``condition`` with a ``table`` attribute or ``<item>`` children is an encoded
    query (ACLs, flow triggers, modules), not JavaScript, so it must not be taken as
    the script; business-rule and UI-action conditions are plain text and stay.
    """
    if elem is None or len(elem) or elem.get("table") is not None:
        return ""
    text = elem.text or ""
    return text if text.strip() else ""


def main_element(root: ET.Element) -> tuple[str, ET.Element]:
    """The record inside a ``<record_update>`` and its table.

    The wrapper names the table in its ``table`` attribute, but many files (dictionary,
    documentation, form sections) leave it out; the record is then the first child.
    Siblings such as ``sys_translated_text`` or ``sys_update_version`` are side data.
    """
    if root.tag != "record_update":
        raise RecordError(f"root element is <{root.tag}>, not <record_update>")
    table = (root.get("table") or "").strip()
    if table:
        # Compare tags rather than root.find(table): the attribute is data, not an ElementPath.
        for child in root:
            if child.tag == table:
                return table, child
        raise RecordError(f"<record_update table={table!r}> holds no <{table}> element")
    for child in root:
        return child.tag, child
    raise RecordError("<record_update> holds no record")


def resolve_scope(
    fields: Mapping[str, ET.Element],
    apps: Mapping[str, Application],
    default_scope: str = "",
) -> tuple[str, Application | None]:
    """The scope name of a record, and its application when it is one we know.

    ``sys_scope`` holds a sys_id with the application's *name* as ``display_value``,
    so the scope name comes from the application record when the sys_id is one of the
    export's apps; else ``global``; else the ``source`` attribute of a matching
    ``sys_package`` (which is the scope name); else the display value; and only for
    records without ``sys_scope`` the caller's default (the app folder the file is in).
    """
    scope_elem = fields.get("sys_scope")
    sid = _text(scope_elem).strip()
    if sid and sid in apps:
        return apps[sid].scope, apps[sid]
    if sid == "global":
        return "global", None
    package = fields.get("sys_package")
    source = (package.get("source") or "").strip() if package is not None else ""
    if source and (not sid or _text(package).strip() == sid):
        return source, None
    display = (scope_elem.get("display_value") or "").strip() if scope_elem is not None else ""
    if sid and display:
        return display, None
    return (default_scope or display or "global"), None


def _deleted_sys_id(root: ET.Element, elem: ET.Element, fields: Mapping[str, ET.Element]) -> str:
    """The sys_id a DELETE removes.

    Form-layout records (``sys_ui_section`` and friends) carry no ``<sys_id>`` child: the
    id is an attribute (``section_id``) and the ``sys_metadata_delete`` sibling names it
    in ``<sys_metadata>``, so those are tried before giving up.
    """
    sys_id = _text(fields.get("sys_id")).strip()
    if sys_id:
        return sys_id
    for attr in ("sys_id", "section_id"):
        if _SYS_ID.fullmatch(elem.get(attr) or ""):
            return elem.get(attr) or ""
    marker = root.find("sys_metadata_delete/sys_metadata")
    return _text(marker).strip()


def record_from_update(
    root: ET.Element,
    apps: Mapping[str, Application] | None = None,
    default_scope: str = "",
    fallback_sys_id: str = "",
) -> dict[str, Any] | DeletedRecord | None:
    """Turn a ``<record_update>`` element into a records-JSONL style dict for :func:`normalise`.

    Returns a :class:`DeletedRecord` for ``action="DELETE"``, ``None`` for a record with
    no script text (the caller counts it), and raises :class:`RecordError` when the
    document lacks what a record needs (no record element, no sys_id).
    ``apps`` maps application sys_ids to applications, to turn ``sys_scope`` into a name.
    ``fallback_sys_id`` (from the file or update name) only serves deletes, whose
    payload may be a bare shell; a script record without its own sys_id is broken.
    """
    apps = apps or {}
    table, elem = main_element(root)
    fields: dict[str, ET.Element] = {}
    for child in elem:
        fields.setdefault(child.tag, child)  # first occurrence, as ServiceNow writes one
    action = (elem.get("action") or "INSERT_OR_UPDATE").strip()
    sys_id = _text(fields.get("sys_id")).strip()
    updated = _text(fields.get("sys_updated_on")).strip()

    if action.upper() == "DELETE":
        sys_id = _deleted_sys_id(root, elem, fields) or fallback_sys_id
        if not sys_id:
            raise RecordError(f"DELETE of {table} has no sys_id")
        return DeletedRecord(table=table, sys_id=sys_id, sys_updated_on=updated)

    script_field, script = "", ""
    for name in SCRIPT_FIELDS:
        text = _script_text(fields.get(name))
        if text:
            script_field, script = name, text
            break
    if not script:
        return None
    if not sys_id:
        raise RecordError(f"{table} record has no sys_id")

    scope, app = resolve_scope(fields, apps, default_scope)
    extra: dict[str, Any] = {"format": "xml_update", "script_field": script_field, "action": action}
    for name in EXTRA_FIELDS:
        value = _text(fields.get(name)).strip()
        if value and not len(fields[name]):
            extra[name] = value
    for name in (*SCRIPT_FIELDS, *OTHER_SCRIPT_FIELDS):
        if name != script_field:
            text = _script_text(fields.get(name))
            if text:
                extra[name] = text
    scope_sid = _text(fields.get("sys_scope")).strip()
    if scope_sid:
        extra["sys_scope_sys_id"] = scope_sid
    package = _text(fields.get("sys_package")).strip()
    if package:
        extra["sys_package"] = package
    if app is not None:
        extra["app_name"] = app.name
        extra["app_sys_id"] = app.sys_id

    name = _text(fields.get("name")).strip() or _text(fields.get("sys_name")).strip()
    return {
        "table": table,
        "sys_id": sys_id,
        "name": name,
        "api_name": _text(fields.get("api_name")).strip() or None,
        "scope": scope,
        "access": _text(fields.get("access")).strip() or None,
        "client_callable": _text(fields.get("client_callable")).strip() or None,
        "active": _text(fields.get("active")).strip() or None,
        "description": _text(fields.get("description")),
        "script": script,
        "sys_updated_on": updated,
        "extra": extra,
    }


def parse_xml(data: bytes) -> ET.Element:
    """Parse XML bytes; a :class:`RecordError` says why when they are not well-formed.

    Undecodable bytes are named as such (expat would only say "invalid token"), since
    that points at an encoding problem rather than a broken document.
    """
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        match = _ENCODING_DECL.match(data)
        encoding = match.group(1).decode("ascii") if match else "utf-8"
        try:
            data.decode(encoding)
        except UnicodeDecodeError as dec:
            raise RecordError(f"undecodable bytes ({encoding}) at byte {dec.start}") from exc
        except LookupError:
            pass
        raise RecordError(f"not well-formed XML ({exc})") from exc


def application_from_update(root: ET.Element) -> Application:
    """The :class:`Application` described by a ``sys_app_<sys_id>.xml`` document."""
    table, elem = main_element(root)
    scope = _text(elem.find("scope")).strip()
    sys_id = _text(elem.find("sys_id")).strip()
    if not scope:
        raise RecordError(f"{table} record has no <scope>")
    return Application(
        scope=scope,
        name=_text(elem.find("name")).strip() or scope,
        sys_id=sys_id,
        kind=table if table in {"sys_app", "sys_store_app"} else "sys_app",
        version=_text(elem.find("version")).strip(),
        vendor=_text(elem.find("vendor")).strip(),
    )


# ---------------------------------------------------------------------------
# Latest wins: the same record can appear more than once (update/ and
# author_elective_update/, or several rows of an update set).


Candidate = SourceRecord | DeletedRecord


def latest_wins(candidates: list[tuple[str, str, Candidate]]) -> list[Candidate]:
    """Keep one entry per key: the greatest ``sys_updated_on``, later input on ties.

    ``candidates`` are ``(key, sys_updated_on, item)`` in input order. Timestamps are
    ServiceNow's ``YYYY-MM-DD HH:MM:SS`` strings, which sort as text. The result keeps
    the first-seen order of the keys so output is stable.
    """
    best: dict[str, tuple[str, int, Candidate]] = {}
    for index, (key, updated, item) in enumerate(candidates):
        kept = best.get(key)
        if kept is None or (updated, index) >= (kept[0], kept[1]):
            best[key] = (updated, index, item)
    first_seen: dict[str, int] = {}
    for index, (key, _, _) in enumerate(candidates):
        first_seen.setdefault(key, index)
    return [best[key][2] for key in sorted(best, key=first_seen.__getitem__)]


def collect(result: ExportReadResult, candidates: list[tuple[str, str, Candidate]]) -> None:
    """Put the winners of :func:`latest_wins` into ``result`` (records or deleted sys_ids)."""
    deleted: dict[str, None] = {}
    for item in latest_wins(candidates):
        if isinstance(item, DeletedRecord):
            deleted.setdefault(item.sys_id, None)
        else:
            result.records.append(item)
    result.deleted_sys_ids.extend(deleted)


def finish_applications(result: ExportReadResult, apps: list[Application]) -> None:
    """The source's own applications, plus a plain scope entry for any other scope seen."""
    known = {a.scope for a in apps}
    others = [a for a in applications_from_records(result.records) if a.scope not in known]
    result.applications = [*apps, *others]


# ---------------------------------------------------------------------------
# The export tree: a folder or a zip, by paths relative to the export root


class _ExportTree:
    """The XML files of an export by relative POSIX path, read from a folder or a zip.

    Zips are read in memory (nothing is extracted). When every member sits under one
    top folder, that folder is dropped from the paths, so a zip of a folder gives the
    same origins as the folder itself; a top folder named like a sys_id is kept, since
    it is the application folder of the export layout, not packaging.
    """

    def __init__(self, path: Path):
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str | Path] = {}
        if path.is_dir():
            for file in sorted(path.rglob("*.xml")):
                if file.is_file():
                    self._members[file.relative_to(path).as_posix()] = file
        elif path.is_file():
            try:
                self._zip = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
            except zipfile.BadZipFile as exc:
                raise SourceNotFound(f"{path} is neither a folder nor a readable zip archive ({exc})") from exc
            names = [
                n for n in self._zip.namelist()
                if not n.endswith("/") and not n.startswith("__MACOSX/") and "/._" not in n
            ]
            tops = {n.replace("\\", "/").split("/", 1)[0] for n in names}
            strip = ""
            if len(tops) == 1 and all("/" in n.replace("\\", "/") for n in names):
                top = next(iter(tops))
                if not _SYS_ID.fullmatch(top):
                    strip = top + "/"
            for n in sorted(names):
                rel = n.replace("\\", "/")[len(strip):]
                if rel.lower().endswith(".xml"):
                    self._members[rel] = n
        else:
            raise SourceNotFound(f"export path {path} does not exist")

    @property
    def names(self) -> list[str]:
        return list(self._members)

    def read(self, name: str) -> bytes:
        member = self._members[name]
        if isinstance(member, Path):
            return member.read_bytes()
        assert self._zip is not None
        return self._zip.read(member)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _layout(names: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Split export paths into application files (by app root) and record files.

    Returns ``{app root: sys_app path}`` and ``[(app root, record path)]`` with the
    record files of each root ordered ``update/`` first, then ``author_elective_update/``.
    """
    app_files: dict[str, str] = {}
    records: list[tuple[str, int, str, str]] = []
    for name in names:
        parts = name.split("/")
        folder = parts[-2] if len(parts) >= 2 else ""
        if folder in RECORD_FOLDERS:
            root = "/".join(parts[:-2])
            records.append((root, RECORD_FOLDERS.index(folder), parts[-1], name))
        elif _APP_FILE.fullmatch(parts[-1]):
            app_files.setdefault("/".join(parts[:-1]), name)
    records.sort()
    return app_files, [(root, name) for root, _, _, name in records]


def read_source_control_export(path: str | Path) -> ExportReadResult:
    """Read a source-control export (folder or .zip) into records, applications and deletes.

    Every broken file becomes one :class:`SourceError` (origin: its path inside the
    export; record: the sys_id from its file name when it has one) and the rest is
    still read. Records and deletes of the same ``(table, sys_id)`` are reconciled by
    ``sys_updated_on``.
    """
    path = Path(path)
    tree = _ExportTree(path)
    try:
        app_files, record_files = _layout(tree.names)
        if not app_files and not record_files:
            raise SourceNotFound(
                f"{path} holds no source-control export (no update/ folder and no sys_app_<sys_id>.xml)"
            )
        result = ExportReadResult()
        apps_by_root: dict[str, Application] = {}
        for root, name in sorted(app_files.items()):
            try:
                apps_by_root[root] = application_from_update(parse_xml(tree.read(name)))
            except (RecordError, OSError, zipfile.BadZipFile) as exc:
                match = _APP_FILE.fullmatch(name.rsplit("/", 1)[-1])
                result.errors.append(SourceError(name, match.group(1) if match else "", str(exc)))
        apps_by_sys_id = {a.sys_id: a for a in apps_by_root.values() if a.sys_id}

        candidates: list[tuple[str, str, Candidate]] = []
        for root, name in record_files:
            result.files += 1
            match = _FILE_SYS_ID.search(name)
            file_sys_id = match.group(1) if match else ""
            app = apps_by_root.get(root)
            raw: dict[str, Any] | DeletedRecord | None = None
            try:
                raw = record_from_update(
                    parse_xml(tree.read(name)), apps_by_sys_id, app.scope if app else "", file_sys_id
                )
                if raw is None:
                    result.skipped_no_script += 1
                    continue
                item = raw if isinstance(raw, DeletedRecord) else normalise(raw, name)
            except (RecordError, OSError, zipfile.BadZipFile) as exc:
                who = file_sys_id or (str(raw.get("sys_id") or "") if isinstance(raw, dict) else "")
                result.errors.append(SourceError(name, who, str(exc)))
                continue
            candidates.append((f"{item.table}:{item.sys_id}", item.sys_updated_on, item))
        collect(result, candidates)
        finish_applications(result, list(apps_by_root.values()))
        return result
    finally:
        tree.close()
