"""Stage 7: evaluation report, every method against BM25 in the same run."""
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dagster_project.metadata import md_list
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome, LLMResource
from deepcodeseek.evaluation.runner import evaluate_instance
from deepcodeseek.llm.cache import DuckDBLLMCache


@asset(partitions_def=servicenow_instances, group_name="evaluation", deps=["adapted_index", "benchmark_samples"],
       kinds={"python"})
def evaluation_report(context: AssetExecutionContext, home: DeepCodeSeekHome, llm: LLMResource) -> MaterializeResult:
    """Top-K accuracy @1/5/10/20/40, MRR@40 and latency for each method and BM25.

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
