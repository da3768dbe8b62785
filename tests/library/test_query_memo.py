"""The query memo: one query's values computed once, the time a reader saved counted, one version only."""

from __future__ import annotations

import time

import pytest

from deepcodeseek.retrieval.query_memo import QueryMemo, sharing


def test_a_value_is_computed_once_and_each_read_counts_what_it_saved():
    memo, calls = QueryMemo(), []

    def slow(value: int, seconds: float = 0.02):
        def compute():
            calls.append(value)
            time.sleep(seconds)
            return value
        return compute

    assert memo.value(("bm25", "q"), slow(1)) == 1 and memo.reused_ms == 0.0
    assert memo.value(("bm25", "q"), slow(2)) == 1 and calls == [1]  # read back, not computed again
    saved = memo.reused_ms
    assert saved >= 20.0
    # A value computed from one read back costs, read back in turn, what it would have cost alone.
    memo.reused_ms = 0.0
    outer = memo.value(("signals", "q"), lambda: memo.value(("bm25", "q"), slow(3)) + 10)
    assert outer == 11 and memo.reused_ms == pytest.approx(saved)
    memo.reused_ms = 0.0
    assert memo.value(("signals", "q"), slow(4)) == 11 and memo.reused_ms >= saved
    memo.clear()
    assert memo.value(("bm25", "q"), slow(5, 0.0)) == 5 and calls == [1, 5] and memo.reused_ms == 0.0


def test_held_objects_live_until_the_memo_is_cleared():
    memo = QueryMemo()
    obj = object()
    assert memo.hold(obj) == id(obj)
    assert memo._alive == [obj]
    memo.clear()
    assert memo._alive == []


def test_one_memo_is_shared_by_retrievers_of_one_version_only_and_detached_after():
    class Retriever:
        def __init__(self, version: str):
            self.version, self.memo = version, None

    a, b = Retriever("v1"), Retriever("v1")
    with sharing([a, b, a]) as memo:
        assert a.memo is memo and b.memo is memo
    assert a.memo is None and b.memo is None
    with pytest.raises(ValueError, match="several index versions .*v1, v2"):
        with sharing([a, Retriever("v2")]):
            pass
    assert a.memo is None
