"""Build many instances in process, one run per partition, as a Dagster backfill does.

On a deployment, a backfill over the ``servicenow_instances`` partitions is launched
from the UI or by the sensor, and the daemon makes one run per partition (GPU and LLM
steps one partition per run, the style note's rule): each instance's build succeeds
or fails alone, and the pools keep GPU and LLM steps within their limits across runs.
Dagster has no public in-process backfill API, so this does the same thing directly:
one ``materialize`` run per partition, tagged with one backfill id, up to ``parallel``
at once on a shared instance (whose pool limits then apply as they would in the
daemon), and a failed instance never stops the others.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from dagster import DagsterInstance, materialize

from deepcodeseek_pipeline.definitions import all_assets, all_checks
from deepcodeseek_pipeline.environment import get_environment
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import resources_for

BACKFILL_TAG = "dagster/backfill"


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

    skipped = set(skip)
    assets = [a for a in all_assets if a.key.to_user_string() not in skipped]
    checks = [c for c in all_checks if not {k.asset_key.to_user_string() for k in c.check_keys} & skipped]

    def run_one(name: str) -> PartitionOutcome:
        started = time.perf_counter()
        result = materialize([*assets, *checks], partition_key=name, instance=instance,
                             resources=resources, raise_on_error=False, tags={BACKFILL_TAG: backfill_id},
                             run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
        failures = [e for e in result.all_events if e.is_step_failure]
        error = ""
        if failures:
            data = failures[0].step_failure_data
            error = f"{failures[0].step_key}: {data.error.message.strip() if data.error else 'failed'}"
        return PartitionOutcome(instance=name, run_id=result.run_id, success=result.success,
                                seconds=round(time.perf_counter() - started, 1),
                                failed_steps=sorted({e.step_key for e in failures}), error=error)

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        outcomes = list(pool.map(run_one, names))
    return BackfillReport(backfill_id=backfill_id, outcomes={o.instance: o for o in outcomes})
