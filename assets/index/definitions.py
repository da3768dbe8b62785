"""The index domain: embeddings, BM25, the staged base version and the build's one publish."""

from dagster import Definitions

from deepcodeseek_pipeline.assets.index.assets import base_index, bm25_index, published_index, vector_index
from deepcodeseek_pipeline.assets.index.checks import index_rows_match_documents, live_rows_match_documents

defs = Definitions(assets=[vector_index, bm25_index, base_index, published_index],
                   asset_checks=[index_rows_match_documents, live_rows_match_documents])
