"""The sources domain: records and platform APIs, with their gate."""

from dagster import Definitions

from deepcodeseek_pipeline.assets.sources.assets import platform_apis, source_records
from deepcodeseek_pipeline.assets.sources.checks import no_duplicate_sys_ids

defs = Definitions(assets=[source_records, platform_apis], asset_checks=[no_duplicate_sys_ids])
