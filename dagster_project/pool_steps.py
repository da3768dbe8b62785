"""Pool steps that Dagster's slot race leaves queued for ever, assigned the free slot again.

A step entering a pool first asks whether a slot is unpromised, then queues itself, assigned
or not; freeing a slot assigns the oldest unassigned queued step. With runs in several
processes, a step can ask while another run's step holds the slot, and queue itself
unassigned just after that step freed it. Nothing assigns it afterwards: its run sleeps with
the slot free, for ever. It happened to this project's backfill test (dagster 1.13.27, SQLite
storage, two runs in two processes): one run waited 10 minutes on the `llm` pool, its step
alone in the queue, the pool's only slot free.

So whoever waits on several runs (the in-process backfill's parent) assigns such steps, one
per unpromised slot, as the free would have. The slot rows stay the semaphore: an assigned
step still claims a slot row before it runs, so this never lets more steps run than the limit.
"""

from __future__ import annotations

from dagster import DagsterInstance


def assign_stranded_steps(instance: DagsterInstance) -> list[str]:
    """Assign queued steps that no free will ever assign (``pool: run step``, one per slot that no
    step has been promised); nothing where every slot is promised or nothing waits."""
    storage = instance.event_log_storage
    keys = sorted(storage.get_concurrency_keys())
    assigned = []
    for key, info in storage.get_concurrency_infos(keys).items():
        waiting = sorted((s for s in info.pending_steps if s.assigned_timestamp is None),
                         key=lambda s: (-(s.priority or 0), s.enqueued_timestamp))
        for step in waiting[: max(0, info.slot_count - info.assigned_step_count)]:
            storage.assign_pending_steps([key])  # the oldest unassigned step of the pool, as a free assigns it
            assigned.append(f"{key}: {step.run_id} {step.step_key}")
    return assigned
