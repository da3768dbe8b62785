"""Summarise every Script Include of an instance, reusing what has not changed.

A summary is recomputed only when the Script Include's content hash or the backend
changes (an LLM summary is not replaced by a static one just because no key is set
today). Per-record failures are collected, never raised: one bad script must not stop
an instance's build.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from deepcodeseek.jsdoc.model import NamespaceDoc
from deepcodeseek.jsdoc.static_backend import BACKEND as STATIC_BACKEND
from deepcodeseek.jsdoc.static_backend import StaticAnalysisError, summarize_statically
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts, insert_rows, run_sql

STATIC_BACKEND_ID = f"{STATIC_BACKEND}-v1"
JSDOC_COLUMNS = ("sys_id", "namespace", "api_name", "content_hash", "backend", "doc_json", "status", "error")


@dataclass
class JSDocRunSummary:
    total: int = 0
    generated: int = 0
    reused: int = 0
    llm_calls: int = 0
    llm_cached: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    backend: str = STATIC_BACKEND_ID




def generate_jsdoc(store: InstanceStore, llm=None, progress: Callable[[str], None] | None = None) -> JSDocRunSummary:
    """Fill the ``jsdoc`` table for every Script Include in the instance's records."""
    started = time.perf_counter()
    summary = JSDocRunSummary()
    backend_id = _backend_id(llm)
    summary.backend = backend_id
    with store.connect() as con:
        sis = fetch_dicts(con, "records/select_script_includes")
        existing = {row["sys_id"]: row for row in fetch_dicts(con, "jsdoc/select_existing")}
    rows = []
    summary.total = len(sis)
    for i, si in enumerate(sis, start=1):
        old = existing.get(si["sys_id"])
        if old and old["content_hash"] == si["content_hash"] and _still_good(old, backend_id):
            summary.reused += 1
            continue
        rows.append(_summarise_one(si, llm, backend_id, summary))
        summary.generated += 1
        if progress and i % 200 == 0:
            progress(f"jsdoc: {i}/{len(sis)} Script Includes ({summary.reused} reused)")
    with store.transaction() as con:
        insert_rows(con, "jsdoc/upsert", JSDOC_COLUMNS, rows)
        run_sql(con, "jsdoc/delete_retired")
    summary.seconds = time.perf_counter() - started
    return summary


def _backend_id(llm) -> str:
    if llm is None:
        return STATIC_BACKEND_ID
    from deepcodeseek.jsdoc.prompt import PROMPT_VERSION

    return f"llm:{getattr(llm, 'model', llm.name)}:{PROMPT_VERSION}"


def _still_good(old: dict, backend_id: str) -> bool:
    """Reuse a summary made by this backend, or a good LLM one when running statically."""
    if old["status"] != "ok":
        return False
    return old["backend"] == backend_id or (backend_id == STATIC_BACKEND_ID and old["backend"].startswith("llm:"))


def _summarise_one(si: dict, llm, backend_id: str, summary: JSDocRunSummary) -> list:
    namespace, api_name = si["name"], si["api_name"]
    status, error, used_backend = "ok", None, backend_id
    doc: NamespaceDoc | None = None
    if llm is not None:
        doc, error = _try_llm(si, llm, summary)
        if doc is None:
            status, used_backend = "fallback", STATIC_BACKEND_ID
    if doc is None:
        try:
            doc = summarize_statically(namespace, api_name, si["script"], si.get("description") or "")
        except StaticAnalysisError as exc:
            status, error = "error", str(exc)
            doc = NamespaceDoc(namespace=namespace, api_name=api_name, description=si.get("description") or "")
    if error:
        summary.errors.append(f"{api_name} (sys_id {si['sys_id']}): {error}")
    return [si["sys_id"], namespace, api_name, si["content_hash"], used_backend, doc.to_json(), status, error]


def _try_llm(si: dict, llm, summary: JSDocRunSummary) -> tuple[NamespaceDoc | None, str | None]:
    from deepcodeseek.jsdoc.llm_backend import JSDocParseError, summarize_with_llm
    from deepcodeseek.llm.client import LLMError

    hint = None
    try:
        hint = summarize_statically(si["name"], si["api_name"], si["script"], si.get("description") or "")
    except StaticAnalysisError:
        pass
    try:
        doc, usage = summarize_with_llm(llm, si["name"], si["api_name"], si["scope"], si["script"], hint)
    except (JSDocParseError, LLMError) as exc:
        return None, f"LLM summary failed, used static analysis: {exc}"
    summary.llm_calls += 1
    summary.llm_cached += int(bool(usage.cached))
    summary.input_tokens += usage.input_tokens
    summary.output_tokens += usage.output_tokens
    summary.cost_usd += usage.cost_usd
    return doc, None
