"""Gates on ranking: a learned stage serves by default only where it won on calibration."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check

from deepcodeseek.index.publish import current_manifest
from deepcodeseek.ranking.training import default_evidence
from deepcodeseek_pipeline.assets.index.assets import published_index
from deepcodeseek_pipeline.partitions import partition_of
from deepcodeseek_pipeline.resources import DeepCodeSeekHome


@asset_check(asset=published_index,
             description="The published default method (ranker, a reranker or fusion) won its calibration A/B.")
def learned_default_won_on_calibration(context: AssetCheckExecutionContext,
                                       home: DeepCodeSeekHome) -> AssetCheckResult:
    manifest = current_manifest(home.paths(partition_of(context)))
    passed, why = default_evidence(manifest)
    return AssetCheckResult(passed=passed, metadata={"default_method": manifest.get("default_method", "fusion"),
                                                     "evidence": why, "version": manifest["version"]})
