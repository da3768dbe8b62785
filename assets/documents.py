"""Stage 4: namespace-grouped documents in three forms."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.metadata import md_table
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome
from deepcodeseek.documents import build_documents


@asset(partitions_def=servicenow_instances, group_name="documents", deps=["knowledge_graph"], kinds={"duckdb"})
def namespace_documents(context: AssetExecutionContext, home: DeepCodeSeekHome) -> MaterializeResult:
    """One document per Script Include: JSDoc (indexed), raw code and usage forms (ablations)."""
    summary = build_documents(home.store(context.partition_key))
    return MaterializeResult(metadata={
        "namespaces": summary.namespaces,
        "documents": summary.documents,
        "by_variant": md_table([{"variant": v, "documents": n, "mean_chars": summary.mean_chars[v]}
                                for v, n in summary.by_variant.items()]),
    })
