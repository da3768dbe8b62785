"""The ranking domain: the per-instance learned ranker."""

from dagster import Definitions

from deepcodeseek_pipeline.assets.ranking.assets import learned_ranker

defs = Definitions(assets=[learned_ranker])
