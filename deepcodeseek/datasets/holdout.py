"""The one held-out rule: which scripts a sample's evaluation must never see.

A benchmark sample is cut from one script. Scored honestly, nothing learned or
counted from that script may help rank it: not a training example, not a usage vote,
not the usage prior, not a calibration choice. The same holds for its near-duplicates:
a call site in another script whose context is nearly the same and which calls the same
API is the same evidence under another name (copied boilerplate, a renamed variable).

So scripts are grouped: two scripts join a group when a near-duplicate pair links them
(a de-duplicated sample and the kept sample it copies, or two usage contexts of the
same target at MinHash Jaccard >= 0.8). A whole group goes to one split, decided by a
stable hash of its key, and the group is what every consumer excludes:

- mining and splits: :func:`script_groups` then :func:`assign_splits`;
- training examples (embedder, rerankers, ranker, encoders): :meth:`HoldOut.held_out`
  (every script of a calibration, dev or test group);
- votes, usage prior and calibration at query time: :meth:`HoldOut.exclusions`
  (the sample's own group).

The result is written once per benchmark build (``datasets/holdout.json``) and read
by everything else through :func:`read_holdout`; no other module decides.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deepcodeseek import atomic
from deepcodeseek.datasets.near_duplicates import DEFAULT_THRESHOLD, _band_buckets, minhash_signatures
from deepcodeseek.datasets.splits import DEFAULT_FRACTIONS, HELD_OUT_SPLITS, MINED_PREFIX, mined_script, split_of
from deepcodeseek.evaluation.benchmark import Sample

DATASETS_DIR = "datasets"  # <instance root>/datasets: the benchmark splits and this file
HOLDOUT_FILE = "holdout.json"
FORMAT = 1


def script_of(sample: Sample) -> str | None:
    """The caller sys_id a mined sample was cut from (``source`` is ``mined:<sys_id>``), else None."""
    if (script := mined_script(sample.source)) is not None:
        return script
    if not sample.source and sample.id.count(":") >= 2:
        return sample.id.split(":", 1)[0]
    return None


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the smallest id leads: stable keys


@dataclass(frozen=True)
class CallContext:
    """The code before one call site, with who called what (a usage context or a sample)."""

    caller: str
    target: str
    text: str


def near_duplicate_links(contexts: Sequence[CallContext], threshold: float = DEFAULT_THRESHOLD) -> list[tuple[str, str]]:
    """Pairs of different callers with a near-duplicate context for the same target.

    MinHash with LSH banding (the benchmark de-duplication's), compared only within a
    band bucket, so the work stays near-linear in the number of contexts.
    """
    if len(contexts) < 2:
        return []
    sigs = minhash_signatures([Sample(id=str(i), code_before=c.text, target_namespace=c.target)
                               for i, c in enumerate(contexts)])
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(_band_buckets(sigs)):
        if not np.all(sigs[i] == np.iinfo(np.uint64).max):  # no tokens: no evidence
            for bucket in row.tolist():
                buckets[bucket].append(i)
    links, seen = [], set()
    for members in buckets.values():
        for x, a in enumerate(members):
            for b in members[x + 1:]:
                ca, cb = contexts[a], contexts[b]
                if ca.target != cb.target or ca.caller == cb.caller or (a, b) in seen:
                    continue
                seen.add((a, b))
                if (sigs[a] == sigs[b]).mean() >= threshold:
                    links.append((ca.caller, cb.caller))
    return links


def script_groups(scripts: Iterable[str], links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Script -> group key (the group's smallest script id), for every script named."""
    uf = _UnionFind()
    for a, b in links:
        uf.union(a, b)
    return {s: uf.find(s) for s in set(scripts) | {x for pair in uf.parent.items() for x in pair}}


@dataclass
class HoldOut:
    """Scripts grouped with their near-duplicates, and the split of every group that holds a sample."""

    groups: dict[str, str] = field(default_factory=dict)  # script -> group key
    splits: dict[str, str] = field(default_factory=dict)  # group key -> split (groups with samples)
    members: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        by_group: dict[str, set[str]] = defaultdict(set)
        for script, group in self.groups.items():
            by_group[group].add(script)
        self.members = {g: frozenset(s) for g, s in by_group.items()}

    def group_of(self, script: str) -> frozenset[str]:
        group = self.groups.get(script)
        return self.members[group] if group is not None else frozenset([script])

    def split_of_script(self, script: str) -> str | None:
        return self.splits.get(self.groups.get(script, script))

    def split_of_sample(self, sample: Sample) -> str | None:
        script = script_of(sample)
        return self.split_of_script(script) if script else None

    def exclusions(self, sample: Sample) -> frozenset[str]:
        """The scripts whose call sites may not vote for, or count towards the prior of, this sample."""
        script = script_of(sample)
        return self.group_of(script) if script else frozenset()

    def held_out(self, splits: Sequence[str] = HELD_OUT_SPLITS) -> frozenset[str]:
        """Every script of a group in ``splits``: none of them may reach a training set."""
        return frozenset(s for s, g in self.groups.items() if self.splits.get(g) in splits)

    def as_json(self) -> dict:
        return {"format": FORMAT, "groups": self.groups, "splits": self.splits}


def assign_splits(samples: Iterable[Sample], groups: dict[str, str],
                  fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0) -> HoldOut:
    """Each group holding a sample gets the split that a stable hash of its key decides.

    A script with no near-duplicate is its own group, keyed as before grouping existed
    (``mined:<sys_id>``), so existing splits do not move.
    """
    splits: dict[str, str] = {}
    complete = dict(groups)
    for sample in samples:
        script = script_of(sample)
        if script is None:
            continue
        group = complete.setdefault(script, script)
        if group not in splits:
            splits[group] = split_of(f"{MINED_PREFIX}{group}", fractions, seed)
    return HoldOut(groups=complete, splits=splits)


def write_holdout(holdout: HoldOut, folder: Path) -> Path:
    return atomic.write_json(Path(folder) / HOLDOUT_FILE, holdout.as_json(), sort_keys=True)


def read_holdout(folder: Path) -> HoldOut:
    """The instance's held-out rule; an instance without a mined benchmark holds nothing out."""
    try:
        raw = json.loads((Path(folder) / HOLDOUT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return HoldOut()
    if raw.get("format") != FORMAT:
        raise ValueError(f"{Path(folder) / HOLDOUT_FILE}: unknown format {raw.get('format')!r}; "
                         "rebuild the benchmark (deepcodeseek mine)")
    return HoldOut(groups=raw["groups"], splits=raw["splits"])


def exclusions_for(sample: Sample, holdout: HoldOut | None) -> frozenset[str]:
    """What a sample's scoring must not see: its group under ``holdout``, else its own script."""
    if holdout is not None:
        return holdout.exclusions(sample)
    script = script_of(sample)
    return frozenset([script]) if script else frozenset()
