"""Materialise every asset of one instance partition in-process.

Used by ``deepcodeseek index`` and the quickstart: the same assets, checks and
resources as the code location, run without a webserver or daemon. When
``DAGSTER_HOME`` is set the run is recorded there, so the Dagster UI shows it. A Table
API instance's credentials are read at launch from its variables (run config
``{"env": NAME}``), as the job's partitioned config does for daemon-launched runs.
"""

from __future__ import annotations

import os

from dagster import DagsterInstance, ExecuteInProcessResult, materialize

from deepcodeseek.sources.registry import InstanceRegistry
from deepcodeseek_pipeline.assets.sources.resources import credentials_run_config
from deepcodeseek_pipeline.definitions import all_assets, all_checks
from deepcodeseek_pipeline.environment import get_environment
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import resources_for


def dagster_instance() -> DagsterInstance:
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def materialize_instance(name: str, home: str = "", instance: DagsterInstance | None = None,
                         raise_on_error: bool = True, log_level: str = "WARNING") -> ExecuteInProcessResult:
    instance = instance or dagster_instance()
    run_config = credentials_run_config(InstanceRegistry(home or None).get(name))
    if not instance.has_dynamic_partition(servicenow_instances.name, name):
        instance.add_dynamic_partitions(servicenow_instances.name, [name])
    return materialize(
        [*all_assets, *all_checks],
        partition_key=name,
        instance=instance,
        resources=resources_for(get_environment(), home=home),
        raise_on_error=raise_on_error,
        run_config={**run_config, "loggers": {"console": {"config": {"log_level": log_level}}}},
    )
