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


def calibration_metadata(calibration) -> dict:
    """What a version's calibration chose, and how sure it is, for the asset's page."""
    return {
        "calibration/samples": calibration.samples,
        "calibration/top5": calibration.top5,
        "calibration/uncalibrated_top5": calibration.uncalibrated_top5,
        "calibration/seconds": calibration.seconds,
        "fusion_weights": md_table([{"signal": k, "weight": v} for k, v in calibration.weights.items()]),
        "calibration/top5_by_dense_weight": md_table([{"dense weight": w, "best top@5": v}
                                                      for w, v in calibration.top5_by_dense.items()]),
    }
