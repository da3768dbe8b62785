"""Answering queries from a loaded version: the work of a request that depends on its version.

The HTTP routes and the MCP tools check their input, then hand one of :data:`HANDLERS` a plain
dict; it takes the instance's current version once, ranks, and builds the whole answer from that
version (results, signatures, summaries, prompt block), so a swap in between cannot mix two
versions. The handlers are synchronous CPU work: they run on a query thread of the serving
process or in a query process (``service.runners``), and return plain JSON types either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from deepcodeseek.retrieval.retriever import LLM_METHODS, METHODS, MethodUnavailable, Result
from deepcodeseek.service.instances import InstanceNotReady, InstancePool, LiveIndex, UnknownInstance, describe_slot
from deepcodeseek.service.results import SIGNATURE_CHARS, cut, enriched, prompt_block, why_ranked
from deepcodeseek.service.settings import MCP_MAX_JSDOC_CHARS
from deepcodeseek.service.tool_models import ApiDescription, ApiMatch, FindApisResult, MethodInfo

KNOWN_METHODS = METHODS + LLM_METHODS
Observe = Callable[[str, str, float], None]  # (instance, method, seconds): one ranked query, for the metrics


class BadRequest(ValueError):
    """Input the caller can fix: answered with a 4xx naming ``field``."""

    def __init__(self, message: str, field: str | None = None, status: int = 422, code: str = "invalid_request"):
        super().__init__(message)
        self.field, self.status, self.code = field, status, code


class ApiNotFound(LookupError):
    """``describe_api`` named no API of the instance."""


# The refusals a handler raises for the caller, by the name they cross a query process's pipe under
# (``query_process.error_reply`` names them, ``runners.unwrap`` raises them again; ``BadRequest``
# travels with its field, status and code).
CALLER_ERRORS: dict[str, type[Exception]] = {
    "unknown_instance": UnknownInstance, "not_ready": InstanceNotReady, "api_not_found": ApiNotFound}


def checked_method(method: str | None) -> str | None:
    """A method the caller named, checked; None stays None: each version serves its own default."""
    if method is None or method == "":
        return None
    if method not in KNOWN_METHODS:
        raise BadRequest(f"unknown method {method!r} (known: {', '.join(KNOWN_METHODS)})", field="method")
    return method


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


def rank(live: LiveIndex, code_before: str, code_after: str | None, scope: str | None, k: int, method: str | None,
         observe: Observe) -> list[Result]:
    """One query on ``live``; ``None`` ranks with the version's default, the method its calibration
    chose (``default_method`` in its manifest)."""
    method = method or live.retriever.default_method
    started = time.perf_counter()
    try:
        results = live.retriever.retrieve(code_before, code_after, scope, k=k, method=method)
    except MethodUnavailable as exc:
        raise BadRequest(str(exc), field="method") from exc
    observe(live.instance, method, time.perf_counter() - started)
    return results


def retrieve_body(pool: InstancePool, request: dict, observe: Observe) -> dict:
    """``POST /v1/retrieve``: ``request`` is a checked ``RetrieveRequest`` as a dict."""
    live = pool.current(request["instance"])  # this request's version, whatever a swap does meanwhile
    results = rank(live, request["code_before"], request.get("code_after"), request.get("scope"), request["k"],
                   request["method"], observe)
    return answer(live, results, request["method"], request["explain"], request["format"], request["token_budget"])


def batch_body(pool: InstancePool, request: dict, observe: Observe) -> dict:
    """``POST /v1/retrieve/batch``: every query on one version, each answered like a single call."""
    live = pool.current(request["instance"])
    items = []
    for i, q in enumerate(request["queries"], start=1):
        results = rank(live, q["code_before"], q.get("code_after"), q.get("scope"), request["k"], request["method"],
                       observe)
        body = answer(live, results, request["method"], request["explain"], request["format"], request["token_budget"])
        items.append({"id": q["id"] if q.get("id") is not None else i,
                      **{k: v for k, v in body.items() if k not in ("instance", "version", "method")}})
    return {"instance": live.instance, "version": live.version,
            "method": request["method"] or live.retriever.default_method, "results": items}


def find_apis_result(pool: InstancePool, request: dict, observe: Observe) -> dict:
    """MCP ``find_apis`` (its arguments checked by the tool): a ``FindApisResult`` as a dict."""
    live = pool.current(request["instance"])
    results = rank(live, request["code_before"], request.get("code_after"), request.get("scope"), request["k"],
                   None, observe)
    matches = []
    for r in results:
        doc = live.catalog.get(r.api_name)
        methods = []
        for name in r.methods:
            m = doc.method(name) if doc else None
            methods.append(MethodInfo(name=name, signature=cut(m.signature if m else f"{name}()", SIGNATURE_CHARS),
                                      summary=cut(m.summary, 200) if m else "", returns=m.returns if m else ""))
        matches.append(ApiMatch(namespace=r.namespace, api_name=r.api_name, scope=r.scope,
                                kind=doc.kind_label if doc else "unknown", summary=doc.summary if doc else "",
                                methods=methods, score=round(float(r.score), 6), why=why_ranked(r)))
    return FindApisResult(instance=live.instance, version=live.version, method=live.retriever.default_method,
                          results=matches).model_dump()


def describe_api_result(pool: InstancePool, request: dict, observe: Observe) -> dict:
    """MCP ``describe_api``: one namespace's full JSDoc, bounded, as an ``ApiDescription`` dict."""
    live = pool.current(request["instance"])
    name = request["name"]
    found = live.catalog.find(name[:200])
    if not found:
        raise ApiNotFound(f"no API named {name!r} on instance {live.instance!r}; use an api_name from find_apis")
    doc = found[0]
    jsdoc = doc.jsdoc[:MCP_MAX_JSDOC_CHARS]
    return ApiDescription(
        namespace=doc.namespace, api_name=doc.api_name, kind=doc.kind_label, scope=doc.scope, summary=doc.summary,
        methods=[MethodInfo(name=m.name, signature=cut(m.signature, SIGNATURE_CHARS), summary=cut(m.summary, 200),
                            returns=m.returns) for m in doc.methods[:200]],
        jsdoc=jsdoc, truncated=len(doc.jsdoc) > len(jsdoc),
        other_matches=[d.api_name for d in found[1:20]]).model_dump()


def pool_status(pool: InstancePool) -> dict:
    """What ``/readyz``, ``/v1/instances`` and ``/metrics`` need from one process's loaded versions."""
    return {"ready": pool.ready, "instances": [describe_slot(slot) for slot in pool.slots.values()]}


HANDLERS: dict[str, Callable[[InstancePool, dict, Observe], dict]] = {
    "retrieve": retrieve_body, "batch": batch_body, "find_apis": find_apis_result,
    "describe_api": describe_api_result,
}
