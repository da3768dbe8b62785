"""Index: embeddings (GPU-pinned) and BM25 into a content-addressed version, staged, then published once."""

import json

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from deepcodeseek.index.build import build_bm25_index, build_vector_index
from deepcodeseek.index.publish import POINTER
from deepcodeseek.index.release import publish_build
from deepcodeseek.training.adapt import read_adapted_model
from deepcodeseek.training.calibration import stage_calibrated_index
from deepcodeseek_pipeline.assets.index.resources import EmbedderResource
from deepcodeseek_pipeline.gpu import GPU_POOL, gpu_op_tags
from deepcodeseek_pipeline.metadata import calibration_metadata
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

GROUP = "index"


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=["namespace_documents"],
       kinds={"lancedb", "pytorch"}, pool=GPU_POOL, op_tags=gpu_op_tags())
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


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=["namespace_documents"], kinds={"python"})
def bm25_index(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """Identifier-aware BM25 over documents and over usage contexts, inside the version they belong to."""
    name = context.partition_key
    built = build_bm25_index(home.store(name), home.paths(name), embedder.model)
    return MaterializeResult(metadata={"version": built["version"], "documents": built["documents"],
                                       "usage_contexts": built["usage_contexts"]})


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=[vector_index, bm25_index, "benchmark_samples"],
       kinds={"lancedb"})
def base_index(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """The base embedder's version, checked complete, its fusion calibrated on the calibration split, and staged:
    measurable by name, not yet live."""
    name = context.partition_key
    manifest, calibration = stage_calibrated_index(home.store(name), home.paths(name), embedder.model,
                                                   progress=context.log.info)
    return MaterializeResult(metadata={"version": manifest["version"], "documents": manifest["documents"],
                                       "model": manifest["model"], "dimension": manifest["dimension"],
                                       **calibration_metadata(calibration)})


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=[base_index, "adapted_index", "learned_ranker", "rerankers"],
       kinds={"lancedb"})
def published_index(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """The build's one switch of readers: to the adapted version when it was staged for these documents, else the base.

    Readers see the previous build's version until this step, never an intermediate one.
    """
    name = context.partition_key
    paths = home.paths(name)
    manifest = publish_build(home.store(name), paths, embedder.model, read_adapted_model(paths))
    return MaterializeResult(metadata={
        "version": manifest["version"],
        "chosen": manifest["chosen"],
        "default_method": manifest.get("default_method", "fusion"),
        "documents": manifest["documents"],
        "model": manifest["model"],
        "fusion_weights": json.dumps(manifest.get("fusion_weights", {}), sort_keys=True),
        "pointer": MetadataValue.path(paths.index.uri(POINTER)),
    })
