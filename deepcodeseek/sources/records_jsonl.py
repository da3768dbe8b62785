"""Reader for records JSONL (``*.jsonl`` / ``*.jsonl.gz``), the corpus interchange format.

A line that is not JSON or lacks what a record needs is reported by file and line
and skipped; the other lines are still read.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from deepcodeseek.errors import SourceNotFound
from deepcodeseek.sources.records import (
    ReadResult,
    RecordError,
    SourceError,
    SourceRecord,
    applications_from_records,
    normalise,
)


def records_files(path: Path) -> list[Path]:
    """The records files at ``path``: the file itself, every JSONL file below a folder, or
    the files a glob pattern matches (``corpus/[!j]*.jsonl.gz``: several repositories as one instance)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if any(ch in path.name for ch in "*?["):
        files = sorted(p for p in path.parent.glob(path.name) if p.is_file())
        if not files:
            raise SourceNotFound(f"no records files match {path}")
        return files
    if not path.is_dir():
        raise SourceNotFound(f"records path {path} does not exist")
    files = sorted(p for p in path.rglob("*") if p.name.endswith((".jsonl", ".jsonl.gz")))
    if not files:
        raise SourceNotFound(f"no *.jsonl or *.jsonl.gz files under {path}")
    return files


def _lines(file: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if file.name.endswith(".gz") else open
    with opener(file, "rt", encoding="utf-8", errors="strict") as fh:
        yield from enumerate(fh, start=1)


def read_records_jsonl(path: Path) -> ReadResult:
    result = ReadResult()
    for file in records_files(path):
        result.files += 1
        try:
            for lineno, line in _lines(file):
                if not line.strip():
                    continue
                origin = f"{file.name}:{lineno}"
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError as exc:
                    result.errors.append(SourceError(origin, "", f"not JSON ({exc.msg})"))
                    continue
                try:
                    result.records.append(normalise(raw, origin))
                except RecordError as exc:
                    who = raw.get("sys_id") or raw.get("name") or "" if isinstance(raw, dict) else ""
                    result.errors.append(SourceError(origin, str(who), str(exc)))
        except (OSError, UnicodeDecodeError, EOFError) as exc:
            result.errors.append(SourceError(file.name, "", f"unreadable file ({exc})"))
    result.applications = applications_from_records(result.records)
    return result


def record_to_json(record: SourceRecord) -> dict:
    """The records-JSONL form of a record (the fields the reader understands)."""
    return {
        "table": record.table, "sys_id": record.sys_id, "name": record.name, "api_name": record.api_name,
        "scope": record.scope, "sys_scope": record.scope, "access": record.access,
        "client_callable": "true" if record.client_callable else "false",
        "active": "true" if record.active else "false", "description": record.description,
        "sys_updated_on": record.sys_updated_on, "script": record.script, "extra": record.extra,
    }


def write_records_jsonl(records: list[SourceRecord], path: Path) -> int:
    """Write records as gzipped or plain JSONL (by the file name); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record_to_json(record), ensure_ascii=False) + "\n")
    return len(records)
