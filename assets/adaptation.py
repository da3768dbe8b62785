"""Stage 8: adapt the embedder to the instance and publish the index it embeds (GPU-pinned)."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dagster_project.gpu import GPU_K8S_TAGS, GPU_POOL
from dagster_project.metadata import md_table
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import AdaptationResource, DeepCodeSeekHome, EmbedderResource
from deepcodeseek.index.release import release_index
from deepcodeseek.training.adapt import adapt_embedder, publish_adapted_index, read_adapted_model

TUNED_MODEL_KEY = "tuned_model"


@asset(partitions_def=servicenow_instances, group_name="adaptation", deps=["training_triplets"],
       kinds={"pytorch"}, pool=GPU_POOL, op_tags=GPU_K8S_TAGS)
def adapted_embedder(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource,
                     adaptation: AdaptationResource) -> MaterializeResult:
    """The embedder fine-tuned on the instance's own call sites (contrastive, in-batch and hard negatives).

    Scripts the dev and test samples come from are held out. Content-addressed: an
    unchanged instance reuses the model it trained before.
    """
    name = context.partition_key
    if not adaptation.enabled:
        return MaterializeResult(metadata={TUNED_MODEL_KEY: "", "note": "adaptation disabled"})
    base = embedder.embedder()
    summary = adapt_embedder(home.store(name), home.paths(name), base, adaptation.config(base.device),
                             progress=context.log.info)
    if summary is None:
        return MaterializeResult(metadata={TUNED_MODEL_KEY: "", "note": "no call sites to learn from"})
    return MaterializeResult(metadata={TUNED_MODEL_KEY: summary.model, **summary.as_metadata(),
                                       "path": MetadataValue.path(summary.training.path)})


@asset(partitions_def=servicenow_instances, group_name="adaptation", deps=["adapted_embedder", "published_index"],
       kinds={"lancedb", "pytorch"}, pool=GPU_POOL, op_tags=GPU_K8S_TAGS)
def adapted_index(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource,
                  adaptation: AdaptationResource) -> MaterializeResult:
    """A version embedded with the tuned model, published in place of the base version it was adapted from."""
    name = context.partition_key
    store, paths = home.store(name), home.paths(name)
    tuned = read_adapted_model(paths) if adaptation.enabled else None
    if not tuned:
        manifest = release_index(store, paths, embedder.model, keep_adapted=False)
        return MaterializeResult(metadata={"version": manifest["version"], "model": manifest["model"],
                                           "note": "no tuned model (disabled or nothing to learn): base published"})
    summary = publish_adapted_index(store, paths, tuned, embedder.model, embedder.device, progress=context.log.info)
    return MaterializeResult(metadata={
        "version": summary.version, "base_version": summary.base_version, "model": summary.model,
        "embedded": summary.embedded, "reused_embeddings": summary.reused, "seconds": summary.seconds,
        "dense_weight": summary.calibration.dense_weight,
        "calibration": md_table([{"dense weight": w, "dev top@5": v}
                                 for w, v in summary.calibration.top5_by_weight.items()]),
        "pointer": MetadataValue.path(str(paths.current_pointer)),
    })

