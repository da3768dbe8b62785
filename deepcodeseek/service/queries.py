"""Answering queries from a loaded version: shared by the HTTP routes and the MCP tools.

Ranking is CPU work: it runs on worker threads, at most one per core at once
(:class:`QueryRunner`), so concurrent clients queue instead of thrashing two cores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import anyio

from deepcodeseek.retrieval.retriever import LLM_METHODS, METHODS, MethodUnavailable, Result
from deepcodeseek.service.instances import LiveIndex
from deepcodeseek.service.metrics import ServiceMetrics
from deepcodeseek.service.results import enriched, prompt_block

T = TypeVar("T")
KNOWN_METHODS = METHODS + LLM_METHODS


class BadRequest(ValueError):
    """Input the caller can fix: answered with a 4xx naming ``field``."""

    def __init__(self, message: str, field: str | None = None, status: int = 422, code: str = "invalid_request"):
        super().__init__(message)
        self.field, self.status, self.code = field, status, code


def checked_method(method: str | None) -> str | None:
    """A method the caller named, checked; None stays None: each version serves its own default."""
    if method is None or method == "":
        return None
    if method not in KNOWN_METHODS:
        raise BadRequest(f"unknown method {method!r} (known: {', '.join(KNOWN_METHODS)})", field="method")
    return method


class QueryRunner:
    """Runs ranking on a bounded pool of worker threads and records each query's latency."""

    def __init__(self, threads: int, metrics: ServiceMetrics):
        self.limiter = anyio.CapacityLimiter(threads)
        self.metrics = metrics

    async def run(self, fn: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(fn, limiter=self.limiter)

    def rank(self, live: LiveIndex, code_before: str, code_after: str | None, scope: str | None, k: int,
             method: str | None) -> list[Result]:
        """One query on ``live`` (call from a worker thread); ``None`` ranks with the version's default,
        the method its calibration chose (``default_method`` in its manifest)."""
        method = method or live.retriever.default_method
        started = time.perf_counter()
        try:
            results = live.retriever.retrieve(code_before, code_after, scope, k=k, method=method)
        except MethodUnavailable as exc:
            raise BadRequest(str(exc), field="method") from exc
        self.metrics.observe_query(live.instance, method, time.perf_counter() - started)
        return results


def answer(live: LiveIndex, results: list[Result], method: str | None, explain: bool, fmt: str,
           token_budget: int) -> dict:
    """The response body for one query's results, as JSON results or as a prompt block."""
    head = {"instance": live.instance, "version": live.version, "method": method or live.retriever.default_method}
    if fmt == "prompt":
        pairs = [(r, live.catalog.get(r.api_name)) for r in results]
        block, tokens, included = prompt_block(
            pairs, token_budget, f"APIs this code likely calls next (instance {live.instance}):")
        return {**head, "format": "prompt", "prompt": block, "tokens": tokens, "token_budget": token_budget,
                "results_included": included, "apis": [r.api_name for r in results[:included]]}
    return {**head, "results": [enriched(r, live.catalog.get(r.api_name), explain) for r in results]}
