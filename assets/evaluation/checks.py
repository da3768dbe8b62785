"""Warnings on the evaluation: the default must beat BM25 and each of its own signals, and not regress."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from deepcodeseek.evaluation.runner import read_evaluation, read_metrics
from deepcodeseek.evaluation.report import single_signal_losses
from deepcodeseek_pipeline.assets.evaluation.assets import evaluation_report
from deepcodeseek_pipeline.metadata import md_table
from deepcodeseek_pipeline.partitions import partition_of
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

REGRESSION_TOLERANCE = 0.02


@asset_check(asset=evaluation_report, description="The default method is not worse than BM25 at top-5.")
def default_not_worse_than_bm25(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    metrics = read_metrics(home.paths(partition_of(context)))
    default, base = metrics.get("default/top@5"), metrics.get("bm25/top@5")
    if default is None or base is None:
        return AssetCheckResult(passed=True, metadata={"note": "no benchmark for this instance"})
    return AssetCheckResult(passed=default >= base, severity=AssetCheckSeverity.WARN,
                            metadata={"default_top5": default, "bm25_top5": base})


@asset_check(asset=evaluation_report,
             description="The default method is not worse than any of its own single signals (bm25, votes, dense alone) "
                         "at top@1, top@5, top@40 and MRR@40, on all samples and on the cold-start subset.")
def default_not_worse_than_single_signals(context: AssetCheckExecutionContext,
                                          home: DeepCodeSeekHome) -> AssetCheckResult:
    metrics = read_metrics(home.paths(partition_of(context)))
    if "default/top@5" not in metrics:
        return AssetCheckResult(passed=True, metadata={"note": "no benchmark for this instance"})
    losses = single_signal_losses(metrics)
    return AssetCheckResult(passed=not losses, severity=AssetCheckSeverity.WARN,
                            metadata={"losses": md_table([{"metric": k, "default vs best single": v}
                                                          for k, v in losses.items()]), "lost_metrics": len(losses)})


@asset_check(asset=evaluation_report,
             description="The default method's top-5 did not drop against the previous index version.")
def no_regression_against_previous_version(context: AssetCheckExecutionContext,
                                           home: DeepCodeSeekHome) -> AssetCheckResult:
    outcome = read_evaluation(home.paths(partition_of(context)))
    metric = "default/top@5"
    if outcome is None or metric not in outcome.previous or metric not in outcome.metrics:
        return AssetCheckResult(passed=True, metadata={"note": "no previous version to compare with"})
    drop = outcome.previous[metric] - outcome.metrics[metric]
    return AssetCheckResult(passed=drop <= REGRESSION_TOLERANCE, severity=AssetCheckSeverity.WARN,
                            metadata={"top5": outcome.metrics[metric], "previous_top5": outcome.previous[metric],
                                      "tolerance": REGRESSION_TOLERANCE})
