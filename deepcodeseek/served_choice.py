"""Carry the choice of what serves (which query encoder, with which ranker) over a warm start.

A build fits two kinds of things: what serves (the tuned embedder, the served query
student distilled from it, the ranker trained on that student's similarities) and a
*choice* among alternatives (seven students trained and measured on calibration, measured
again through the first ranker, and four cheap students each given a ranker of its own
and A/B-tested). A change past ``training.warm_start.KEEP_MODEL_CHANGE`` warm-starts the
embedder, and every stage keyed by the model fitted again: at 10,000 namespaces a 1% change
(then past the bound, 2%) cost 59% of a full build, much of it spent on students and rankers
that did not serve.

What serves must follow the new model: its student is distilled again from the new
teacher, its ranker trained again on the new similarities, and that ranker's A/B against
the fusion measured again. The choice need not: it was measured on calibration with a
model of the same lineage (a warm start continues the model the choice was measured
with, ``training.warm_start``), on an instance that has changed by at most
``CHOICE_CHANGE`` since. So such a build trains only what serves.

The next build chooses again when the embedder trains from its base (a new lineage:
after ``MAX_GENERATIONS`` warm starts, or 30% of change), when the instance has changed
by more than ``CHOICE_CHANGE`` since the choice (counted from the choice, so carried
changes add up), when the students' settings change, or when the served ranker loses
its A/B against the fusion.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from deepcodeseek.carry import CARRY_PREFIX, change_between, compatible_digest, last_fit, may_carry, record_fit
from deepcodeseek.measured import MEASURED_DIR, keep, read_back

CHOICE_STAGE = "served-choice"  # <instance root>/measured/fit-served-choice.json and served-choice-<version>.json
# The warm start's own bound on one change (``training.warm_start.MAX_CHANGE``): past it the embedder
# trains from its base, and the choice is measured again with it.
CHOICE_CHANGE = 0.10


@dataclass(frozen=True)
class ServedChoice:
    """A build's choice of what serves, as measured on its calibration split."""

    encoder: str  # the query encoder that served: a student's name, or "teacher"
    paired: bool  # served with a ranker trained on its own similarities (``ranking.pairing``)
    version: str  # the version the choice was measured for
    students: list[str]  # the students the choice was made among (their settings must match)
    ranker_config: str  # digest of the ranker's settings the choice was made with
    measured: list[dict] = field(default_factory=list)  # the students through the ranker (StudentMeasurement)
    change: float = 0.0  # the instance's change since the choice, where it is carried


def lineage_root(models_dir: Path, model: str) -> str:
    """The fully trained model a warm-started one descends from (``model`` itself when it trained from its base)."""
    from deepcodeseek.training.warm_start import Lineage

    seen = {model}
    while (lineage := Lineage.load(Path(models_dir) / model)) is not None and lineage.parent:
        if lineage.parent in seen:  # a cycle is a corrupt lineage: stop at it rather than loop
            break
        model = lineage.parent
        seen.add(model)
    return model


def choice_compatible(home: Path, base_model: str, tuned_model: str | None) -> str | None:
    """What a choice must share with this build to be carried: the base model and the tuned model's
    lineage. None without a tuned model: the base model never warm-starts, so nothing is carried."""
    if not tuned_model:
        return None
    from deepcodeseek.index.embedder import MODELS_DIR

    return compatible_digest(CHOICE_STAGE, base_model, lineage_root(Path(home) / MODELS_DIR, tuned_model))


def carried_choice(root: Path, compatible: str | None, now: np.ndarray | None,
                   students: list[str] | None) -> ServedChoice | None:
    """The last choice, when this build may serve it without choosing again: same lineage, the same
    students to choose among (None: not checked), and at most ``CHOICE_CHANGE`` of the instance
    changed since it was made, none of the scripts it learned from held out now (``carry.may_carry``)."""
    if compatible is None or now is None:
        return None
    found = last_fit(root, CHOICE_STAGE)
    if found is None or found[0].compatible != compatible or not may_carry(root, found[1]):
        return None
    change = change_between(found[1], now)
    stored = read_back(root, CHOICE_STAGE, found[0].key)
    if change > CHOICE_CHANGE or stored is None:
        return None
    try:
        choice = ServedChoice(**{**stored, "change": round(change, 4)})
    except TypeError:  # written by another version of this record: choose again
        return None
    return choice if students is None or sorted(choice.students) == sorted(students) else None


def record_choice(root: Path, compatible: str, choice: ServedChoice, now: np.ndarray) -> None:
    """This build's choice, measured now: later builds count their change from ``now``."""
    keep(root, CHOICE_STAGE, choice.version, asdict(choice))
    record_fit(root, CHOICE_STAGE, compatible, choice.version, now)


def forget_choice(root: Path) -> None:
    """The next build chooses again (the carried choice's ranker lost its A/B, or the ranker no longer serves)."""
    for name in (f"{CARRY_PREFIX}{CHOICE_STAGE}.json", f"{CARRY_PREFIX}{CHOICE_STAGE}.npy"):
        (Path(root) / MEASURED_DIR / name).unlink(missing_ok=True)
