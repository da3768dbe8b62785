"""The bundled sample instance: a manifest plus one ``.js`` file per record.

It ships with the package so the quickstart and the tests run from a fresh clone with
no data outside the project.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from deepcodeseek.sources.records import Application, ReadResult, RecordError, SourceError, normalise

SAMPLE_INSTANCE_NAME = "sample"


def sample_instance_dir() -> Path:
    return Path(str(resources.files("deepcodeseek") / "sample_instance"))


def sample_benchmark_path() -> Path:
    return sample_instance_dir() / "benchmark.jsonl"


def read_manifest_instance(root: Path) -> ReadResult:
    """Read a manifest-style instance folder (``manifest.json`` and script files)."""
    root = Path(root)
    manifest_path = root / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RecordError(f"cannot read instance manifest {manifest_path}: {exc}") from exc
    result = ReadResult(files=1)
    for app in manifest.get("applications", []):
        result.applications.append(
            Application(
                scope=app["scope"], name=app.get("name", app["scope"]), sys_id=app.get("sys_id", ""),
                kind=app.get("kind", "sys_app"), version=app.get("version", ""), vendor=app.get("vendor", ""),
            )
        )
    for i, entry in enumerate(manifest.get("records", [])):
        origin = f"manifest.json#records[{i}]"
        raw = dict(entry)
        script_file = raw.pop("script_file", None)
        try:
            if script_file:
                raw["script"] = (root / script_file).read_text(encoding="utf-8")
                origin = script_file
                result.files += 1
            result.records.append(normalise(raw, origin))
        except (OSError, UnicodeDecodeError) as exc:
            result.errors.append(SourceError(origin, str(raw.get("sys_id", "")), f"unreadable script file ({exc})"))
        except RecordError as exc:
            result.errors.append(SourceError(origin, str(raw.get("sys_id", "")), str(exc)))
    return result


def read_sample_instance() -> ReadResult:
    return read_manifest_instance(sample_instance_dir())
