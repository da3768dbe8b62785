"""Completion benchmarks: read and validate JSONL samples.

Fields: ``id, code_before, code_middle, code_after, target_namespace, target_method,
scope, table, source``. A bad line is named and skipped, never silently scored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from deepcodeseek.errors import BenchmarkError

REQUIRED = ("id", "code_before", "target_namespace")


@dataclass(frozen=True)
class Sample:
    id: str
    code_before: str
    target_namespace: str
    code_middle: str = ""
    code_after: str = ""
    target_method: str | None = None
    scope: str | None = None
    table: str | None = None
    source: str = ""
    kind: str = "script_include"  # script_include | platform: which kind of API the target is
    clear_intent: bool | None = None  # judged: could a model infer the intent from code_before?


@dataclass
class Benchmark:
    samples: list[Sample] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read_benchmark(path: Path, known_namespaces: set[str] | None = None) -> Benchmark:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(f"cannot read benchmark {path}: {exc}") from exc
    bench = Benchmark()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            bench.skipped.append(f"{where}: not JSON ({exc.msg})")
            continue
        if not isinstance(raw, dict):
            bench.skipped.append(f"{where}: not a JSON object")
            continue
        missing = [f for f in REQUIRED if not raw.get(f)]
        if missing:
            bench.skipped.append(f"{where}: missing {', '.join(missing)}")
            continue
        target = str(raw["target_namespace"]).rsplit(".", 1)[-1]
        if known_namespaces is not None and target not in known_namespaces:
            bench.skipped.append(f"{where} (sample {raw['id']}): unknown namespace {raw['target_namespace']!r}")
            continue
        bench.samples.append(Sample(
            id=str(raw["id"]), code_before=raw["code_before"], target_namespace=target,
            code_middle=raw.get("code_middle") or "", code_after=raw.get("code_after") or "",
            target_method=raw.get("target_method"), scope=raw.get("scope"), table=raw.get("table"),
            source=raw.get("source") or "",
            kind=raw.get("kind") or "script_include",
            clear_intent=raw.get("clear_intent"),
        ))
    if not bench.samples and bench.skipped:
        raise BenchmarkError(f"benchmark {path} has no usable sample ({bench.skipped[0]})")
    return bench
