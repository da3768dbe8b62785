"""Settings of the learned ranking stage per environment."""

from __future__ import annotations

from dagster import ConfigurableResource

from deepcodeseek.ranking.ranker import RankerConfig
from deepcodeseek.rerankers.pipeline import RerankerSettings
from deepcodeseek_pipeline.environment import Environment


class RankingResource(ConfigurableResource):
    """The per-instance LambdaRank model (see ``deepcodeseek.ranking``); CPU, seconds to train."""

    enabled: bool = True
    max_rounds: int = 400
    learning_rate: float = 0.05
    num_leaves: int = 15
    # Processes computing the training features, 0: one per core the step may use (its affinity and CPU
    # limit). Not part of the model: the features are the same with any number
    # (deepcodeseek.ranking.feature_workers). Each process holds its own copy of the version's stages.
    feature_workers: int = 0

    def config(self) -> RankerConfig:
        return RankerConfig(max_rounds=self.max_rounds, learning_rate=self.learning_rate, num_leaves=self.num_leaves)


def resources_for(env: Environment) -> dict:
    # CI trains the same model on the sample instance's few hundred queries, with fewer rounds. A prod
    # step pod requests one CPU and 2 GiB with no CPU limit (deploy/deployment.yaml), so "one per core"
    # would count the node's: prod computes the features in the step's own process unless configured.
    ranking = {Environment.CI: RankingResource(max_rounds=100),
               Environment.PROD: RankingResource(feature_workers=1)}.get(env, RankingResource())
    return {"ranking": ranking, **reranker_resources_for(env)}


class RerankerResource(ConfigurableResource):
    """Neural rerankers (``deepcodeseek.rerankers``): the LoRA cross-encoder always, the LM stages on a GPU."""

    enabled: bool = True
    lm: str = "auto"  # auto: on a GPU only; on: also on a CPU (slow); off
    device: str = "auto"
    ce_pairs: int = 1200
    calibration_limit: int = 80

    def settings(self) -> RerankerSettings:
        from deepcodeseek.index.embedder import resolve_device

        changes = {"enabled": self.enabled, "lm": self.lm, "device": self.device}
        if resolve_device(self.device) == "cuda":
            return RerankerSettings.for_gpu(**changes)
        return RerankerSettings(**changes, ce_pairs=self.ce_pairs, calibration_limit=self.calibration_limit)


def reranker_resources_for(env: Environment) -> dict:
    # CI: a cross-encoder on 64 pairs, judged on 8 calibration cases; the LM stages have their own test.
    return {"rerankers": RerankerResource(lm="off", device="cpu", ce_pairs=64, calibration_limit=8)
            if env == Environment.CI else RerankerResource()}
