"""One query's signals, kept while several retrievers of one index version answer it in turn.

A choice on calibration asks the same queries many times: the ranker against the fusion,
then every query encoder through the ranker, then each paired student's ranker. Method by
method, each pass recomputed what no query encoder changes (BM25, the votes, the graph's
signals and their ranks) and what one encoder gives every method (its dense similarities).
Sample by sample (``evaluation.query_major``), those are computed once per query and
read back by the next method or encoder.

A memo holds one query at a time: the driver clears it before the next. Each value is
keyed by everything it depends on (the version, the query's text and scope, the scripts
set aside, the knobs), so a memo never answers a query with another's signals. It also
counts the milliseconds a reader saved, so that a latency measured through it is what the
query would have cost alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from typing import Iterator, TypeVar

T = TypeVar("T")


class QueryMemo:
    def __init__(self) -> None:
        self._values: dict[Hashable, object] = {}
        self._ms: dict[Hashable, float] = {}  # what computing each value cost, the values it read included
        self._alive: list[object] = []  # objects whose ids are in keys (an encoder), kept until cleared
        self.reused_ms = 0.0  # milliseconds of values read back since the driver last reset it

    def value(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s value for ``key``, computed once until the memo is cleared."""
        if key in self._values:
            self.reused_ms += self._ms[key]
            return self._values[key]  # type: ignore[return-value]
        before, started = self.reused_ms, time.perf_counter()
        value = compute()
        self._ms[key] = (time.perf_counter() - started) * 1000 + (self.reused_ms - before)
        self._values[key] = value
        return value

    def hold(self, obj: object) -> int:
        """``id(obj)``, with ``obj`` kept alive until the memo is cleared, so the id cannot name another."""
        self._alive.append(obj)
        return id(obj)

    def clear(self) -> None:
        self._values.clear()
        self._ms.clear()
        self._alive.clear()
        self.reused_ms = 0.0


@contextmanager
def sharing(retrievers) -> Iterator[QueryMemo]:
    """One memo read by every retriever given (one index version), detached after."""
    retrievers = list({id(r): r for r in retrievers}.values())
    versions = {r.version for r in retrievers}
    if len(versions) > 1:
        raise ValueError(f"query memo: retrievers of several index versions ({', '.join(sorted(versions))})")
    memo = QueryMemo()
    for r in retrievers:
        r.memo = memo
    try:
        yield memo
    finally:
        for r in retrievers:
            r.memo = None
        memo.clear()
