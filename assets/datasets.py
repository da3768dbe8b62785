"""Benchmarks mined from the instance, and training triplets from their train split."""
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dagster_project.gpu import GPU_K8S_TAGS, GPU_POOL
from dagster_project.metadata import md_table
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome, EmbedderResource, LLMResource
from deepcodeseek.evaluation.benchmark_build import build_benchmark, build_training_triplets
from deepcodeseek.index.build import current_version
from deepcodeseek.llm.cache import DuckDBLLMCache


@asset(partitions_def=servicenow_instances, group_name="datasets", deps=["knowledge_graph"], kinds={"python"})
def benchmark_samples(context: AssetExecutionContext, home: DeepCodeSeekHome, llm: LLMResource) -> MaterializeResult:
    """Completion samples from the instance's call sites: leak-free, de-duplicated, split by source script.

    The clear-intent judge is the LLM when a key is set (cached, costed), else a heuristic.
    """
    name = context.partition_key
    store = home.store(name)
    summary = build_benchmark(store, home.paths(name), llm=llm.client(cache=DuckDBLLMCache(store)))
    return MaterializeResult(metadata={
        "mined": summary.mined,
        "duplicates_removed": summary.duplicates_removed,
        "namespaces": summary.namespaces,
        "clear_intent": summary.clear_intent,
        "judge": summary.judge,
        "llm/calls": summary.llm_calls,
        "llm/cost_usd": round(summary.llm_cost_usd, 6),
        "by_split": md_table([{"split": k, "samples": v} for k, v in summary.by_split.items()]),
        "by_kind": md_table([{"kind": k, "samples": v} for k, v in summary.by_kind.items()]),
        "file": MetadataValue.path(summary.path),
    })


@asset(partitions_def=servicenow_instances, group_name="datasets", deps=["benchmark_samples", "published_index"],
       kinds={"parquet", "pytorch"}, pool=GPU_POOL, op_tags=GPU_K8S_TAGS)
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
