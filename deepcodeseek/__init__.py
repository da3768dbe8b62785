"""DeepCodeSeek: real-time API retrieval for ServiceNow code completion.

This package is the library that serves: sources, parsing, JSDoc, knowledge graph,
documents, indexing, retrieval and evaluation. It never imports Dagster, so the query
path (CLI, services) starts fast; the Dagster project under ``assets/`` and
``dagster_project/`` (installed as ``deepcodeseek_pipeline``) wraps it.
"""

__version__ = "0.1.0"

