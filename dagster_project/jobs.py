"""The job that (re)builds every asset of one instance partition."""

from dagster import AssetSelection, define_asset_job

from deepcodeseek_pipeline.partitions import servicenow_instances

index_instance_job = define_asset_job(
    "index_instance",
    selection=AssetSelection.all(),
    partitions_def=servicenow_instances,
    description="Read, summarise, graph, document, index, publish and evaluate one instance.",
)
