"""Service parts without a built index: the swap rules of the instance pool, the prompt budget, the reasons."""

from __future__ import annotations

import json
import time

import pytest

from deepcodeseek.index.api_docs import ApiCatalog, ApiDoc, MethodSignature
from deepcodeseek.index.publish import publish
from deepcodeseek.paths import instance_paths
from deepcodeseek.retrieval.retriever import Result
from deepcodeseek.service.instances import InstanceNotReady, InstancePool, LiveIndex, UnknownInstance, describe_slot
from deepcodeseek.service.results import enriched, estimate_tokens, prompt_block, why_ranked


class FakeLoader:
    """Loads any version except those listed as broken; counts calls."""

    def __init__(self, broken=()):
        self.broken, self.calls = set(broken), []

    def __call__(self, paths, manifest, encoders):
        self.calls.append(manifest["version"])
        if manifest["version"] in self.broken:
            raise FileNotFoundError(f"version {manifest['version']}: vector table missing")
        return LiveIndex(paths.instance, manifest, retriever=object(), catalog=ApiCatalog([], "api_docs"),
                         query_encoder="none",
                         loaded_at=time.time(), load_seconds=0.0)


def _publish(home, version: str) -> None:
    publish(instance_paths("demo", home), version, {"model": "m", "documents": 1})


def test_pool_loads_swaps_and_keeps_the_old_version_when_a_load_fails(tmp_path):
    events = []
    loader = FakeLoader(broken={"v2"})
    pool = InstancePool(["demo"], str(tmp_path), retry_seconds=600, loader=loader,
                        on_load=lambda name, live, error: events.append((live.version if live else None, bool(error))))
    with pytest.raises(InstanceNotReady, match="no loaded index"):
        pool.current("demo")
    assert pool.refresh() == [] and not pool.ready  # nothing published yet: said, not fatal
    assert "deepcodeseek index --instance demo" in pool.slot("demo").last_load_error.error

    _publish(tmp_path, "v1")
    assert pool.refresh() == ["demo"] and pool.current(None).version == "v1"
    held = pool.current("demo")  # what a request in flight holds
    assert pool.refresh() == [] and loader.calls == ["v1"]  # same version: nothing reloaded

    _publish(tmp_path, "v2")
    assert pool.refresh() == []
    slot = pool.slot("demo")
    assert pool.current("demo").version == "v1" and slot.last_load_error.version == "v2"
    assert pool.refresh() == [] and loader.calls == ["v1", "v2"]  # not retried on every poll

    _publish(tmp_path, "v3")
    assert pool.refresh() == ["demo"] and pool.current("demo").version == "v3"
    assert slot.last_load_error is None and held.version == "v1"  # the old object is untouched
    assert events == [("v1", False), (None, True), ("v3", False)]
    info = describe_slot(slot)
    assert info["version"] == "v3" and info["ready"] and info["age_seconds"] >= 0


def test_a_failed_version_is_retried_after_the_retry_interval(tmp_path):
    loader = FakeLoader(broken={"v1"})
    pool = InstancePool(["demo"], str(tmp_path), retry_seconds=0.05, loader=loader)
    _publish(tmp_path, "v1")
    pool.refresh()
    time.sleep(0.1)
    pool.refresh()
    assert loader.calls == ["v1", "v1"]


def test_unknown_and_unnamed_instances(tmp_path):
    pool = InstancePool(["a", "b"], str(tmp_path), loader=FakeLoader())
    with pytest.raises(UnknownInstance, match="served: a, b"):
        pool.slot("c")
    with pytest.raises(UnknownInstance, match="name the instance"):
        pool.slot(None)
    with pytest.raises(ValueError):
        InstancePool([], str(tmp_path))


def test_watcher_follows_the_pointer_in_the_background(tmp_path):
    pool = InstancePool(["demo"], str(tmp_path), poll_seconds=0.02, loader=FakeLoader())
    _publish(tmp_path, "v1")
    pool.start()
    try:
        assert pool.wait_ready(10) and pool.current("demo").version == "v1"
        _publish(tmp_path, "v2")
        deadline = time.monotonic() + 10
        while pool.current("demo").version != "v2" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pool.current("demo").version == "v2"
    finally:
        pool.stop()


def _api(name: str, methods: int) -> ApiDoc:
    return ApiDoc(namespace=name, api_name=f"global.{name}", scope="global", kind="script_include",
                  summary=f"What {name} is for, in one line.",
                  methods=[MethodSignature(f"m{i}", f"m{i}(a, b)", f"does thing {i}", "string") for i in range(methods)])


def _result(name: str, methods: int, score: float = 1.0) -> Result:
    return Result(name, f"global.{name}", "global", [f"m{i}" for i in range(methods)], score,
                  {"bm25": 2.5, "votes": 0.4, "voters": 7, "usage_count": 12, "matched_method": "m0",
                   "scope_rule": "same scope"})


def test_prompt_block_never_exceeds_the_budget_and_keeps_rank_order():
    pairs = [(_result(f"Api{i}", 5), _api(f"Api{i}", 5)) for i in range(10)]
    previous = 0
    for budget in range(16, 1200, 37):
        block, tokens, included = prompt_block(pairs, budget, "header")
        assert tokens <= budget and estimate_tokens(block) <= budget
        assert included >= previous  # more budget never drops an API
        previous = included
        names = [line.split(" (")[0][3:] for line in block.splitlines()[1:] if not line.startswith("//   ")]
        assert names == [f"global.Api{i}" for i in range(included)]
    assert previous == 10
    assert prompt_block(pairs, 2, "header") == ("", 0, 0)


def test_prompt_block_without_api_docs_still_names_the_methods():
    block, _, included = prompt_block([(_result("Bare", 2), None)], 200, "h")
    assert included == 1 and "//   Bare.m0()" in block


def test_estimate_is_at_least_one_token_per_three_characters_and_per_piece():
    assert estimate_tokens("") == 0
    assert estimate_tokens("gr.addQuery('active', true);") >= 10
    assert estimate_tokens("x" * 300) == 100


def test_enriched_results_and_reasons():
    out = enriched(_result("Api", 2), _api("Api", 2), explain=True)
    assert out["signatures"] == ["m0(a, b)", "m1(a, b)"] and out["kind"] == "script_include"
    assert out["summary"].startswith("What Api") and "evidence" in out
    assert json.dumps(out)  # JSON-ready
    why = why_ranked(_result("Api", 1))
    assert "bm25 2.50" in why and "7 similar call sites" in why and "same scope" in why and "m0" in why


def _status(ready: dict[str, str | None], error: str | None = None, pid: int = 1) -> dict:
    """A process's status: instance -> loaded version (None: not loaded)."""
    return {"ready": all(v is not None for v in ready.values()), "pid": pid, "instances": [
        {"instance": name, "ready": version is not None, "version": version,
         "last_load_error": {"error": error} if error and version is None else None}
        for name, version in ready.items()]}


def test_readiness_waits_for_every_process_and_names_what_waits():
    from deepcodeseek.service.app import readiness

    one = readiness([_status({"a": "v1", "b": None}, error="BM25 index missing")], ["a", "b"], 1)
    assert one == {"ready": False, "waiting": ["b"], "errors": {"b": "BM25 index missing"}}
    assert readiness([_status({"a": "v1"})], ["a"], 1) == {"ready": True, "waiting": [], "errors": {}}
    both = [_status({"a": "v1"}, pid=1), _status({"a": "v1"}, pid=2)]
    assert readiness(both, ["a"], 2)["ready"] and readiness(both, ["a"], 2)["processes"] == {"ready": 2, "of": 2}
    one_loading = [_status({"a": "v1"}, pid=1), _status({"a": None}, pid=2)]
    assert readiness(one_loading, ["a"], 2) == {"ready": False, "waiting": ["a"], "errors": {},
                                                "processes": {"ready": 1, "of": 2}}
    one_silent = [_status({"a": "v1"}, pid=1)]  # the other did not answer in time
    assert not readiness(one_silent, ["a"], 2)["ready"]


def test_instances_show_each_process_version_during_a_swap():
    from deepcodeseek.service.app import served_instances

    assert served_instances([_status({"a": "v1"})], 1) == _status({"a": "v1"})["instances"]
    swapping = served_instances([_status({"a": None}, pid=1), _status({"a": "v2"}, pid=2)], 2)
    assert swapping[0]["version"] == "v2" and swapping[0]["ready"]  # the first process that has it loaded
    assert swapping[0]["processes"] == [{"pid": 1, "ready": False, "version": None},
                                        {"pid": 2, "ready": True, "version": "v2"}]


def test_errors_cross_from_a_query_process_as_the_exceptions_raised():
    import pytest

    from deepcodeseek.service.instances import InstanceNotReady, UnknownInstance
    from deepcodeseek.service.queries import ApiNotFound, BadRequest
    from deepcodeseek.service.query_process import error_reply
    from deepcodeseek.service.runners import unwrap

    bad = BadRequest("k: out of range", "k", 422, "invalid_request")
    with pytest.raises(BadRequest) as raised:
        unwrap({"result": None, "error": error_reply(bad)})
    assert (str(raised.value), raised.value.field, raised.value.status, raised.value.code) == \
        ("k: out of range", "k", 422, "invalid_request")
    for exc in (UnknownInstance("unknown instance 'x'"), InstanceNotReady("not yet"), ApiNotFound("no API 'Z'")):
        with pytest.raises(type(exc), match=str(exc)):
            unwrap({"result": None, "error": error_reply(exc)})
    with pytest.raises(RuntimeError, match="ZeroDivisionError: boom"):
        unwrap({"result": None, "error": error_reply(ZeroDivisionError("boom"))})
    assert unwrap({"result": {"ok": 1}, "error": None}) == {"ok": 1}


def test_a_channel_matches_replies_to_requests_in_order_even_when_a_caller_gives_up():
    """Replies come back in request order; a request whose caller was cancelled still has its reply read,
    so the next caller gets its own; a closed pipe fails what waits, and says so once."""
    import asyncio
    import multiprocessing
    import threading

    import pytest

    from deepcodeseek.service.runners import Channel, QueryProcessLost

    here, there = multiprocessing.Pipe()
    release = threading.Event()

    def echo():  # a query process: answers each message in turn, the second one slowly
        while True:
            try:
                message = there.recv()
            except EOFError:
                return
            if message == ("slow",):
                release.wait(10)
            if message == ("exit",):
                there.close()
                return
            there.send({"echo": message})

    threading.Thread(target=echo, daemon=True).start()
    replies, lost = [], []

    async def scenario():
        channel = Channel(here, asyncio.get_running_loop(), replies.append, lambda: lost.append(True))
        assert await channel.request(("a",)) == {"echo": ("a",)}
        slow = asyncio.ensure_future(channel.request(("slow",)))
        await asyncio.sleep(0.05)
        slow.cancel()  # the caller went away; the reply is still on its way
        after = channel.request(("b",))
        release.set()
        assert await after == {"echo": ("b",)}
        waiting = channel.request(("exit",))
        with pytest.raises(QueryProcessLost):
            await waiting
        with pytest.raises(QueryProcessLost):
            await channel.request(("c",))

    asyncio.run(scenario())
    assert replies == [{"echo": ("a",)}, {"echo": ("slow",)}, {"echo": ("b",)}] and lost == [True]
