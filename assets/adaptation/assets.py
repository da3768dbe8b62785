"""Adaptation: triplets from the train split, the embedder tuned on the instance's call sites, and the
version it embeds (all GPU-pinned, with a CPU path)."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from deepcodeseek.encoders.pipeline import stage_query_encoder
from deepcodeseek.evaluation.benchmark_build import build_training_triplets
from deepcodeseek.index.build import current_version
from deepcodeseek.training.adapt import (
    adapt_embedder,
    clear_adapted_model,
    read_adapted_model,
    stage_adapted_index,
)
from deepcodeseek_pipeline.assets.adaptation.resources import AdaptationResource, QueryEncoderResource
from deepcodeseek_pipeline.assets.index.resources import EmbedderResource
from deepcodeseek_pipeline.gpu import GPU_POOL, gpu_op_tags
from deepcodeseek_pipeline.metadata import calibration_metadata, md_table
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

GROUP = "adaptation"
TUNED_MODEL_KEY = "tuned_model"


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=["benchmark_samples", "base_index"],
       kinds={"parquet", "pytorch"}, pool=GPU_POOL, op_tags=gpu_op_tags())
def training_triplets(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """Query, positive document and dense hard negatives per train sample, plus yes/no pairs for rerankers."""
    name = context.partition_key
    base = embedder.embedder()
    version, _, _ = current_version(home.store(name), base.name)  # the base version, not an adapted one
    summary = build_training_triplets(home.paths(name), home.root(), base, version=version)
    return MaterializeResult(metadata={
        "triplets": summary.triplets,
        "yes_no_pairs": summary.pairs,
        "reused": summary.reused,
        "train_queries_without_target_document": summary.queries_without_target,
        "file": MetadataValue.path(summary.path),
    })


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=[training_triplets],
       kinds={"pytorch"}, pool=GPU_POOL, op_tags=gpu_op_tags())
def adapted_embedder(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource,
                     adaptation: AdaptationResource) -> MaterializeResult:
    """The embedder fine-tuned on the instance's own call sites (contrastive, in-batch and hard negatives).

    Scripts the held-out samples come from are held out. Content-addressed: an
    unchanged instance reuses the model it trained before.
    """
    name = context.partition_key
    if not adaptation.enabled:
        clear_adapted_model(home.paths(name))
        return MaterializeResult(metadata={TUNED_MODEL_KEY: "", "note": "adaptation disabled"})
    base = embedder.embedder()
    summary = adapt_embedder(home.store(name), home.paths(name), base, adaptation.config(base.device),
                             progress=context.log.info)
    if summary is None:
        return MaterializeResult(metadata={TUNED_MODEL_KEY: "", "note": "no call sites to learn from"})
    return MaterializeResult(metadata={TUNED_MODEL_KEY: summary.model, **summary.as_metadata(),
                                       "path": MetadataValue.path(summary.training.path)})


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=[adapted_embedder, "base_index"],
       kinds={"lancedb", "pytorch"}, pool=GPU_POOL, op_tags=gpu_op_tags())
def adapted_index(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """A version embedded with the tuned model, calibrated and staged; the publish step makes it live."""
    name = context.partition_key
    store, paths = home.store(name), home.paths(name)
    tuned = read_adapted_model(paths)
    if not tuned:
        return MaterializeResult(metadata={"version": "", "note": "no tuned model (disabled or nothing to learn)"})
    summary = stage_adapted_index(store, paths, tuned, embedder.model, embedder.device, progress=context.log.info)
    return MaterializeResult(metadata={
        "version": summary.version, "base_version": summary.base_version, "model": summary.model,
        "embedded": summary.embedded, "reused_embeddings": summary.reused, "seconds": summary.seconds,
        **calibration_metadata(summary.calibration),
    })


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=[adapted_index, "base_index"],
       kinds={"onnx", "pytorch"}, pool=GPU_POOL, op_tags=gpu_op_tags())
def query_encoders(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource,
                   query_encoders: QueryEncoderResource) -> MaterializeResult:
    """Light query students of the version this build publishes (compact, external, internal), each
    content-addressed with its teacher; the cheapest one that keeps 97% of the teacher's default-method
    top-5 on the calibration split serves its queries, the teacher otherwise.
    """
    name = context.partition_key
    paths = home.paths(name)
    choice = stage_query_encoder(home.store(name), paths, embedder.model, read_adapted_model(paths),
                                 query_encoders.device, query_encoders.enabled, query_encoders.full,
                                 progress=context.log.info)
    return MaterializeResult(metadata={
        "chosen": choice.chosen, "students": len(choice.students),
        "trained": "none" if choice.reused else ", ".join(choice.trained) or "none",
        "measured_before": choice.reused, "how": choice.how,
        "texts": choice.texts, "seconds": choice.seconds, "note": choice.note,
        "calibration": md_table(choice.calibration),
    })
