"""Stage 7: evaluation report, every method against BM25 in the same run."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dagster_project.metadata import md_list
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome, EmbedderResource
from deepcodeseek.evaluation.runner import evaluate_instance


@asset(partitions_def=servicenow_instances, group_name="evaluation", deps=["published_index"],
       kinds={"python"})
def evaluation_report(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource) -> MaterializeResult:
    """Top-K accuracy @1/5/10/20/40, MRR@40 and latency for each method and BM25."""
    name = context.partition_key
    outcome = evaluate_instance(home.instance(name), home.store(name), home.root(), embedder.embedder())
    if outcome.report is None:
        return MaterializeResult(metadata={"samples": 0, "note": outcome.note})
    report = outcome.report
    return MaterializeResult(metadata={
        "benchmark": outcome.benchmark,
        "samples": report.samples,
        "skipped": len(report.skipped),
        "report": MetadataValue.md(report.markdown()),
        "skipped_details": md_list(report.skipped),
        "report_file": MetadataValue.path(str(outcome.path)),
        **report.metrics(),
    })
