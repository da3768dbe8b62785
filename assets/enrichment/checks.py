"""Gates on JSDoc coverage and the knowledge graph."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check

from deepcodeseek.store.duckdb_store import fetch_dicts
from deepcodeseek_pipeline.assets.enrichment.assets import jsdoc_summaries, knowledge_graph
from deepcodeseek_pipeline.partitions import partition_of
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

MAX_UNPARSABLE_SHARE = 0.2


@asset_check(asset=jsdoc_summaries, blocking=True,
             description="Every Script Include has a summary, and few scripts are unparsable.")
def jsdoc_coverage(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    with home.store(partition_of(context)).connect(read_only=True) as con:
        total = con.execute("SELECT count(*) FROM script_includes").fetchone()[0]
        covered, errors = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'error') FROM jsdoc").fetchone()
    share = errors / total if total else 0.0
    return AssetCheckResult(
        passed=total > 0 and covered == total and share <= MAX_UNPARSABLE_SHARE,
        metadata={"coverage": covered / total if total else 0.0, "unparsable_share": share},
    )


@asset_check(asset=knowledge_graph, blocking=True, description="Every edge joins existing nodes.")
def kg_no_dangling_edges(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    with home.store(partition_of(context)).connect(read_only=True) as con:
        dangling = fetch_dicts(con, "kg/dangling_edges")
    return AssetCheckResult(passed=not dangling, metadata={"dangling_edges": len(dangling)})
