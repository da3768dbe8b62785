"""Evaluation: benchmarks mined from the instance, and the report of every method against the baselines."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from deepcodeseek.evaluation.benchmark_build import build_benchmark
from deepcodeseek.evaluation.runner import evaluate_instance
from deepcodeseek.llm.cache import DuckDBLLMCache
from deepcodeseek_pipeline.assets.enrichment.resources import LLMResource
from deepcodeseek_pipeline.gpu import LLM_POOL, llm_op_tags
from deepcodeseek_pipeline.metadata import md_list, md_table
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

GROUP = "evaluation"


@asset(partitions_def=servicenow_instances, group_name="datasets", deps=["knowledge_graph"], kinds={"python"},
       pool=LLM_POOL, op_tags=llm_op_tags())
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
        "prefix_leaks_dropped": summary.prefix_leaks,
        "suffixes_cut": summary.suffix_cut,
        "grouped_scripts": summary.grouped_scripts,
        "held_out_scripts": summary.held_out_scripts,
        "namespaces": summary.namespaces,
        "clear_intent": summary.clear_intent,
        "judge": summary.judge,
        "llm/calls": summary.llm_calls,
        "llm/cost_usd": round(summary.llm_cost_usd, 6),
        "by_split": md_table([{"split": k, "samples": v} for k, v in summary.by_split.items()]),
        "by_kind": md_table([{"kind": k, "samples": v} for k, v in summary.by_kind.items()]),
        "file": MetadataValue.path(summary.path),
    })


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=["published_index", benchmark_samples],
       kinds={"python"})
def evaluation_report(context: AssetExecutionContext, home: DeepCodeSeekHome, llm: LLMResource) -> MaterializeResult:
    """Top-K accuracy @1/5/10/20/40, MRR@40 and latency for each method, against BM25 and the best single signal.

    The LLM query forms (intent, HyDE) are measured too when a key is set. Reused without
    re-running when neither the index version nor the benchmark changed.
    """
    name = context.partition_key
    store = home.store(name)
    client = llm.client(cache=DuckDBLLMCache(store))
    outcome = evaluate_instance(home.instance(name), store, home.root(), client, progress=context.log.info)
    if not outcome.samples:
        return MaterializeResult(metadata={"samples": 0, "note": outcome.note})
    return MaterializeResult(metadata={
        "benchmark": outcome.benchmark,
        "index_version": outcome.version,
        "reused": outcome.reused,
        "samples": outcome.samples,
        "skipped": len(outcome.skipped),
        "report": MetadataValue.md(outcome.markdown),
        "skipped_details": md_list(outcome.skipped),
        "report_file": MetadataValue.path(outcome.path),
        **outcome.metrics,
    })
