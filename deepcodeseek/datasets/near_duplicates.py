"""Fuzzy de-duplication of completion samples with MinHash and LSH banding.

Mined samples repeat: the same boilerplate is copied between scripts with a renamed
variable, and a benchmark that scores the same context twice over-weights it (and a
split that puts one copy in train and one in test leaks). Exact hashing misses these,
all-pairs Jaccard is quadratic; MinHash signatures estimate Jaccard cheaply and LSH
banding only compares samples that share at least one band.

Hashes are stable (blake2b of each token, combined into 3-token shingle hashes with
the splitmix64 mixer, fixed permutation seeds), never Python's per-process salted
``hash()``, so the same input removes the same samples on every run and machine.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

import numpy as np

from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.text import code_tokens, last_lines

CONTEXT_LINES = 15
SHINGLE_SIZE = 3
NUM_PERM = 64
BANDS = 16
DEFAULT_THRESHOLD = 0.8
_EMPTY = np.iinfo(np.uint64).max
_RUN = re.compile(r"[A-Za-z0-9_$]+")
_CHUNK = 1 << 16  # shingles per vectorised block: bounds the (NUM_PERM, chunk) working set


def context_text(sample: Sample, lines: int = CONTEXT_LINES) -> str:
    """The part of a sample a model sees right before it completes: the recent lines
    and the call line. Older lines are shared boilerplate (headers, licences) that would
    make unrelated samples look alike."""
    return f"{last_lines(sample.code_before, lines)}\n{sample.code_middle}"


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class _TokenHasher:
    """Stable token hashes with caches.

    ``code_tokens`` only ever matches inside runs of ``[A-Za-z0-9_$]``, so tokenising
    each run and concatenating gives exactly ``code_tokens(text)``; identifiers repeat
    heavily in code, so caching per run is what keeps 10,000 samples to seconds.
    """

    def __init__(self) -> None:
        self._runs: dict[str, list[int]] = {}

    def hashes(self, text: str) -> list[int]:
        out: list[int] = []
        runs = self._runs
        for run in _RUN.findall(text):
            cached = runs.get(run)
            if cached is None:
                cached = runs[run] = [_stable_hash(t) for t in code_tokens(run)]
            out.extend(cached)
        return out


_PAD = _stable_hash("\x00minhash-pad")


def _token_arrays(samples: Sequence[Sample], size: int) -> tuple[np.ndarray, np.ndarray]:
    """All samples' token hashes end to end, and each sample's token count. Contexts
    shorter than one shingle are padded so they still form one shingle."""
    hasher = _TokenHasher()
    flat: list[int] = []
    lengths = np.zeros(len(samples), dtype=np.int64)
    for i, sample in enumerate(samples):
        hashes = hasher.hashes(context_text(sample))
        if hashes and len(hashes) < size:
            hashes = hashes + [_PAD] * (size - len(hashes))
        flat.extend(hashes)
        lengths[i] = len(hashes)
    return np.array(flat, dtype=np.uint64), lengths


def _shingle_hashes(tokens: np.ndarray, lengths: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Order-sensitive hashes of every ``size``-token window that stays inside one
    sample, and how many windows each sample has."""
    counts = np.where(lengths >= size, lengths - size + 1, 0)
    if tokens.size < size:
        return np.zeros(0, dtype=np.uint64), counts
    windows = tokens.size - size + 1
    h = _mix(tokens[:windows])
    for k in range(1, size):
        h = _mix(h ^ tokens[k:k + windows])
    ends = np.cumsum(lengths)
    owner = np.searchsorted(ends, np.arange(windows), side="right")
    inside = np.arange(windows) + size <= ends[np.minimum(owner, len(ends) - 1)]
    return h[inside], counts


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection on uint64 with full avalanche, chained to
    make shingle hashes order-sensitive."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _permutations(num_perm: int = NUM_PERM) -> tuple[np.ndarray, np.ndarray]:
    """Seeds and odd multipliers of the ``(x ^ seed) * odd`` permutations of uint64.

    The shingle hashes are already avalanche-mixed, so this two-operation bijection is
    enough (its MinHash estimates match the full mixer's, measured unbiased with
    binomial spread) at a quarter of the cost.
    """
    seeds = np.array([_stable_hash(f"minhash-seed-{i}") for i in range(num_perm)], dtype=np.uint64)
    odds = np.array([_stable_hash(f"minhash-mult-{i}") | 1 for i in range(num_perm)], dtype=np.uint64)
    return seeds[:, None], odds[:, None]


def minhash_signatures(samples: Sequence[Sample], num_perm: int = NUM_PERM,
                       size: int = SHINGLE_SIZE) -> np.ndarray:
    """``(len(samples), num_perm)`` uint64 MinHash signatures of the samples' contexts.

    All shingles of all samples are hashed in a few large numpy blocks instead of one
    small call per sample. Repeated shingles within a sample need no removal: a
    minimum is unchanged by duplicates. A sample without tokens gets the all-max
    signature, which :func:`dedupe` never matches.
    """
    tokens, lengths = _token_arrays(samples, size)
    values, counts = _shingle_hashes(tokens, lengths, size)
    sigs = np.full((len(samples), num_perm), _EMPTY, dtype=np.uint64)
    seeds, odds = _permutations(num_perm)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    for block in _blocks(np.flatnonzero(counts).tolist(), counts):
        lo, hi = offsets[block[0]], offsets[block[-1] + 1]
        starts = offsets[block] - lo
        sigs[block] = np.minimum.reduceat((values[None, lo:hi] ^ seeds) * odds, starts, axis=1).T
    return sigs


def _blocks(indices: list[int], sizes: np.ndarray) -> Iterable[list[int]]:
    """Runs of samples whose shingles together stay near ``_CHUNK`` (at least one each),
    bounding the ``(num_perm, chunk)`` working set."""
    block: list[int] = []
    total = 0
    for index in indices:
        size = int(sizes[index])
        if block and total + size > _CHUNK:
            yield block
            block, total = [], 0
        block.append(index)
        total += size
    if block:
        yield block


def _band_buckets(sigs: np.ndarray, bands: int = BANDS) -> np.ndarray:
    """``(n, bands)`` bucket ids, unique across bands, so one dict holds every bucket."""
    n = sigs.shape[0]
    rows = sigs.shape[1] // bands
    out = np.empty((n, bands), dtype=np.int64)
    for b in range(bands):
        part = np.ascontiguousarray(sigs[:, b * rows:(b + 1) * rows])
        _, inverse = np.unique(part, axis=0, return_inverse=True)
        out[:, b] = inverse.reshape(-1) + b * n
    return out


def dedupe(samples: Sequence[Sample], threshold: float = DEFAULT_THRESHOLD
           ) -> tuple[list[Sample], list[tuple[str, str, float]]]:
    """Drop near-duplicate samples, keeping the earliest of each cluster.

    Samples are visited in input order; one is removed when an already *kept* sample
    sharing an LSH band has estimated Jaccard >= ``threshold``, and it is reported
    against the earliest such sample. Comparing only with kept samples (leader
    clustering) keeps every reported pair above the threshold, avoids chains that drift
    away from the kept sample, and keeps work linear when many copies of one context
    exist. Returns the kept samples and ``(removed id, kept id, similarity)`` pairs.

    The 16 x 4 banding makes pairs at Jaccard 0.8 candidates with probability > 0.999
    but pairs at 0.5 only about 0.64: thresholds much below 0.7 will miss pairs.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not samples:
        return [], []
    sigs = minhash_signatures(samples)
    buckets = _band_buckets(sigs)
    kept_in: dict[int, list[int]] = {}
    kept: list[Sample] = []
    removed: list[tuple[str, str, float]] = []
    for j, sample in enumerate(samples):
        match = _first_match(j, sigs, buckets[j], kept_in, threshold)
        if match is None:
            kept.append(sample)
            for bucket in buckets[j].tolist():
                kept_in.setdefault(bucket, []).append(j)
        else:
            removed.append((sample.id, samples[match[0]].id, match[1]))
    return kept, removed


def _first_match(j: int, sigs: np.ndarray, buckets: np.ndarray, kept_in: dict[int, list[int]],
                 threshold: float) -> tuple[int, float] | None:
    """The earliest kept sample close enough to sample ``j``, with its similarity."""
    if sigs[j, 0] == _EMPTY and np.all(sigs[j] == _EMPTY):
        return None  # no tokens: no evidence that it duplicates anything
    candidates = sorted({i for b in buckets.tolist() for i in kept_in.get(b, ())})
    if not candidates:
        return None
    sims = (sigs[candidates] == sigs[j]).mean(axis=1)
    hits = np.flatnonzero(sims >= threshold)
    if hits.size == 0:
        return None
    first = int(hits[0])
    return candidates[first], float(sims[first])
