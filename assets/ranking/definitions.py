"""The ranking domain: the per-instance learned ranker and the neural rerankers."""

from dagster import Definitions

from deepcodeseek_pipeline.assets.ranking.assets import learned_ranker, rerankers

defs = Definitions(assets=[learned_ranker, rerankers])
