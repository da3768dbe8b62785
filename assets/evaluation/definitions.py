"""The evaluation domain: mined benchmarks, the report, and its warnings."""

from dagster import Definitions

from deepcodeseek_pipeline.assets.evaluation.assets import benchmark_samples, evaluation_report
from deepcodeseek_pipeline.assets.evaluation.checks import (
    default_not_worse_than_bm25,
    default_not_worse_than_single_signals,
    no_regression_against_previous_version,
)

defs = Definitions(assets=[benchmark_samples, evaluation_report],
                   asset_checks=[default_not_worse_than_bm25, default_not_worse_than_single_signals,
                                 no_regression_against_previous_version])
