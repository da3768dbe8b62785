"""The job that (re)builds every asset of one instance partition."""

from dagster import AssetSelection, PartitionedConfig, define_asset_job

from deepcodeseek.errors import DeepCodeSeekError
from deepcodeseek_pipeline.partitions import servicenow_instances


def run_config_for_instance(name: str) -> dict:
    """Per-partition run config: the instance's credential variables when it uses the Table API.

    Evaluated where the run is launched (schedule, sensor, backfill, launchpad); the registry
    is the one under ``$DEEPCODESEEK_HOME``. An instance it cannot find gets no extra config:
    its source step then says what is missing.
    """
    from deepcodeseek.sources.registry import InstanceRegistry
    from deepcodeseek_pipeline.assets.sources.resources import credentials_run_config

    try:
        return credentials_run_config(InstanceRegistry().get(name))
    except DeepCodeSeekError:
        return {}


index_instance_job = define_asset_job(
    "index_instance",
    selection=AssetSelection.all(),
    partitions_def=servicenow_instances,
    config=PartitionedConfig(partitions_def=servicenow_instances,
                             run_config_for_partition_key_fn=run_config_for_instance),
    description="Read, summarise, graph, document, index, publish and evaluate one instance.",
)
