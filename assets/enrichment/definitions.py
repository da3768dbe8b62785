"""The enrichment domain: JSDoc, knowledge graph, documents, with their gates and the LLM."""

from dagster import Definitions

from deepcodeseek_pipeline.assets.enrichment.assets import jsdoc_summaries, knowledge_graph, namespace_documents
from deepcodeseek_pipeline.assets.enrichment.checks import jsdoc_coverage, kg_no_dangling_edges

defs = Definitions(assets=[jsdoc_summaries, knowledge_graph, namespace_documents],
                   asset_checks=[jsdoc_coverage, kg_no_dangling_edges])
