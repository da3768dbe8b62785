"""The ranking domain: the per-instance learned ranker and the neural rerankers."""

from dagster import Definitions

from deepcodeseek_pipeline.assets.ranking.assets import learned_ranker, rerankers
from deepcodeseek_pipeline.assets.ranking.checks import learned_default_won_on_calibration

defs = Definitions(assets=[learned_ranker, rerankers], asset_checks=[learned_default_won_on_calibration])
