"""Dagster's slot race, replayed step by step on a real instance's storage, and its repair."""

from __future__ import annotations

from dagster import instance_for_test

from deepcodeseek_pipeline.pool_steps import assign_stranded_steps


def test_a_step_queued_after_the_slot_was_freed_is_stranded_until_assigned_again():
    with instance_for_test(overrides={"concurrency": {"pools": {"granularity": "op"}}}) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("llm", 1)
        assert storage.claim_concurrency_slot("llm", "run-a", "jsdoc_summaries").is_claimed
        # run b's step asks while run a's holds the only slot, run a frees it, then run b queues
        promised = storage.has_unassigned_slots("llm")
        storage.free_concurrency_slot_for_step("run-a", "jsdoc_summaries")
        storage.add_pending_step(concurrency_key="llm", run_id="run-b", step_key="jsdoc_summaries",
                                 should_assign=promised)
        for _ in range(3):  # what the run's executor does while it sleeps: blocked, the slot free
            assert not storage.claim_concurrency_slot("llm", "run-b", "jsdoc_summaries").is_claimed
        assert not storage.get_concurrency_info("llm").claimed_slots

        assert assign_stranded_steps(instance) == ["llm: run-b jsdoc_summaries"]
        assert storage.claim_concurrency_slot("llm", "run-b", "jsdoc_summaries").is_claimed


def test_nothing_is_assigned_while_the_slot_is_held_or_promised():
    with instance_for_test(overrides={"concurrency": {"pools": {"granularity": "op"}}}) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("gpu", 1)
        assert storage.claim_concurrency_slot("gpu", "run-a", "vector_index").is_claimed
        assert not storage.claim_concurrency_slot("gpu", "run-b", "vector_index").is_claimed  # queued behind it
        assert assign_stranded_steps(instance) == []
        storage.free_concurrency_slot_for_step("run-a", "vector_index")  # the free assigns run b's step
        assert assign_stranded_steps(instance) == []
        assert storage.claim_concurrency_slot("gpu", "run-b", "vector_index").is_claimed
        assert not storage.claim_concurrency_slot("gpu", "run-c", "vector_index").is_claimed
        assert assign_stranded_steps(instance) == [] and len(storage.get_concurrency_info("gpu").claimed_slots) == 1


def test_the_code_locations_sensor_assigns_a_stranded_step_and_starts_no_run():
    from dagster import SkipReason, build_sensor_context

    from deepcodeseek_pipeline.definitions import defs
    from deepcodeseek_pipeline.sensors import stranded_pool_steps_sensor

    assert "stranded_pool_steps_sensor" in {s.name for s in defs.sensors}
    with instance_for_test(overrides={"concurrency": {"pools": {"granularity": "op"}}}) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("gpu", 1)
        storage.add_pending_step(concurrency_key="gpu", run_id="run-b", step_key="adapted_embedder",
                                 should_assign=False)  # queued unassigned, the slot free: the race's outcome
        result = stranded_pool_steps_sensor(build_sensor_context(instance=instance))
        assert isinstance(result, SkipReason) and "gpu: run-b adapted_embedder" in result.skip_message
        assert storage.claim_concurrency_slot("gpu", "run-b", "adapted_embedder").is_claimed

        quiet = stranded_pool_steps_sensor(build_sensor_context(instance=instance))
        assert quiet.skip_message == "no pool step waits beside a free slot"
