"""Materialise every asset of one instance partition in-process.

Used by ``deepcodeseek index`` and the quickstart: the same assets, checks and
resources as the code location, run without a webserver or daemon. When
``DAGSTER_HOME`` is set the run is recorded there, so the Dagster UI shows it. A Table
API instance's credentials are read at launch from its variables (run config
``{"env": NAME}``), as the job's partitioned config does for daemon-launched runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

from dagster import DagsterInstance, ExecuteInProcessResult, materialize

from deepcodeseek.errors import BadInput
from deepcodeseek.sources.registry import InstanceRegistry
from deepcodeseek_pipeline.assets.sources.resources import credentials_run_config
from deepcodeseek_pipeline.definitions import all_assets, all_checks
from deepcodeseek_pipeline.environment import get_environment
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import resources_for


def dagster_instance() -> DagsterInstance:
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def selection(skip: Sequence[str] = ()) -> list:
    """Every asset and check, less the assets named in ``skip`` (by key) and the checks on them."""
    skipped = set(skip)
    unknown = sorted(skipped - {a.key.to_user_string() for a in all_assets})
    if unknown:
        raise BadInput(f"cannot skip {', '.join(map(repr, unknown))}: not an asset; the assets are "
                       f"{', '.join(sorted(a.key.to_user_string() for a in all_assets))}")
    assets = [a for a in all_assets if a.key.to_user_string() not in skipped]
    checks = [c for c in all_checks if not {k.asset_key.to_user_string() for k in c.check_keys} & skipped]
    return [*assets, *checks]


def materialize_instance(name: str, home: str = "", instance: DagsterInstance | None = None,
                         raise_on_error: bool = True, log_level: str = "WARNING",
                         skip: Sequence[str] = ()) -> ExecuteInProcessResult:
    """One partition's run. ``skip`` leaves assets out (their upstream inputs are read as they are on disk)."""
    instance = instance or dagster_instance()
    run_config = credentials_run_config(InstanceRegistry(home or None).get(name))
    if not instance.has_dynamic_partition(servicenow_instances.name, name):
        instance.add_dynamic_partitions(servicenow_instances.name, [name])
    with _state_storage_of(instance):
        return materialize(
            selection(skip),
            partition_key=name,
            instance=instance,
            resources=resources_for(get_environment(), home=home),
            raise_on_error=raise_on_error,
            run_config={**run_config, "loggers": {"console": {"config": {"log_level": log_level}}}},
        )


def _state_storage_of(instance: DagsterInstance) -> AbstractContextManager:
    """This run's instance as Dagster's current definitions-state storage, while the run loads its definitions.

    Loading definitions reads the storage a context variable names, which a ``with instance:``
    sets and restores on exit. Exits out of order (a scoped instance entered inside another that
    leaves first) restore one whose instance is gone, and every later run in the process then fails
    with "Attempted to resolve undefined DagsterInstance weakref" (CI met it in two tests after a
    third left it behind). Naming our own instance for the run's length makes a run independent of
    what ran before it in the process.
    """
    try:
        from dagster._core.storage.defs_state.base import set_defs_state_storage
    except ImportError:  # another Dagster layout: no such state to pin
        return nullcontext()
    return set_defs_state_storage(getattr(instance, "defs_state_storage", None))
