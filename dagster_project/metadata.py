"""Helpers that turn library results into Dagster metadata."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from dagster import MetadataValue


def md_table(rows: Iterable[dict] | pd.DataFrame, max_rows: int = 50) -> MetadataValue:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if frame.empty:
        return MetadataValue.md("_none_")
    return MetadataValue.md(frame.head(max_rows).to_markdown(index=False))


def md_list(items: list[str], limit: int = 30) -> MetadataValue:
    if not items:
        return MetadataValue.md("_none_")
    shown = [f"- {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"- ... and {len(items) - limit} more")
    return MetadataValue.md("\n".join(shown))
