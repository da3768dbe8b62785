"""Build many instances in process, one run per partition, as a Dagster backfill does.

On a deployment, a backfill over the ``servicenow_instances`` partitions is launched
from the UI or by the sensor, and the daemon makes one run per partition (GPU and LLM
steps one partition per run, the style note's rule): each instance's build succeeds
or fails alone, and the pools keep GPU and LLM steps within their limits across runs.
Dagster has no public in-process backfill API, so this does the same thing directly:
one ``materialize`` run per partition, tagged with one backfill id, up to ``parallel``
at once (in processes) on a shared instance, whose pool limits then apply as they do
under the daemon, and a failed instance never stops the others. While the runs go on, the
parent assigns pool steps that Dagster's slot race left queued beside a free slot
(``pool_steps``): one such run waited 10 minutes in this project's CI before.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from dagster import DagsterInstance, materialize

from deepcodeseek_pipeline.pool_steps import assign_stranded_steps
from deepcodeseek_pipeline.run import selection
from deepcodeseek_pipeline.environment import get_environment
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import resources_for

BACKFILL_TAG = "dagster/backfill"
STRANDED_CHECK_S = 2.0  # how often the parent looks for pool steps that no free will assign (``pool_steps``)


@dataclass
class PartitionOutcome:
    instance: str
    run_id: str
    success: bool
    seconds: float
    failed_steps: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class BackfillReport:
    backfill_id: str
    outcomes: dict[str, PartitionOutcome]
    stranded_steps: list[str] = field(default_factory=list)  # pool steps the parent assigned (``pool_steps``)

    @property
    def succeeded(self) -> list[str]:
        return sorted(n for n, o in self.outcomes.items() if o.success)

    @property
    def failed(self) -> list[str]:
        return sorted(n for n, o in self.outcomes.items() if not o.success)


def backfill_instances(names: Sequence[str], instance: DagsterInstance, home: str = "",
                       resources: dict | None = None, parallel: int = 1, backfill_id: str | None = None,
                       skip: Sequence[str] = ()) -> BackfillReport:
    """One run per instance partition (``parallel`` at a time); returns each partition's outcome.

    ``skip`` leaves assets (and their checks) out of every run, e.g. the evaluation.
    """
    backfill_id = backfill_id or f"backfill-{uuid.uuid4().hex[:8]}"
    missing = [n for n in names if not instance.has_dynamic_partition(servicenow_instances.name, n)]
    if missing:
        instance.add_dynamic_partitions(servicenow_instances.name, missing)
    resources = resources or resources_for(get_environment(), home=home)

    stranded: list[str] = []
    if parallel <= 1:
        outcomes = [_run_partition(instance, name, resources, backfill_id, tuple(skip)) for name in names]
    else:
        # Dagster's in-process execution is not thread-safe (its run setup reconfigures
        # logging), so parallel runs are processes, as the daemon's run workers are; they
        # share the instance's storage, where the pool limits live.
        ref = instance.get_ref()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=parallel, mp_context=context) as pool:
            specs = _resource_specs(resources)
            futures = [pool.submit(_run_in_child, ref, name, specs, backfill_id, tuple(skip)) for name in names]
            while wait(futures, timeout=STRANDED_CHECK_S).not_done:  # meanwhile, unstick pool steps
                stranded.extend(assign_stranded_steps(instance))
            outcomes = [f.result() for f in futures]
    return BackfillReport(backfill_id=backfill_id, outcomes={o.instance: o for o in outcomes}, stranded_steps=stranded)


def _resource_specs(resources: dict) -> dict[str, tuple[str, str, dict]]:
    """Resources as (module, class, fields): Dagster's config types do not pickle, their values do."""
    return {key: (type(r).__module__, type(r).__qualname__, r.model_dump()) for key, r in resources.items()}


def _run_in_child(ref, name: str, specs: dict, backfill_id: str, skip: tuple[str, ...]) -> PartitionOutcome:
    import importlib

    resources = {key: getattr(importlib.import_module(module), cls)(**fields)
                 for key, (module, cls, fields) in specs.items()}
    with DagsterInstance.from_ref(ref) as instance:
        return _run_partition(instance, name, resources, backfill_id, skip)


def _run_partition(instance: DagsterInstance, name: str, resources: dict, backfill_id: str,
                   skip: tuple[str, ...]) -> PartitionOutcome:
    """One partition's run; its failure is recorded, never raised, so the other partitions go on."""
    started = time.perf_counter()
    result = materialize(selection(skip), partition_key=name, instance=instance,
                         resources=resources, raise_on_error=False, tags={BACKFILL_TAG: backfill_id},
                         run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
    failures = [e for e in result.all_events if e.is_step_failure]
    error = ""
    if failures:
        cause = failures[0].step_failure_data.error
        while cause is not None and cause.cause is not None:  # Dagster wraps the step's own error
            cause = cause.cause
        error = f"{failures[0].step_key}: {cause.message.strip() if cause else 'failed'}"
    return PartitionOutcome(instance=name, run_id=result.run_id, success=result.success,
                            seconds=round(time.perf_counter() - started, 1),
                            failed_steps=sorted({e.step_key for e in failures}), error=error)
