"""Evaluate an instance's published index on its benchmark, and keep the history.

An evaluation is keyed by the index version, the benchmark's content and the ranking
configuration; when none changed (a no-change reindex) the stored result is reused
instead of re-running every method. Each new result is appended to a history so a
regression against the previous index version can be flagged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deepcodeseek.documents import VARIANTS, load_documents
from deepcodeseek.evaluation.benchmark import Sample, read_benchmark
from deepcodeseek.evaluation.benchmark_build import EVALUATION_SPLIT, read_split, split_path
from deepcodeseek.evaluation.report import evaluate
from deepcodeseek.index.bm25 import BM25Index, ChunkedBM25Index
from deepcodeseek.index.build import embed_with_cache
from deepcodeseek.paths import InstancePaths, instance_paths
from deepcodeseek.retrieval.retriever import DEFAULT_METHOD, METHODS, Retriever
from deepcodeseek.sources.registry import InstanceConfig
from deepcodeseek.sources.sample_instance import sample_benchmark_path
from deepcodeseek.store.duckdb_store import InstanceStore

EVAL_FORMAT = "6"


@dataclass
class EvaluationOutcome:
    benchmark: str
    samples: int = 0
    skipped: list[str] = field(default_factory=list)
    markdown: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    version: str = ""
    key: str = ""
    reused: bool = False
    path: str = ""
    previous: dict[str, float] = field(default_factory=dict)  # metrics of the previous index version
    note: str = ""


def evaluate_instance(config: InstanceConfig, store: InstanceStore, home: str, llm=None,
                      progress: Callable[[str], None] | None = None) -> EvaluationOutcome:
    """Every method on the instance's benchmark, with the model loaded as the serving path loads it."""
    samples, skipped, name = _benchmark_for(config, store, home)
    paths = instance_paths(config.name, home)
    if not samples:
        return EvaluationOutcome(name, note="no benchmark samples for this instance")
    retriever = Retriever(config.name, home, llm=llm)
    key = _key(retriever.version, samples, with_llm=llm is not None, weights=retriever.fusion_weights)
    stored = _load(paths)
    if stored and stored.key == key:
        stored.reused = True
        return stored
    report = evaluate(retriever, samples, skipped=skipped, plots_dir=paths.reports, progress=progress)
    report.form_ablation = document_form_ablation(retriever, store, samples, progress)
    report.adaptation, report.adaptation_note = adaptation_comparison(retriever, report, samples)
    history = read_history(paths)
    previous = next((h["metrics"] for h in reversed(history) if h["version"] != retriever.version), {})
    markdown = report.markdown() + _comparison(report.metrics(), previous)
    outcome = EvaluationOutcome(
        benchmark=name, samples=report.n, skipped=report.skipped, markdown=markdown,
        metrics=report.metrics(), version=retriever.version, key=key, previous=previous,
        path=str(paths.reports / "evaluation.md"),
    )
    _save(paths, outcome, config.name, report.markdown(inline_images=False) + _comparison(report.metrics(), previous))
    return outcome


CHUNKED = "code (chunked)"
FORM_METHODS = ("bm25", "dense", DEFAULT_METHOD)


def document_form_ablation(retriever: Retriever, store: InstanceStore, samples: list[Sample],
                           progress: Callable[[str], None] | None = None) -> list[dict]:
    """BM25, dense and the default method with each document form in place of the JSDoc.

    Forms: JSDoc, raw code, raw code in 30-line chunks (a namespace scores as its best
    chunk) and JSDoc plus usage examples. Each form is embedded with the index's model
    (cached by text hash, so a later evaluation embeds nothing). The ``usage`` form embeds
    call sites from every script, the held-out ones included, so it is measured only on
    benchmarks that were not mined from this instance.
    """
    mined = any(s.source.startswith("mined:") for s in samples)
    forms = [v for v in VARIANTS if not (v == "usage" and mined)]
    forms.insert(forms.index("code") + 1, CHUNKED)
    order = {d["sys_id"]: i for i, d in enumerate(retriever.docs)}
    saved, rows = (retriever.bm25, retriever.vectors, retriever.vector_owners), []
    try:
        for form in forms:
            texts = [""] * len(retriever.docs)
            for d in load_documents(store, "code" if form == CHUNKED else form):
                if d["sys_id"] in order:
                    texts[order[d["sys_id"]]] = d["text"]
            _use_form(retriever, store, texts, chunked=form == CHUNKED)
            row = {"document form": form}
            for method in FORM_METHODS:
                scores = evaluate(retriever, samples, methods=(method,)).scores[0]
                row[f"{method} top@5"], row[f"{method} top@40"] = round(scores.top_k(5), 3), round(scores.top_k(40), 3)
            rows.append(row)
            if progress:
                progress(f"document form {form}: " + ", ".join(f"{k} {v}" for k, v in row.items() if "top@5" in k))
    finally:
        retriever.bm25, retriever.vectors, retriever.vector_owners = saved
    return rows


def _use_form(retriever: Retriever, store: InstanceStore, texts: list[str], chunked: bool) -> None:
    """Point the retriever's lexical and dense indexes at ``texts`` (one per document, or their chunks)."""
    if chunked:
        lexical = ChunkedBM25Index(texts)
        units, owners = lexical.chunks, lexical.owners
    else:
        lexical, units, owners = BM25Index.build(texts), texts, None
    documents = [{"text": t, "text_hash": hashlib.sha256(t.encode("utf-8")).hexdigest()} for t in units]
    retriever.bm25 = lexical
    retriever.vectors, _ = embed_with_cache(store, retriever.embedder, documents)
    retriever.vector_owners = owners


ADAPTATION_METHODS = ("dense", "hybrid", "fusion")  # the methods whose ranking the embedder changes


def adaptation_comparison(retriever: Retriever, report, samples: list[Sample]) -> tuple[list[dict], str]:
    """The dense methods on the base version (untuned embedder) next to the adapted version, same samples."""
    adapted_from = retriever.manifest.get("adapted_from")
    if not adapted_from:
        return [], ""
    try:
        base = Retriever(retriever.paths.instance, str(retriever.paths.home), version=adapted_from["version"])
    except FileNotFoundError as exc:
        return [], f"base version no longer on disk ({exc})"
    methods = [m for m in ADAPTATION_METHODS if m in {s.method for s in report.scores}]
    untuned = {s.method: s for s in evaluate(base, samples, methods=tuple(methods)).scores}
    tuned = {s.method: s for s in report.scores}
    rows = []
    for method in methods:
        for label, scores in ((f"untuned {adapted_from['model']}", untuned[method]), ("tuned", tuned[method])):
            rows.append({"method": method, "embedder": label, "top@1": round(scores.top_k(1), 3),
                         "top@5": round(scores.top_k(5), 3), "top@40": round(scores.top_k(40), 3),
                         "mrr@40": round(scores.mrr(), 3)})
    calibration = retriever.manifest.get("calibration", {})
    return rows, (f"{retriever.model_name} against the base version {adapted_from['version']}; dense weight in "
                  f"`fusion` {retriever.fusion_weights['dense']} (dev top@5 by weight: "
                  f"{calibration.get('top5_by_weight', 'not calibrated')})")


def _comparison(metrics: dict[str, float], previous: dict[str, float]) -> str:
    """A table of the change against the previous index version's evaluation."""
    keys = [k for k in metrics if k in previous and ("/top@" in k or "/mrr" in k)]
    if not keys:
        return "\n\nNo previous index version to compare with."
    rows = ["", "", "Against the previous index version", "", "| metric | previous | now | change |",
            "|---|---|---|---|"]
    rows += [f"| {k} | {previous[k]:.3f} | {metrics[k]:.3f} | {metrics[k] - previous[k]:+.3f} |" for k in keys]
    return "\n".join(rows)


def _benchmark_for(config: InstanceConfig, store: InstanceStore, home: str) -> tuple[list[Sample], list[str], str]:
    if config.benchmark or config.source == "sample":
        path = Path(config.benchmark) if config.benchmark else sample_benchmark_path()
        bench = read_benchmark(path, {d["namespace"] for d in load_documents(store)})
        return bench.samples, bench.skipped, str(path)
    paths = instance_paths(config.name, home)
    return (read_split(paths, EVALUATION_SPLIT, {d["namespace"] for d in load_documents(store)}), [],
            f"{EVALUATION_SPLIT} split mined from the instance's call sites ({split_path(paths, EVALUATION_SPLIT)})")


def _key(version: str, samples: list[Sample], with_llm: bool, weights: dict[str, float]) -> str:
    h = hashlib.sha256(f"{EVAL_FORMAT}|{version}|{METHODS}|{with_llm}|{sorted(weights.items())}".encode())
    for s in samples:
        h.update(json.dumps(asdict(s), sort_keys=True).encode())
    return h.hexdigest()


def _load(paths: InstancePaths) -> EvaluationOutcome | None:
    try:
        return EvaluationOutcome(**json.loads((paths.reports / "evaluation.json").read_text(encoding="utf-8")))
    except (FileNotFoundError, TypeError, json.JSONDecodeError):
        return None


def _save(paths: InstancePaths, outcome: EvaluationOutcome, instance: str, file_markdown: str) -> None:
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / "evaluation.md").write_text(
        f"# Evaluation of {instance} (index {outcome.version})\n\nBenchmark: {outcome.benchmark}\n\n"
        f"{file_markdown}\n", encoding="utf-8")
    (paths.reports / "evaluation.json").write_text(json.dumps(asdict(outcome), indent=2), encoding="utf-8")
    with (paths.reports / "history.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"version": outcome.version, "key": outcome.key, "metrics": outcome.metrics}) + "\n")


def read_history(paths: InstancePaths) -> list[dict]:
    try:
        lines = (paths.reports / "history.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def read_metrics(paths: InstancePaths) -> dict[str, float]:
    """The flat metrics of the instance's latest evaluation ({} when it had no benchmark)."""
    stored = _load(paths)
    return stored.metrics if stored else {}


def read_evaluation(paths: InstancePaths) -> EvaluationOutcome | None:
    return _load(paths)
