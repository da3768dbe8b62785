"""Ranking: the instance's learned ranker over candidates from every signal, A/B-tested on calibration."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from deepcodeseek.evaluation.plots import feature_importance, markdown_image, training_curves
from deepcodeseek.ranking.training import stage_ranked_version
from deepcodeseek.rerankers.pipeline import stage_rerankers
from deepcodeseek.training.adapt import read_adapted_model
from deepcodeseek_pipeline.assets.index.resources import EmbedderResource
from deepcodeseek_pipeline.assets.ranking.resources import RankingResource, RerankerResource
from deepcodeseek_pipeline.gpu import GPU_POOL, gpu_op_tags
from deepcodeseek_pipeline.metadata import md_table
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

GROUP = "ranking"


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=["query_encoders", "adapted_index", "base_index"],
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
                                   ranking.config(), ranking.enabled, progress=context.log.info,
                                   workers=ranking.feature_workers)
    metadata = {"default_method": outcome.default_method, "note": outcome.note,
                "calibration": md_table([{"method": m, **f} for m, f in outcome.calibration.items()])}
    if outcome.query_encoder:  # the students measured again through the ranker: this choice serves
        metadata["query_encoder"] = outcome.query_encoder.get("chosen", "teacher")
        metadata["query_encoders_through_ranker"] = md_table(outcome.query_encoder.get("calibration") or [])
    if outcome.pairing is not None:  # cheaper students, each with a ranker trained on its similarities
        pairing = outcome.pairing
        metadata["paired_query_encoder"] = pairing.serves or "none (the first choice stands)"
        metadata["pairing"] = md_table([{
            "student": p.student, "serves": p.student == pairing.serves, "top@5 kept of the teacher's": p.kept,
            "beats its fusion": p.beats_fusion, **{f"{m} top@5": f.get("top@5") for m, f in p.calibration.items()}}
            for p in pairing.pairs])
        metadata["pairing_why"] = pairing.why
    if outcome.ranker is not None:
        summary = outcome.ranker.summary
        metadata.update({
            "training_queries": summary.queries, "validation_queries": summary.validation_queries,
            "rows": summary.rows, "best_iteration": summary.best_iteration, "seconds": summary.seconds,
            "reused": summary.reused, "candidates_recall_on_training_queries": summary.recall_at_candidates,
            "carried_from": summary.fitted_key,  # another version's ranker, carried over a small change
            "feature_importance": MetadataValue.md(markdown_image(
                feature_importance(summary.importances, "Learned ranker: feature importance"), "importance")),
            "training_curve": MetadataValue.md(markdown_image(
                training_curves(summary.curve, "NDCG@5", "Learned ranker: training curve", "boosting round"),
                "curve")),
        })
    return MaterializeResult(metadata=metadata)


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=[learned_ranker], kinds={"pytorch"},
       pool=GPU_POOL, op_tags=gpu_op_tags())
def rerankers(context: AssetExecutionContext, home: DeepCodeSeekHome, embedder: EmbedderResource,
              rerankers: RerankerResource) -> MaterializeResult:
    """Neural rerankers over the top N of the first stage: the LoRA cross-encoder (SFT on the train split's
    triplets), and on a GPU the yes/no LM (SFT, GRPO, extended SFT) and the cross-encoder distilled from it.
    N is chosen on calibration within the latency budget; a reranker serves by default only when it beats
    no rerank there. Content-addressed: a no-change reindex trains nothing.
    """
    name = context.partition_key
    paths = home.paths(name)
    outcome = stage_rerankers(home.store(name), paths, embedder.model, read_adapted_model(paths),
                              rerankers.settings(), progress=context.log.info)
    metadata = {"default_method": outcome.default_method, "rerank_base": outcome.rerank_base, "how": outcome.how,
                "note": outcome.note, "seconds": outcome.seconds,
                "served": md_table([{"method": m, "N": s["top_n"], "within budget": s["within_budget"],
                                     "model": s["folder"]} for m, s in outcome.served.items()]),
                "calibration_table4": MetadataValue.md(outcome.calibration or "_none_")}
    curves = {name: {"loss": [v for _, v in s.get("curve", {}).get("loss", [])]}
              for name, s in outcome.summaries.items() if s.get("curve", {}).get("loss")}
    if curves:
        metadata["training_curves"] = MetadataValue.md(markdown_image(training_curves(
            {name: c["loss"] for name, c in curves.items()}, "loss", "Rerankers: training loss"), "curves"))
    rewards = outcome.summaries.get("lm-sft-grpo", {}).get("curve", {}).get("reward")
    if rewards:
        metadata["grpo_reward"] = MetadataValue.md(markdown_image(training_curves(
            {"mean reward": [v for _, v in rewards]}, "reward", "GRPO: reward per step"), "reward"))
    return MaterializeResult(metadata=metadata)
