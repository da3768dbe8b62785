"""Evaluate an instance's published index on its benchmark."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from deepcodeseek.documents import load_documents
from deepcodeseek.evaluation.benchmark import read_benchmark
from deepcodeseek.evaluation.mining import mine_call_site_samples
from deepcodeseek.evaluation.report import EvaluationReport, evaluate
from deepcodeseek.index.embedder import Embedder
from deepcodeseek.paths import InstancePaths, instance_paths
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.sources.registry import InstanceConfig
from deepcodeseek.sources.sample_instance import sample_benchmark_path
from deepcodeseek.store.duckdb_store import InstanceStore


@dataclass
class EvaluationOutcome:
    report: EvaluationReport | None
    benchmark: str
    path: Path | None
    note: str = ""


def evaluate_instance(config: InstanceConfig, store: InstanceStore, home: str, embedder: Embedder) -> EvaluationOutcome:
    known = {d["namespace"] for d in load_documents(store)}
    if config.benchmark or config.source == "sample":
        path = Path(config.benchmark) if config.benchmark else sample_benchmark_path()
        bench = read_benchmark(path, known)
        samples, skipped, name = bench.samples, bench.skipped, str(path)
    else:
        samples, skipped, name = mine_call_site_samples(store), [], "mined from the instance's call sites"
    if not samples:
        return EvaluationOutcome(None, name, None, note="no benchmark samples for this instance")
    retriever = Retriever(config.name, home, embedder=embedder)
    report = evaluate(retriever, samples, skipped=skipped)
    paths = instance_paths(config.name, home)
    paths.reports.mkdir(parents=True, exist_ok=True)
    out = paths.reports / "evaluation.md"
    out.write_text(f"# Evaluation of {config.name} (index {retriever.version})\n\nBenchmark: {name}\n\n"
                   f"{report.markdown()}\n", encoding="utf-8")
    (paths.reports / "evaluation.json").write_text(json.dumps(report.metrics(), indent=2), encoding="utf-8")
    return EvaluationOutcome(report, name, out)


def read_metrics(paths: InstancePaths) -> dict[str, float]:
    """The flat metrics of the instance's latest evaluation ({} when it had no benchmark)."""
    try:
        return json.loads((paths.reports / "evaluation.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
