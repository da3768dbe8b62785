"""Deterministic train/calibration/dev/test splits that never leak a script or an API across splits.

Samples mined from one script share variables, helpers and style: if some went to
train and others to test, a model would be scored on code it has half seen. Splitting
by source keeps each script whole; splitting by target namespace goes further and asks
whether a model generalises to APIs it never saw. Each group's split comes from a
stable hash of ``(seed, group)`` rather than a shuffle, so adding samples later never
moves an existing group (yesterday's test set stays test).

Calibration chooses every setting (weights, epochs, on/off); dev reports; test is
read once for a release's final figure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from deepcodeseek.evaluation.benchmark import Sample

SPLITS = ("train", "calibration", "dev", "test")
# Calibration is carved out of what was train, so dev and test keep the groups they always had.
DEFAULT_FRACTIONS = (0.55, 0.15, 0.15, 0.15)
HELD_OUT_SPLITS = ("calibration", "dev", "test")  # their scripts never reach training, votes or priors
MINED_PREFIX = "mined:"


def mined_script(source: str | None) -> str | None:
    """The caller sys_id a mined sample's ``source`` names (``mined:<sys_id>``); None for any other source."""
    return source[len(MINED_PREFIX):] if source and source.startswith(MINED_PREFIX) else None

#: One split name for every sample, a mapping sample id -> split name, or none.
SplitLabels = str | Mapping[str, str] | None


def source_group(sample: Sample) -> str:
    """The script a sample came from; mined ids start with the caller's sys_id, which
    stands in when a sample carries no source."""
    return sample.source or sample.id.split(":", 1)[0]


def namespace_group(sample: Sample) -> str:
    return sample.target_namespace


def group_position(group: str, seed: int = 0) -> float:
    """A stable pseudo-random point in [0, 1) for a group: only the group and the seed
    decide it, never the other samples present."""
    digest = hashlib.blake2b(f"{seed}\x1f{group}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _boundaries(fractions: Sequence[float]) -> list[float]:
    if len(fractions) != len(SPLITS) or any(f < 0 for f in fractions) or sum(fractions) <= 0:
        raise ValueError(f"fractions must be {len(SPLITS)} non-negative numbers with a positive sum, "
                         f"got {tuple(fractions)}")
    total = float(sum(fractions))
    cumulative, acc = [], 0.0
    for fraction in fractions[:-1]:
        acc += fraction / total
        cumulative.append(acc)
    return cumulative


def split_of(group: str, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0) -> str:
    """The split a group belongs to."""
    position = group_position(group, seed)
    for name, bound in zip(SPLITS, _boundaries(fractions)):
        if position < bound:
            return name
    return SPLITS[-1]


def split_by(samples: Iterable[Sample], group: Callable[[Sample], str],
             fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0) -> dict[str, list[Sample]]:
    """Samples per split, grouped by ``group``; input order is kept inside each split."""
    _boundaries(fractions)  # fail on bad fractions even when there are no samples
    out: dict[str, list[Sample]] = {name: [] for name in SPLITS}
    cache: dict[str, str] = {}
    for sample in samples:
        key = group(sample)
        if key not in cache:
            cache[key] = split_of(key, fractions, seed)
        out[cache[key]].append(sample)
    return out


def split_by_source(samples: Iterable[Sample], fractions: Sequence[float] = DEFAULT_FRACTIONS,
                    seed: int = 0) -> dict[str, list[Sample]]:
    """Source-disjoint splits: all samples of one script land in the same split."""
    return split_by(samples, source_group, fractions, seed)


def split_by_namespace(samples: Iterable[Sample], fractions: Sequence[float] = DEFAULT_FRACTIONS,
                       seed: int = 0) -> dict[str, list[Sample]]:
    """Namespace-disjoint splits: no target API is seen in two splits."""
    return split_by(samples, namespace_group, fractions, seed)


def split_labels(splits: Mapping[str, Iterable[Sample]]) -> dict[str, str]:
    """Sample id -> split name, the form the writers take to tag rows."""
    return {sample.id: name for name, members in splits.items() for sample in members}


def label_for(labels: SplitLabels, sample_id: str) -> str | None:
    if labels is None or isinstance(labels, str):
        return labels
    return labels.get(sample_id)
