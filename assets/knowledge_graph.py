"""Stage 3: the package/scope knowledge graph."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.metadata import md_table
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome
from deepcodeseek.kg.build import build_knowledge_graph


@asset(partitions_def=servicenow_instances, group_name="knowledge_graph", deps=["jsdoc_summaries", "platform_apis"],
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
