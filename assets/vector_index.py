"""Stage 5: embeddings into a new LanceDB table version (GPU-pinned)."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.gpu import GPU_K8S_TAGS, GPU_POOL
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome, EmbedderResource
from deepcodeseek.index.build import build_vector_index


@asset(partitions_def=servicenow_instances, group_name="index", deps=["namespace_documents"],
       kinds={"lancedb", "pytorch"}, pool=GPU_POOL, op_tags=GPU_K8S_TAGS)
def vector_index(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """Document embeddings (cached by text hash) written as a new, unpublished table version."""
    name = context.partition_key
    summary = build_vector_index(home.store(name), home.paths(name), embedder.embedder(), progress=context.log.info)
    return MaterializeResult(metadata={
        "version": summary.version,
        "rows": summary.rows,
        "embedded": summary.embedded,
        "reused_embeddings": summary.reused,
        "model": summary.model,
        "dimension": summary.dimension,
        "device": summary.device,
        "docs_per_second": round(summary.docs_per_second, 2),
        "seconds": round(summary.seconds, 3),
    })
