"""Enrichment: JSDoc per Script Include, the package/scope knowledge graph, namespace documents."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from deepcodeseek.documents import build_documents
from deepcodeseek.jsdoc.generate import generate_jsdoc
from deepcodeseek.kg.build import build_knowledge_graph
from deepcodeseek.llm.cache import DuckDBLLMCache
from deepcodeseek_pipeline.assets.enrichment.resources import LLMResource
from deepcodeseek_pipeline.gpu import LLM_POOL, llm_op_tags
from deepcodeseek_pipeline.metadata import md_list, md_table
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome


@asset(partitions_def=servicenow_instances, group_name="jsdoc", deps=["source_records"],
       kinds={"duckdb", "anthropic"}, pool=LLM_POOL, op_tags=llm_op_tags())
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


@asset(partitions_def=servicenow_instances, group_name="knowledge_graph", deps=[jsdoc_summaries, "platform_apis"],
       kinds={"duckdb", "networkx"})
def knowledge_graph(context: AssetExecutionContext, home: DeepCodeSeekHome) -> MaterializeResult:
    """Applications, scopes, Script Includes, methods, extends and usage edges, with centrality."""
    summary = build_knowledge_graph(home.store(context.partition_key))
    return MaterializeResult(metadata={
        "nodes": summary.nodes,
        "edges": summary.edges,
        "usage_sites": summary.usage_sites,
        "callers": summary.callers,
        "used_script_includes": summary.used_script_includes,
        "used_platform_classes": summary.used_platform_classes,
        "callers_parsed": summary.callers_parsed,
        "callers_reused": summary.callers_reused,
        "nodes_by_kind": md_table([{"kind": k, "nodes": n} for k, n in (summary.by_node_kind or {}).items()]),
        "edges_by_kind": md_table([{"kind": k, "edges": n} for k, n in (summary.by_edge_kind or {}).items()]),
        "most_central": md_table([{"script_include": n, "pagerank": round(r, 4)} for n, r in summary.top_central or []]),
        "seconds": round(summary.seconds, 3),
    })


@asset(partitions_def=servicenow_instances, group_name="documents", deps=[knowledge_graph], kinds={"duckdb"})
def namespace_documents(context: AssetExecutionContext, home: DeepCodeSeekHome) -> MaterializeResult:
    """One document per Script Include: JSDoc (indexed), raw code and usage forms (ablations)."""
    summary = build_documents(home.store(context.partition_key))
    return MaterializeResult(metadata={
        "namespaces": summary.namespaces,
        "documents": summary.documents,
        "by_variant": md_table([{"variant": v, "documents": n, "mean_chars": summary.mean_chars[v]}
                                for v, n in summary.by_variant.items()]),
    })
