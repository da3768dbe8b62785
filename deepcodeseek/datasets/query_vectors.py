"""Query embeddings kept by text between builds, so that mining hard negatives after a small change
embeds only the queries it has not seen.

Mining the train split's triplets embeds every train query with the base embedder, one at a
time (51 s at 2.6k namespaces on 2 cores), although a 1% change of the records leaves 99% of
them as they were. Each vector is the query's own ``embed_query`` output, so a vector read
back is exactly the one a fresh encode would give, and the triplets are the same either way.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from deepcodeseek import atomic

CACHE_DIR = "cache"  # under the instance's state folder, outside the datasets that keys digest


def cache_file(root: Path, embedder) -> Path:
    """One file per model and query precision (an int8 query copy encodes differently)."""
    precision = "int8" if getattr(embedder, "quantized_queries", False) else "fp32"
    return Path(root) / CACHE_DIR / f"query_vectors-{embedder.name}-{precision}.npz"


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def query_vectors(root: Path, embedder, texts: Sequence[str],
                  progress: Callable[[str], None] | None = None) -> dict[str, np.ndarray]:
    """``text -> embed_query(text)`` for ``texts``, encoding only those not kept from an earlier build.

    The file keeps exactly the current texts' vectors afterwards, so it grows with the split,
    not with the instance's history.
    """
    path = cache_file(root, embedder)
    kept = _read(path)
    wanted = {_text_key(t): t for t in texts}
    missing = [k for k in wanted if k not in kept]
    for n, k in enumerate(missing, start=1):
        kept[k] = np.asarray(embedder.embed_query(wanted[k]), dtype=np.float32)
        if progress and n % 500 == 0:
            progress(f"query vectors: {n}/{len(missing)} new")
    if missing or set(kept) != set(wanted):
        _write(path, {k: kept[k] for k in wanted})
    return {t: kept[k] for k, t in wanted.items()}


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"]))
    except (OSError, ValueError, KeyError):
        return {}  # absent or unreadable: encode again


def _write(path: Path, vectors: dict[str, np.ndarray]) -> None:
    keys = sorted(vectors)
    matrix = np.stack([vectors[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)
    buffer = io.BytesIO()
    np.savez(buffer, keys=np.array(keys, dtype=str), vectors=matrix)
    atomic.write_bytes(path, buffer.getvalue())
