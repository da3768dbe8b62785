"""Stage 6: the BM25 baseline over the same documents."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome, EmbedderResource
from deepcodeseek.index.build import build_bm25_index


@asset(partitions_def=servicenow_instances, group_name="index", deps=["namespace_documents"], kinds={"python"})
def bm25_index(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """Identifier-aware BM25 over documents and over usage contexts, inside the version they belong to."""
    name = context.partition_key
    built = build_bm25_index(home.store(name), home.paths(name), embedder.model)
    return MaterializeResult(metadata={"version": built["version"], "documents": built["documents"],
                                       "usage_contexts": built["usage_contexts"]})
