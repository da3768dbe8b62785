"""Identifier-aware text handling shared by documents, BM25 and queries.

ServiceNow code names things in camelCase, snake_case and dotted scopes
(``x_acme_hr.HRCaseUtils.getOverdueCases``); splitting them into words lets both the
lexical index and a natural-language embedder match ``overdue cases`` to them.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*|\d+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
STOPWORDS = frozenset(
    "var function return this new if else for while true false null undefined the a an of to and or in is "
    "on be it by as at with from that var let const typeof prototype type initialize".split()
)


def split_identifier(identifier: str) -> list[str]:
    """``getHRCaseByID`` -> ``['get', 'hr', 'case', 'by', 'id']``."""
    return list(_split(identifier))


@lru_cache(maxsize=1 << 16)
def _split(identifier: str) -> tuple[str, ...]:
    """Cached: a query's identifiers repeat (``gr``, ``GlideRecord``, the same names across calls)
    and splitting them was a tenth of a ranked query's time."""
    words: list[str] = []
    for part in re.split(r"[_$.\s]+", identifier):
        words.extend(w.lower() for w in _CAMEL.findall(part))
    return tuple(words)


@lru_cache(maxsize=1 << 16)
def _identifier_tokens(ident: str, keep_whole: bool) -> tuple[str, ...]:
    parts = _split(ident)
    whole = (ident.lower(),) if keep_whole and len(parts) > 1 else ()
    return whole + tuple(p for p in parts if p not in STOPWORDS and len(p) > 1)


def code_tokens(text: str, keep_whole: bool = True) -> list[str]:
    """Tokens for lexical search: whole identifiers (lower-cased) plus their word parts."""
    tokens: list[str] = []
    for ident in _TOKEN.findall(text):
        tokens.extend(_identifier_tokens(ident, keep_whole))
    return tokens


@lru_cache(maxsize=256)
def query_tokens(text: str) -> tuple[str, ...]:
    """``code_tokens`` of a query text, kept for the few texts in flight: one query asks for the same
    text's tokens several times (BM25 over documents and over usage contexts, the context words)."""
    return tuple(code_tokens(text))


def last_lines(code: str, n: int) -> str:
    """The last ``n`` non-blank lines of ``code``: the query form the paper found best."""
    lines = [line for line in code.replace("\r\n", "\n").split("\n") if line.strip()]
    return "\n".join(lines[-n:])
