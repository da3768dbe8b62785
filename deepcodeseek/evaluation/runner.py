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
from deepcodeseek.datasets.holdout import HoldOut
from deepcodeseek.evaluation.benchmark import Sample, read_benchmark
from deepcodeseek.evaluation.benchmark_build import EVALUATION_SPLIT, read_holdout_of, read_split, split_path
from deepcodeseek.evaluation.leaks import prefix_names_target, without_suffix_leak
from deepcodeseek.evaluation.report import evaluate, score_methods
from deepcodeseek.index.bm25 import BM25Index, ChunkedBM25Index
from deepcodeseek.index.build import embed_with_cache
from deepcodeseek.paths import InstancePaths, instance_paths
from deepcodeseek.retrieval.retriever import DEFAULT_METHOD, FUSION_WEIGHTS, METHODS, Retriever
from deepcodeseek.sources.registry import InstanceConfig
from deepcodeseek.sources.sample_instance import sample_benchmark_path
from deepcodeseek.store.duckdb_store import InstanceStore

EVAL_FORMAT = "7"


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
    default_method: str = DEFAULT_METHOD
    previous: dict[str, float] = field(default_factory=dict)  # metrics of the previous index version
    note: str = ""


def evaluate_instance(config: InstanceConfig, store: InstanceStore, home: str, llm=None,
                      progress: Callable[[str], None] | None = None) -> EvaluationOutcome:
    """Every method on the instance's benchmark, with the model loaded as the serving path loads it."""
    samples, skipped, name = _benchmark_for(config, store, home)
    samples, leaks, leak_skips = guard_leaks(samples)
    skipped = skipped + leak_skips
    paths = instance_paths(config.name, home)
    if not samples:
        return EvaluationOutcome(name, note="no benchmark samples for this instance")
    holdout = read_holdout_of(paths)
    retriever = Retriever(config.name, home, llm=llm)
    key = _key(retriever.version, samples, with_llm=llm is not None, weights=retriever.fusion_weights,
               holdout=holdout, manifest={k: v for k, v in retriever.manifest.items() if k != "published_at"})
    stored = _load(paths)
    if stored and stored.key == key:
        stored.reused = True
        return stored
    split = EVALUATION_SPLIT + " split" if not (config.benchmark or config.source == "sample") else "benchmark"
    report = evaluate(retriever, samples, skipped=skipped, plots_dir=paths.reports, progress=progress,
                      holdout=holdout, split=split, with_candidates=True)
    report.leaks = leaks
    report.form_ablation = document_form_ablation(retriever, store, samples, progress, holdout)
    report.adaptation, report.adaptation_note = adaptation_comparison(retriever, report, samples, holdout)
    report.no_usage, report.no_usage_note = no_usage_evaluation(retriever, samples)
    report.encoders, encoder_plots = encoder_comparison(retriever, samples, holdout, paths.reports)
    from deepcodeseek.rerankers.pipeline import reranker_table4

    report.rerankers = reranker_table4(retriever, samples, holdout, progress=progress)
    report.plots.update(encoder_plots)
    history = read_history(paths)
    previous = next((h["metrics"] for h in reversed(history) if h["version"] != retriever.version), {})
    markdown = report.markdown() + _comparison(report.metrics(), previous)
    outcome = EvaluationOutcome(
        benchmark=name, samples=report.n, skipped=report.skipped, markdown=markdown,
        metrics=report.metrics(), version=retriever.version, key=key, previous=previous,
        path=str(paths.reports / "evaluation.md"), default_method=retriever.default_method,
    )
    _save(paths, outcome, config.name, report.markdown(inline_images=False) + _comparison(report.metrics(), previous))
    return outcome


def guard_leaks(samples: list[Sample]) -> tuple[list[Sample], dict[str, int], list[str]]:
    """Any benchmark, mined or not: suffixes cut before they name the target, prefixes that name it skipped."""
    kept, skipped, cut = [], [], 0
    for sample in samples:
        if prefix_names_target(sample):
            skipped.append(f"sample {sample.id}: the code before the cursor names its target {sample.target_namespace}")
            continue
        sample, was_cut = without_suffix_leak(sample)
        cut += was_cut
        kept.append(sample)
    return kept, {"suffix_cut": cut, "prefix_named": len(skipped)}, skipped


TEACHER_OWN_RANKER = "teacher-own-ranker"  # the teacher with the ranker trained on its similarities


def encoder_comparison(retriever: Retriever, samples: list[Sample], holdout: HoldOut,
                       folder: Path) -> tuple[list[dict], dict[str, bytes]]:
    """The version's light query students against their teacher on the reported samples (CodeQuest's table),
    with the recall-against-cost plot and a 2-D projection of teacher and student queries."""
    students = (retriever.manifest.get("query_encoders") or {}).get("students") or {}
    if not students:
        return [], {}
    from deepcodeseek.encoders.base import load_encoder
    from deepcodeseek.encoders.compact import TeacherEncoder
    from deepcodeseek.encoders.measure import (TEACHER, choice_costs, measure_student, measure_students, query_texts,
                                               shares)
    from deepcodeseek.encoders.plots import projection_before_after, recall_against_cost
    from deepcodeseek.index.embedder import local_model_path
    from deepcodeseek.index.model_store import fetch_model

    encoders = {name: load_encoder(path) for name, rel in students.items()
                if (path := fetch_model(retriever.paths.home, rel)) is not None}
    teacher = TeacherEncoder(local_model_path(retriever.model_name, retriever.paths.home), None, "teacher")
    measured = measure_students(retriever, list(encoders.values()), samples, teacher, holdout=holdout,
                                default_method=retriever.default_method)
    reference = TEACHER
    from deepcodeseek.ranking.pairing import served_pair_teacher_ranker, teacher_ranking

    if served_pair_teacher_ranker(retriever.manifest):
        # The student serves with a ranker trained on its own similarities: the teacher's figure to keep is
        # the teacher's with the ranker trained on the teacher's, as the build's choice compared them.
        with teacher_ranking(retriever):
            own = measure_student(retriever, teacher, samples, default_method=retriever.default_method,
                                  holdout=holdout)
        own.name = reference = TEACHER_OWN_RANKER
        measured = choice_costs([*measured, own])
    folder.mkdir(parents=True, exist_ok=True)
    plots = {"query_encoders_recall_vs_cost": recall_against_cost(measured, folder / "query_encoders_recall_vs_cost.png",
                                                                  teacher=reference)}
    if "static" in encoders and "static-mlp" in encoders:
        texts = query_texts(samples)[:300]
        plots["query_encoders_projection"] = projection_before_after(
            teacher.embed_queries(texts), encoders["static"].embed_queries(texts),
            encoders["static-mlp"].embed_queries(texts), folder / "query_encoders_projection.png")
    chosen = retriever.query_encoder_name
    carried = ((retriever.manifest.get("query_encoders") or {}).get("carried_choice") or {}).get("from_version")
    serves = f"yes (chosen for version {carried}, carried over a warm start)" if carried else "yes"
    return [{**row, "serves": serves if row["student"] == chosen else ""}
            for row in shares(measured, teacher=reference)], plots


NO_USAGE_METHODS = ("fusion", "hybrid", "dense", "bm25")


def no_usage_evaluation(retriever: Retriever, samples: list[Sample]) -> tuple[list, str]:
    """The same samples against the instance as if it had no usage-bearing script at all (a brand-new app).

    Such an instance has no call site to vote, to count in a prior, to tune the embedder
    on or to mine calibration samples from: the base version, untuned weights, no usage.
    """
    base_version = retriever.manifest.get("adapted_from", {}).get("version") or retriever.version
    try:
        cold = Retriever(retriever.paths.instance, str(retriever.paths.home), version=base_version, use_usage=False)
    except FileNotFoundError as exc:
        return [], f"base version no longer on disk ({exc})"
    cold.fusion_weights = dict(FUSION_WEIGHTS)
    scores = evaluate(cold, samples, methods=NO_USAGE_METHODS).scores
    return scores, (f"base version {base_version}, untuned {cold.model_name}, no votes or usage prior, "
                    "uncalibrated weights: only documents and the graph can answer")


CHUNKED = "code (chunked)"
FORM_METHODS = ("bm25", "dense", "fusion")  # the signals a document form changes, and their fusion


def document_form_ablation(retriever: Retriever, store: InstanceStore, samples: list[Sample],
                           progress: Callable[[str], None] | None = None,
                           holdout: HoldOut | None = None) -> list[dict]:
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
    order = {s: i for i, s in enumerate(retriever.docs.column("sys_id"))}
    saved, rows = (retriever.bm25, retriever.vectors, retriever.vector_owners), []
    try:
        for form in forms:
            texts = [""] * len(retriever.docs)
            for d in load_documents(store, "code" if form == CHUNKED else form):
                if d["sys_id"] in order:
                    texts[order[d["sys_id"]]] = d["text"]
            _use_form(retriever, store, texts, chunked=form == CHUNKED)
            row = {"document form": form}
            for scores in score_methods(retriever, samples, FORM_METHODS, holdout):
                row[f"{scores.method} top@5"] = round(scores.top_k(5), 3)
                row[f"{scores.method} top@40"] = round(scores.top_k(40), 3)
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


def adaptation_comparison(retriever: Retriever, report, samples: list[Sample],
                          holdout: HoldOut | None = None) -> tuple[list[dict], str]:
    """The dense methods on the base version (untuned embedder) next to the adapted version, same samples."""
    adapted_from = retriever.manifest.get("adapted_from")
    if not adapted_from:
        return [], ""
    try:
        base = Retriever(retriever.paths.instance, str(retriever.paths.home), version=adapted_from["version"])
    except FileNotFoundError as exc:
        return [], f"base version no longer on disk ({exc})"
    methods = [m for m in ADAPTATION_METHODS if m in {s.method for s in report.scores}]
    untuned = {s.method: s for s in score_methods(base, samples, tuple(methods), holdout)}
    tuned = {s.method: s for s in report.scores}
    rows = []
    for method in methods:
        for label, scores in ((f"untuned {adapted_from['model']}", untuned[method]), ("tuned", tuned[method])):
            rows.append({"method": method, "embedder": label, "top@1": round(scores.top_k(1), 3),
                         "top@5": round(scores.top_k(5), 3), "top@40": round(scores.top_k(40), 3),
                         "mrr@40": round(scores.mrr(), 3)})
    calibration = retriever.manifest.get("calibration", {})
    return rows, (f"{retriever.model_name} against the base version {adapted_from['version']}; fusion weights "
                  f"{retriever.fusion_weights} chosen on {calibration.get('samples', 0)} calibration samples "
                  f"(best calibration top@5 by dense weight: {calibration.get('top5_by_dense', 'not calibrated')})")


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


def _key(version: str, samples: list[Sample], with_llm: bool, weights: dict[str, float], holdout: HoldOut,
         manifest: dict | None = None) -> str:
    h = hashlib.sha256(f"{EVAL_FORMAT}|{version}|{METHODS}|{with_llm}|{sorted(weights.items())}".encode())
    h.update(json.dumps(manifest or {}, sort_keys=True, default=str).encode())  # ranker, default method
    h.update(json.dumps(holdout.as_json(), sort_keys=True).encode())
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
