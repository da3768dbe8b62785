"""Results as callers use them: the CLI's shape plus signatures and summaries, a reason, a prompt block.

``format=prompt`` is for a completion model: the top results as comment lines (API,
kind, one-line JSDoc, then its likely methods' signatures), cut to a token budget the
caller sets, best results first, the way editor assistants budget their context. Tokens
are estimated without the caller's tokenizer, erring high (see :func:`estimate_tokens`),
so the block fits the budget under any common code tokenizer.
"""

from __future__ import annotations

import math
import re

from deepcodeseek.index.api_docs import ApiDoc, one_line
from deepcodeseek.retrieval.retriever import Result

_PIECES = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
SIGNATURE_CHARS = 160


def estimate_tokens(text: str) -> int:
    """An upper estimate of a code tokenizer's count: letter runs, digit runs and symbols are one
    token each, and never fewer than one token per three characters."""
    return max(len(_PIECES.findall(text)), math.ceil(len(text) / 3))


def enriched(result: Result, doc: ApiDoc | None, explain: bool = False) -> dict:
    """The CLI's result dict plus ``kind``, ``summary`` and a signature per listed method."""
    out = result.as_dict(explain)
    out["kind"] = doc.kind if doc else "unknown"
    out["summary"] = doc.summary if doc else ""
    out["signatures"] = [cut(doc.signature_of(m) if doc else f"{m}()", SIGNATURE_CHARS) for m in result.methods]
    return out


def why_ranked(result: Result) -> str:
    """The evidence in one sentence for an agent: which signals, how many similar call sites, which scope rule."""
    ev = result.evidence
    parts = [f"{name} {ev[name]:.2f}" for name in ("bm25", "votes", "dense", "semantic_votes") if ev.get(name)]
    text = "signals: " + (", ".join(parts) or "usage prior only")
    if ev.get("voters"):
        text += f"; {int(ev['voters'])} similar call sites on this instance called it"
    if ev.get("usage_count"):
        text += f"; called {int(ev['usage_count'])} times on the instance"
    if ev.get("matched_method"):
        text += f"; the code mentions its method {ev['matched_method']}"
    if ev.get("scope_rule"):
        text += f"; admitted by scope rule {ev['scope_rule']}"
    return text


def prompt_block(pairs: list[tuple[Result, ApiDoc | None]], budget: int, header: str) -> tuple[str, int, int]:
    """(block, estimated tokens, results included): ``header`` then, per result in rank order,
    its API line and as many of its method lines as fit. A result whose API line no longer
    fits ends the block; nothing is cut mid-line."""
    lines = [f"// {header}"]
    used = estimate_tokens(lines[0]) + 1
    if used > budget:
        return "", 0, 0
    included = 0
    for result, doc in pairs:
        summary = (doc.summary if doc else "") or (doc.kind_label if doc else "")
        head = f"// {result.api_name} ({doc.kind_label if doc else 'API'}): {one_line(summary, 160)}".rstrip(": ")
        cost = estimate_tokens(head) + 1
        if used + cost > budget:
            break
        lines.append(head)
        used += cost
        included += 1
        for name in result.methods:
            method = doc.method(name) if doc else None
            line = f"//   {result.namespace}.{cut(method.signature if method else name + '()', SIGNATURE_CHARS)}"
            if method and method.returns:
                line += f" -> {method.returns}"
            if method and method.summary:
                line += f" : {one_line(method.summary, 120)}"
            cost = estimate_tokens(line) + 1
            if used + cost > budget:
                break
            lines.append(line)
            used += cost
    if included == 0:
        return "", 0, 0
    block = "\n".join(lines)
    return block, estimate_tokens(block), included


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
