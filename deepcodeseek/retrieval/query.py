"""Turning the code around the cursor into a query.

The DeepCodeSeek paper found the last 8-10 lines before the cursor the best query; the
first lines after the cursor (fill-in-the-middle) add what the code goes on to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from deepcodeseek.text import last_lines

QUERY_LINES_BEFORE = 10
QUERY_LINES_AFTER = 3


@dataclass(frozen=True)
class Query:
    code_before: str
    code_after: str | None = None
    scope: str | None = None

    def text(self, lines_before: int = QUERY_LINES_BEFORE, lines_after: int = QUERY_LINES_AFTER) -> str:
        return query_text(self.code_before, self.code_after, lines_before, lines_after)


@lru_cache(maxsize=64)
def query_text(code_before: str, code_after: str | None, lines_before: int, lines_after: int) -> str:
    """The query text of the code around a cursor, kept for the few queries in flight: one ranked
    query reads it six times (BM25 over documents and contexts, the encoders, the context words)."""
    text = last_lines(code_before, lines_before)
    if code_after and lines_after:
        after = [line for line in code_after.split("\n") if line.strip()][:lines_after]
        text = f"{text}\n{chr(10).join(after)}" if after else text
    return text
