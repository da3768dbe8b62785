"""Many slices of one array as a single gather: what posting lists and per-document rows need."""

from __future__ import annotations

import numpy as np


def span_positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. starts[i] + lengths[i] - 1`` of every span, span after span.

    One vectorised gather instead of a Python slice per span: a query's few dozen tokens each
    read their postings this way (BM25, the ranker's word overlaps), where the slices were the
    interpreter's work on every query.
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
