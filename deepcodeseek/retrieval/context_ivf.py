"""An inverted file over the usage contexts' static vectors: semantic votes in sub-linear time.

Semantic votes compare the query's static vector with every usage context's and let the
20 nearest vote. The product is bound by memory bandwidth: on a 50,000-namespace instance
(about 110,000 contexts, 168 MB of float32) it was the largest part of a ranked query after
the encoder. Only the nearest 20 matter, so above :data:`IVF_MIN_CONTEXTS` the contexts are
clustered once (spherical k-means, seeded: the same vectors always give the same clusters,
so training and serving see the same approximation) and a query reads only the contexts of
its ``probes`` nearest clusters; every other context scores 0 and does not vote.
``benchmarks/scaling.py`` prints the crossover and the recall of the 20 nearest.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

# Below this the exact product costs about a millisecond (1.1 ms at 26k contexts against 0.6 probed,
# benchmarks/scaling.py), too little to trade for the index's approximation.
IVF_MIN_CONTEXTS = 40_000
IVF_PROBE_SHARE = 0.12  # the share of clusters a query reads: recall@20 0.92 on the corpus's own vectors (0.82 at 0.06)
KMEANS_SAMPLE = 20_000
KMEANS_ITERATIONS = 8
IVF_FILE = "context_ivf.npz"  # beside the version's static context vectors, when there are enough of them


@dataclass
class ContextIVF:
    centroids: np.ndarray  # (clusters, d) unit rows
    order: np.ndarray  # context rows, cluster by cluster
    starts: np.ndarray  # (clusters + 1,) offsets of each cluster's rows in ``order``
    codes: np.ndarray  # the context vectors in ``order``, int8: each cluster one contiguous block
    scales: np.ndarray  # per row: the float32 factor that turns its codes back into the vector
    probes: int

    @classmethod
    def build(cls, vectors: np.ndarray, seed: int = 0) -> "ContextIVF":
        """About sqrt(N) clusters, fitted on a seeded sample, every context then assigned to its nearest."""
        n = len(vectors)
        clusters = max(1, int(np.sqrt(n)))
        rng = np.random.default_rng(seed)
        sample = vectors[np.sort(rng.choice(n, size=min(n, KMEANS_SAMPLE), replace=False))]
        centroids = sample[np.sort(rng.choice(len(sample), size=clusters, replace=False))].copy()
        for _ in range(KMEANS_ITERATIONS):
            assigned = np.argmax(sample @ centroids.T, axis=1)
            sums = np.zeros_like(centroids)
            np.add.at(sums, assigned, sample)
            empty = ~np.bincount(assigned, minlength=clusters).astype(bool)
            sums[empty] = centroids[empty]  # an empty cluster keeps its centre
            centroids = _unit(sums)
        labels = np.concatenate([np.argmax(vectors[s:s + 8192] @ centroids.T, axis=1) for s in range(0, n, 8192)])
        order = np.argsort(labels, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=clusters))])
        probes = max(1, int(round(IVF_PROBE_SHARE * clusters)))
        codes, scales = quantise_rows(vectors[order])
        return cls(centroids.astype(np.float32), order, starts, codes, scales, probes)

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Each context's similarity to ``query`` where its cluster was probed, 0 elsewhere (in context order)."""
        # einsum, not BLAS: a few hundred rows per cluster, and a threaded BLAS pool woken for each
        # block fought the other core's work (13 ms a query instead of 1.6 while a build ran beside it).
        nearest = np.argpartition(-np.einsum("ij,j->i", self.centroids, query), self.probes - 1)[:self.probes]
        out = np.zeros(len(self.order), dtype=np.float32)
        for c in nearest:
            lo, hi = self.starts[c], self.starts[c + 1]
            if hi > lo:
                out[self.order[lo:hi]] = np.einsum("ij,j->i", self.codes[lo:hi], query) * self.scales[lo:hi]
        return out

    def nbytes(self) -> int:
        return self.codes.nbytes + self.scales.nbytes + self.order.nbytes + self.centroids.nbytes

    def save(self, path: Path) -> None:
        """One ``.npz`` (no pickles): the index build writes it, so a Retriever loads it instead of clustering."""
        with open(path, "wb") as fh:
            np.savez(fh, **{f.name: np.asarray(getattr(self, f.name)) for f in fields(self)})

    @classmethod
    def load(cls, path: Path) -> "ContextIVF":
        with np.load(path, allow_pickle=False) as data:
            missing = [f.name for f in fields(cls) if f.name not in data.files]
            if missing:
                raise ValueError(f"{path}: not a context index (missing {', '.join(missing)})")
            arrays = {f.name: data[f.name] for f in fields(cls)}
        arrays["probes"] = int(arrays["probes"])
        return cls(**arrays)

    def kept(self, keep: np.ndarray) -> "ContextIVF":
        """The same clusters over the contexts ``keep`` marks, renumbered as the Retriever numbers them
        (it drops contexts whose target is not a document of the version)."""
        keep = np.asarray(keep, dtype=bool)
        if len(keep) != len(self.order):
            raise ValueError(f"context index: {len(self.order)} contexts, {len(keep)} given")
        if keep.all():
            return self
        renumbered = np.cumsum(keep) - 1
        rows = keep[self.order]
        labels = np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))[rows]
        starts = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=len(self.starts) - 1))])
        return ContextIVF(self.centroids, renumbered[self.order[rows]], starts, self.codes[rows], self.scales[rows],
                          self.probes)


def quantise_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row as int8 codes times one float32 scale (its largest magnitude over 127).

    The inverted file holds the only copy of the context vectors, a quarter of float32's size (42 MB
    instead of 168 at 110,000 contexts), where float32 took twice what the index stores on disk
    (float16). float16 itself was no option: numpy converts it without SIMD, ten times slower than
    the product. On unit vectors the similarity moves by about 1e-3, far below the gaps
    between the nearest 20 that vote.
    """
    rows = np.asarray(rows, dtype=np.float32)
    top = np.abs(rows).max(axis=1) if len(rows) else np.zeros(0, dtype=np.float32)
    scales = np.where(top > 0, top / 127.0, 1.0).astype(np.float32)
    codes = np.rint(rows / scales[:, None]).astype(np.int8)
    return codes, scales


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def searchable(vectors: np.ndarray) -> "np.ndarray | ContextIVF":
    """The context vectors as the semantic votes read them: as they are below the crossover,
    an inverted file (which then holds the only copy) above it."""
    return ContextIVF.build(vectors) if len(vectors) >= IVF_MIN_CONTEXTS else vectors


def write_index(folder: Path, vectors: np.ndarray) -> bool:
    """At index build, above the crossover: the inverted file over the version's stored context
    vectors (as a Retriever reads them, float32 from the stored float16), written to ``folder``.

    Clustering 110,000 contexts took 2.4 s of a 50,000-namespace Retriever's start, and the
    float32 copy it clustered most of the start's peak memory; the build pays it once instead.
    """
    if len(vectors) < IVF_MIN_CONTEXTS:
        return False
    ContextIVF.build(np.asarray(vectors, dtype=np.float32)).save(Path(folder) / IVF_FILE)
    return True


def context_similarities(contexts: "np.ndarray | ContextIVF", query: np.ndarray) -> np.ndarray:
    """Every context's similarity to ``query``: exact for a matrix, probed through an inverted file.

    The exact product stays BLAS: over the corpus's 9,038 contexts it took 0.61 ms of CPU on one
    thread (0.66 over two) where einsum on the calling thread took 0.87, and it is what the ranker's
    features were trained with, to the bit."""
    return contexts.similarities(query) if isinstance(contexts, ContextIVF) else contexts @ query


def nearest_recall(exact: np.ndarray, probed: np.ndarray, k: int = 20) -> float:
    """Share of the ``k`` contexts the index ranks first that are among the exact ``k`` nearest,
    by value: contexts tied with the k-th count as found (copies of one vector tie)."""
    k = min(k, len(exact))
    kth = np.sort(exact)[-k]
    return float(np.mean(exact[np.argpartition(-probed, k - 1)[:k]] >= kth - 1e-6))
