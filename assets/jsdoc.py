"""Stage 2: JSDoc summaries of every Script Include (LLM when a key is set, else static)."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.metadata import md_list
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome, LLMResource
from deepcodeseek.jsdoc.generate import generate_jsdoc
from deepcodeseek.llm.cache import DuckDBLLMCache


@asset(partitions_def=servicenow_instances, group_name="jsdoc", deps=["source_records"],
       kinds={"duckdb", "anthropic"})
def jsdoc_summaries(context: AssetExecutionContext, home: DeepCodeSeekHome, llm: LLMResource) -> MaterializeResult:
    """Structured JSDoc per Script Include and method, reused while the script is unchanged."""
    store = home.store(context.partition_key)
    client = llm.client(cache=DuckDBLLMCache(store))
    summary = generate_jsdoc(store, client, progress=context.log.info)
    return MaterializeResult(metadata={
        "backend": summary.backend,
        "script_includes": summary.total,
        "generated": summary.generated,
        "reused": summary.reused,
        "errors": len(summary.errors),
        "error_details": md_list(summary.errors),
        "llm/calls": summary.llm_calls,
        "llm/cache_hits": summary.llm_cached,
        "llm/input_tokens": summary.input_tokens,
        "llm/output_tokens": summary.output_tokens,
        "llm/cost_usd": round(summary.cost_usd, 6),
        "seconds": round(summary.seconds, 3),
    })
