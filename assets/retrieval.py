"""Stage 6b: publish the built version, the atomic switch readers see."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome, EmbedderResource
from deepcodeseek.index.release import release_index


@asset(partitions_def=servicenow_instances, group_name="index", deps=["vector_index", "bm25_index"],
       kinds={"lancedb"})
def published_index(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """Switch the instance's readers to the version just built, once both indexes are complete.

    When readers already use a version adapted from this one (same documents, tuned
    model), they stay on it: ``adapted_index`` decides what replaces it.
    """
    name = context.partition_key
    manifest = release_index(home.store(name), home.paths(name), embedder.model)
    return MaterializeResult(metadata={
        "version": manifest["version"],
        "documents": manifest["documents"],
        "model": manifest["model"],
        "dimension": manifest["dimension"],
        "kept_adapted_version": "adapted_from" in manifest,
        "pointer": MetadataValue.path(str(home.paths(name).current_pointer)),
    })
