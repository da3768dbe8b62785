"""The code location: assets, checks, job, schedule, sensor and per-environment resources."""

from dagster import Definitions

from assets.adaptation import adapted_embedder, adapted_index
from assets.bm25_index import bm25_index
from assets.datasets import benchmark_samples, training_triplets
from assets.documents import namespace_documents
from assets.evaluation import evaluation_report
from assets.jsdoc import jsdoc_summaries
from assets.knowledge_graph import knowledge_graph
from assets.platform import platform_apis
from assets.records import source_records
from assets.retrieval import published_index
from assets.vector_index import vector_index
from dagster_project.checks import all_checks
from dagster_project.environment import get_environment
from dagster_project.jobs import index_instance_job
from dagster_project.resources import resources_for
from dagster_project.schedules import reindex_schedule
from dagster_project.sensors import instance_registry_sensor

all_assets = [source_records, platform_apis, jsdoc_summaries, knowledge_graph, namespace_documents, vector_index,
              bm25_index, published_index, benchmark_samples, training_triplets, adapted_embedder, adapted_index,
              evaluation_report]

defs = Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[index_instance_job],
    schedules=[reindex_schedule],
    sensors=[instance_registry_sensor],
    resources=resources_for(get_environment()),
)
