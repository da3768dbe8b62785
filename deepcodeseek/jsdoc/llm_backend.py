"""The LLM backend of JSDoc generation: prompt a model, parse its JSON into a NamespaceDoc.

Models sometimes wrap JSON in Markdown fences or add a sentence before it, so the parser
looks for the first JSON object in the reply instead of trusting the whole text. Anything
that still is not a usable document raises :class:`JSDocParseError`, and the caller falls
back to the static backend for that Script Include rather than indexing a bad summary.
"""

from __future__ import annotations

import json
import re
from typing import Any

from deepcodeseek.errors import BadInput
from deepcodeseek.jsdoc.model import NamespaceDoc
from deepcodeseek.jsdoc.prompt import PROMPT_VERSION, SYSTEM_PROMPT, build_prompt
from deepcodeseek.llm.client import LLMClient, LLMUsage

#: Enough for the JSON of a Script Include with a few dozen methods.
DEFAULT_MAX_TOKENS = 4096

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


class JSDocParseError(BadInput):
    """The model's reply for a namespace is not a usable JSDoc document."""

    def __init__(self, namespace: str, reason: str):
        super().__init__(f"LLM JSDoc for {namespace} unusable: {reason}")
        self.namespace = namespace
        self.reason = reason


def summarize_with_llm(
    client: LLMClient,
    namespace: str,
    api_name: str,
    scope: str,
    script: str,
    static_hint: NamespaceDoc | None = None,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
) -> tuple[NamespaceDoc, LLMUsage]:
    """Ask ``client`` for the JSDoc of one Script Include.

    ``namespace`` and ``api_name`` are taken from the arguments, never from the reply, so a
    model cannot rename a record. Methods' ``calls`` come from ``static_hint`` (the model
    is not asked for them; the knowledge graph needs them). ``LLMError`` from the client
    propagates; a reply that is not a JSON object with methods raises ``JSDocParseError``.
    """
    prompt = build_prompt(namespace, api_name, scope, script, static_hint)
    result = client.complete(SYSTEM_PROMPT, prompt, prompt_version=PROMPT_VERSION, max_tokens=max_tokens)
    data = extract_json_object(result.text)
    if data is None:
        reason = "reply was cut off at max_tokens" if result.stop_reason == "max_tokens" else "no JSON object in reply"
        raise JSDocParseError(namespace, reason)

    methods = _clean_methods(data.get("methods"))
    if not methods:
        raise JSDocParseError(namespace, "reply has no methods")

    if static_hint is not None:
        calls_by_name = {m.name: m.calls for m in static_hint.methods}
        for m in methods:
            m["calls"] = list(calls_by_name.get(m["name"], []))

    extends = data.get("extends")
    doc = NamespaceDoc.from_dict(
        {
            "namespace": namespace,
            "api_name": api_name,
            "description": _text(data.get("description")),
            "extends": extends if isinstance(extends, str) and extends.strip().lower() not in ("", "null", "none") else None,
            "methods": methods,
            "backend": f"llm:{result.usage.model}",
        }
    )
    return doc, result.usage


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text``: tolerates ```json fences and prose around it."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        start = candidate.find("{")
        while start != -1:
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                start = candidate.find("{", start + 1)
                continue
            if isinstance(value, dict):
                return value
            start = candidate.find("{", start + 1)
    return None


def _clean_methods(raw: Any) -> list[dict[str, Any]]:
    """Methods with a name, fields coerced to the types NamespaceDoc expects.

    Models occasionally write ``"is_static": "false"`` or ``"returns_type": null``; plain
    ``bool("false")`` would be True, so flags and strings are normalised here.
    """
    if not isinstance(raw, list):
        return []
    methods: list[dict[str, Any]] = []
    for m in raw:
        if not isinstance(m, dict) or not _text(m.get("name")):
            continue
        params = m.get("params") if isinstance(m.get("params"), list) else []
        methods.append(
            {
                "name": _text(m.get("name")),
                "description": _text(m.get("description")),
                "params": [p for p in params if isinstance(p, str) or (isinstance(p, dict) and p.get("name"))],
                "returns_type": _text(m.get("returns_type")),
                "returns_description": _text(m.get("returns_description")),
                "is_static": m.get("is_static") is True or str(m.get("is_static")).lower() == "true",
            }
        )
    return methods


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
