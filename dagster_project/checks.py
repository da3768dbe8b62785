"""Asset checks: quality gates between pipeline stages."""


import json

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from dagster_project.resources import DeepCodeSeekHome
from deepcodeseek.documents import load_documents
from deepcodeseek.evaluation.runner import read_evaluation, read_metrics
from deepcodeseek.retrieval.retriever import DEFAULT_METHOD
from deepcodeseek.index.embedder import MODELS_DIR
from deepcodeseek.index.publish import current_manifest, open_vector_table
from deepcodeseek.training.adapt import read_adapted_model
from deepcodeseek.training.contrastive import TRAINING_FILE
from deepcodeseek.store.duckdb_store import fetch_dicts

MAX_UNPARSABLE_SHARE = 0.2
REGRESSION_TOLERANCE = 0.02


def _partition(context: AssetCheckExecutionContext) -> str:
    return context.run.tags.get("dagster/partition") or context.op_execution_context.partition_key


@asset_check(asset="source_records", blocking=True, description="A sys_id names one record.")
def no_duplicate_sys_ids(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    with home.store(_partition(context)).connect(read_only=True) as con:
        dupes = fetch_dicts(con, "records/duplicate_sys_ids")
        n = con.execute("SELECT count(*) FROM script_includes").fetchone()[0]
    return AssetCheckResult(passed=not dupes and n > 0, metadata={"duplicates": len(dupes), "script_includes": n})


@asset_check(asset="jsdoc_summaries", blocking=True,
             description="Every Script Include has a summary, and few scripts are unparsable.")
def jsdoc_coverage(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    with home.store(_partition(context)).connect(read_only=True) as con:
        total = con.execute("SELECT count(*) FROM script_includes").fetchone()[0]
        covered, errors = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'error') FROM jsdoc").fetchone()
    share = errors / total if total else 0.0
    return AssetCheckResult(
        passed=total > 0 and covered == total and share <= MAX_UNPARSABLE_SHARE,
        metadata={"coverage": covered / total if total else 0.0, "unparsable_share": share},
    )


@asset_check(asset="knowledge_graph", blocking=True, description="Every edge joins existing nodes.")
def kg_no_dangling_edges(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    with home.store(_partition(context)).connect(read_only=True) as con:
        dangling = fetch_dicts(con, "kg/dangling_edges")
    return AssetCheckResult(passed=not dangling, metadata={"dangling_edges": len(dangling)})


def _live_rows_match_documents(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    name = _partition(context)
    paths = home.paths(name)
    docs = load_documents(home.store(name))
    manifest = current_manifest(paths)
    rows = open_vector_table(paths, manifest["version"]).count_rows()
    return AssetCheckResult(passed=rows == len(docs) and rows > 0,
                            metadata={"rows": rows, "documents": len(docs), "version": manifest["version"],
                                      "model": manifest["model"]})


@asset_check(asset="published_index", blocking=True,
             description="The published version has one row per active namespace document.")
def index_rows_match_documents(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    return _live_rows_match_documents(context, home)


@asset_check(asset="adapted_index", blocking=True,
             description="The version readers use after adaptation has one row per namespace document.")
def adapted_rows_match_documents(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    return _live_rows_match_documents(context, home)


@asset_check(asset="adapted_embedder", description="Fine-tuning lowered the contrastive loss.")
def adaptation_loss_fell(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    tuned = read_adapted_model(home.paths(_partition(context)))
    if tuned is None:
        return AssetCheckResult(passed=True, metadata={"note": "no tuned model for this instance"})
    training = json.loads((home.paths(_partition(context)).home / MODELS_DIR / tuned / TRAINING_FILE)
                          .read_text(encoding="utf-8"))
    return AssetCheckResult(passed=training["last_loss"] < training["first_loss"], severity=AssetCheckSeverity.WARN,
                            metadata={"first_loss": training["first_loss"], "last_loss": training["last_loss"],
                                      "examples": training["examples"], "model": tuned})


@asset_check(asset="evaluation_report", description="The default method is not worse than BM25 at top-5.")
def default_not_worse_than_bm25(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    metrics = read_metrics(home.paths(_partition(context)))
    default, base = metrics.get(f"{DEFAULT_METHOD}/top@5"), metrics.get("bm25/top@5")
    if default is None or base is None:
        return AssetCheckResult(passed=True, metadata={"note": "no benchmark for this instance"})
    return AssetCheckResult(passed=default >= base, severity=AssetCheckSeverity.WARN,
                            metadata={f"{DEFAULT_METHOD}_top5": default, "bm25_top5": base})


@asset_check(asset="evaluation_report",
             description="The default method's top-5 did not drop against the previous index version.")
def no_regression_against_previous_version(context: AssetCheckExecutionContext,
                                           home: DeepCodeSeekHome) -> AssetCheckResult:
    outcome = read_evaluation(home.paths(_partition(context)))
    metric = f"{DEFAULT_METHOD}/top@5"
    if outcome is None or metric not in outcome.previous or metric not in outcome.metrics:
        return AssetCheckResult(passed=True, metadata={"note": "no previous version to compare with"})
    drop = outcome.previous[metric] - outcome.metrics[metric]
    return AssetCheckResult(passed=drop <= REGRESSION_TOLERANCE, severity=AssetCheckSeverity.WARN,
                            metadata={"top5": outcome.metrics[metric], "previous_top5": outcome.previous[metric],
                                      "tolerance": REGRESSION_TOLERANCE})


all_checks = [no_duplicate_sys_ids, jsdoc_coverage, kg_no_dangling_edges, index_rows_match_documents,
              adaptation_loss_fell, adapted_rows_match_documents, default_not_worse_than_bm25,
              no_regression_against_previous_version]
