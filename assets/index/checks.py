"""Gates on index versions: a version readers may switch to has one row per document."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check

from deepcodeseek.documents import load_documents
from deepcodeseek.index.build import current_version
from deepcodeseek.index.publish import current_manifest, open_vector_table
from deepcodeseek_pipeline.assets.index.assets import base_index, published_index
from deepcodeseek_pipeline.assets.index.resources import EmbedderResource
from deepcodeseek_pipeline.partitions import partition_of
from deepcodeseek_pipeline.resources import DeepCodeSeekHome


def rows_match_documents(home: DeepCodeSeekHome, name: str, model: str | None = None) -> AssetCheckResult:
    """The version ``model`` makes of the current documents (the live one when None) has one row per document."""
    store, paths = home.store(name), home.paths(name)
    if model is None:
        live = current_manifest(paths)
        version, model = live["version"], live["model"]
        documents = len(load_documents(store))
    else:
        version, docs, _ = current_version(store, model)
        documents = len(docs)
    rows = open_vector_table(paths, version).count_rows()
    return AssetCheckResult(passed=rows == documents and rows > 0,
                            metadata={"rows": rows, "documents": documents, "version": version, "model": model})


@asset_check(asset=base_index, blocking=True,
             description="The base version has one row per namespace document before anything builds on it.")
def index_rows_match_documents(context: AssetCheckExecutionContext, home: DeepCodeSeekHome,
                               embedder: EmbedderResource) -> AssetCheckResult:
    return rows_match_documents(home, partition_of(context), embedder.model)


@asset_check(asset=published_index, blocking=True, description="The live version has one row per namespace document.")
def live_rows_match_documents(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    return rows_match_documents(home, partition_of(context))
