"""A persistent cache of LLM responses plus a ledger of calls, kept in DuckDB.

Summarising thousands of Script Includes costs real money, and a pipeline re-run (a retry,
a backfill, a new index build) asks the same questions again. The client keys each
request by a hash of model, prompt version and prompt text and looks here first, so the
same question is paid for once. The ledger (``llm_calls``) records every call, hit or miss,
so cost and cache hit rate can be reported per run.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

import duckdb

from deepcodeseek.store.duckdb_store import InstanceStore, apply_schema, fetch_dicts, run_sql


@runtime_checkable
class LLMCache(Protocol):
    """What :class:`~deepcodeseek.llm.client.AnthropicClient` needs from a cache."""

    def get(self, key: str) -> tuple[str, int, int] | None:
        """``(text, input_tokens, output_tokens)`` of a stored response, or None."""
        ...

    def put(
        self,
        key: str,
        model: str,
        prompt_version: str,
        text: str,
        input_tokens: int,
        output_tokens: int,
        cost_usd: float,
    ) -> None:
        """Store the response to a request."""
        ...

    def record_call(
        self,
        *,
        key: str,
        model: str,
        prompt_version: str,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int,
        cost_usd: float,
        cached: bool,
    ) -> None:
        """Append one call to the ledger."""
        ...


class DuckDBLLMCache:
    """:class:`LLMCache` on the ``llm_cache`` and ``llm_calls`` tables (``sql/schema/020_llm.sql``).

    By default every operation opens its own short connection through ``store.connect()``:
    DuckDB lets only one process write a file, so holding a connection between calls would
    lock out other pipeline steps. A step that already holds a write connection (for
    example inside ``store.transaction()``) uses :meth:`from_connection` instead; the
    cache then never opens or closes anything itself.
    """

    def __init__(self, store: InstanceStore):
        self._store: InstanceStore | None = store
        self._con: duckdb.DuckDBPyConnection | None = None
        # A DuckDB connection is not safe to share between threads without serialising.
        self._lock = threading.Lock()

    @classmethod
    def from_connection(cls, con: duckdb.DuckDBPyConnection) -> "DuckDBLLMCache":
        """A cache that works through ``con``, which the caller keeps open and closes.

        The schema is applied once (its DDL is idempotent) so the tables exist even if
        ``con`` was not opened through :class:`InstanceStore`.
        """
        cache = cls.__new__(cls)
        cache._store = None
        cache._con = con
        cache._lock = threading.Lock()
        apply_schema(con)
        return cache

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._con is not None:
            with self._lock:
                yield self._con
            return
        assert self._store is not None
        with self._store.connect() as con:
            yield con

    def get(self, key: str) -> tuple[str, int, int] | None:
        """The stored ``(text, input_tokens, output_tokens)`` for ``key``, or None."""
        with self._connection() as con:
            row = run_sql(con, "llm/get_cached", [key]).fetchone()
        if row is None:
            return None
        text, input_tokens, output_tokens = row
        return str(text), int(input_tokens), int(output_tokens)

    def put(
        self,
        key: str,
        model: str,
        prompt_version: str,
        text: str,
        input_tokens: int,
        output_tokens: int,
        cost_usd: float,
    ) -> None:
        """Store (or overwrite) the response to ``key`` with what it cost."""
        with self._connection() as con:
            run_sql(
                con,
                "llm/merge_into_cache",
                [key, model, prompt_version, text, int(input_tokens), int(output_tokens), float(cost_usd)],
            )

    def record_call(
        self,
        *,
        key: str,
        model: str,
        prompt_version: str,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int,
        cost_usd: float,
        cached: bool,
    ) -> None:
        """Append one call to the ``llm_calls`` ledger."""
        with self._connection() as con:
            run_sql(
                con,
                "llm/insert_call",
                [
                    uuid.uuid4().hex,
                    model,
                    prompt_version,
                    key,
                    int(input_tokens),
                    int(output_tokens),
                    int(cache_read_tokens),
                    float(cost_usd),
                    bool(cached),
                ],
            )

    def usage_summary(self) -> list[dict]:
        """Calls, cached calls, tokens and cost per (model, prompt_version), for reports."""
        with self._connection() as con:
            return fetch_dicts(con, "llm/usage_summary")
