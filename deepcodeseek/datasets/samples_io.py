"""Writing completion samples as benchmark JSONL, and FIM / prefix-only variants.

The field order is fixed so files diff cleanly between runs and read the same in a
text editor: the sample itself first, then how it was labelled (``kind``,
``clear_intent`` and the ``judge`` that decided it) and which ``split`` it belongs to.
:func:`deepcodeseek.evaluation.benchmark.read_benchmark` reads the result back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from deepcodeseek import atomic
from deepcodeseek.datasets.splits import SplitLabels, label_for
from deepcodeseek.evaluation.benchmark import Sample

FIELDS = ("id", "code_before", "code_middle", "code_after", "target_namespace", "target_method",
          "scope", "table", "source")
DEFAULT_JUDGE = "heuristic-v2"
FIM_SUFFIX = ":fim"
PREFIX_SUFFIX = ":prefix"


def sample_record(sample: Sample, *, judge: str | None = DEFAULT_JUDGE, split: str | None = None) -> dict:
    """One JSONL object. ``judge`` is only written beside a ``clear_intent`` verdict,
    since it names who gave that verdict; ``split`` only when known."""
    record = {name: getattr(sample, name) for name in FIELDS}
    record["kind"] = sample.kind
    if sample.clear_intent is not None:
        record["clear_intent"] = sample.clear_intent
        if judge:
            record["judge"] = judge
    if split is not None:
        record["split"] = split
    return record


def write_samples_jsonl(samples: Iterable[Sample], path: Path | str, *, judge: str | None = DEFAULT_JUDGE,
                        split: SplitLabels = None) -> int:
    """Write samples as JSONL; returns how many were written.

    ``split`` is one name for all samples or a mapping sample id -> split name (see
    :func:`deepcodeseek.datasets.splits.split_labels`). The file is written beside
    its destination and renamed into place, so a reader never sees half a benchmark.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with atomic.open_atomic(path, "w") as out:
        for sample in samples:
            record = sample_record(sample, judge=judge, split=label_for(split, sample.id))
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def fim_variants(samples: Iterable[Sample]) -> list[Sample]:
    """Each sample twice: fill-in-the-middle (``:fim``, code after the cursor kept) and
    prefix-only (``:prefix``, code after removed), so one benchmark measures how much
    the code after the cursor helps. Both keep the source, so they share a split."""
    out: list[Sample] = []
    for sample in samples:
        out.append(replace(sample, id=sample.id + FIM_SUFFIX))
        out.append(replace(sample, id=sample.id + PREFIX_SUFFIX, code_after=""))
    return out
