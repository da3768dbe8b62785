"""Settings of the learned ranking stage per environment."""

from __future__ import annotations

from dagster import ConfigurableResource

from deepcodeseek.ranking.ranker import RankerConfig
from deepcodeseek_pipeline.environment import Environment


class RankingResource(ConfigurableResource):
    """The per-instance LambdaRank model (see ``deepcodeseek.ranking``); CPU, seconds to train."""

    enabled: bool = True
    max_rounds: int = 400
    learning_rate: float = 0.05
    num_leaves: int = 15

    def config(self) -> RankerConfig:
        return RankerConfig(max_rounds=self.max_rounds, learning_rate=self.learning_rate, num_leaves=self.num_leaves)


def resources_for(env: Environment) -> dict:
    # CI trains the same model on the sample instance's few hundred queries, with fewer rounds.
    return {"ranking": RankingResource(max_rounds=100) if env == Environment.CI else RankingResource()}
