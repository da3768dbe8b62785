"""Ranking: the instance's learned ranker over candidates from every signal, A/B-tested on calibration."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from deepcodeseek.evaluation.plots import feature_importance, markdown_image, training_curves
from deepcodeseek.ranking.training import stage_ranked_version
from deepcodeseek.training.adapt import read_adapted_model
from deepcodeseek_pipeline.assets.index.resources import EmbedderResource
from deepcodeseek_pipeline.assets.ranking.resources import RankingResource
from deepcodeseek_pipeline.metadata import md_table
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

GROUP = "ranking"


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=["adapted_index", "base_index"],
       kinds={"lightgbm", "python"})
def learned_ranker(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource,
                   ranking: RankingResource) -> MaterializeResult:
    """LambdaRank over (query, candidate) features, trained on the instance's own call sites (held-out
    scripts excluded), for the version this build publishes; it becomes the default method only when it
    beats the fusion on the calibration split. Content-addressed: a no-change reindex trains nothing.
    """
    name = context.partition_key
    paths = home.paths(name)
    outcome = stage_ranked_version(home.store(name), paths, embedder.model, read_adapted_model(paths),
                                   ranking.config(), ranking.enabled, progress=context.log.info)
    metadata = {"default_method": outcome.default_method, "note": outcome.note,
                "calibration": md_table([{"method": m, **f} for m, f in outcome.calibration.items()])}
    if outcome.ranker is not None:
        summary = outcome.ranker.summary
        metadata.update({
            "training_queries": summary.queries, "validation_queries": summary.validation_queries,
            "rows": summary.rows, "best_iteration": summary.best_iteration, "seconds": summary.seconds,
            "reused": summary.reused, "candidates_recall_on_training_queries": summary.recall_at_candidates,
            "feature_importance": MetadataValue.md(markdown_image(
                feature_importance(summary.importances, "Learned ranker: feature importance"), "importance")),
            "training_curve": MetadataValue.md(markdown_image(
                training_curves(summary.curve, "NDCG@5", "Learned ranker: training curve", "boosting round"),
                "curve")),
        })
    return MaterializeResult(metadata=metadata)
