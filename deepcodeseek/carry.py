"""Carry a fitted stage over a small change of the instance, instead of fitting it again.

Every stage that fits or measures something (the query students, the learned ranker and
its A/B against the fusion, the rerankers) keeps its result under a key of exactly what
it read (``deepcodeseek.measured``). A 1% change of the records changes every such key,
so each stage fitted again in full: 65% of a full build at 2.6k namespaces, for an
instance that is 99% what the stages learned from.

So each fit is also recorded with the instance's *fingerprint* when it was made: a hash
per document text and per usage context. When a stage's exact key is new, but its
last fit was made with the same settings and teacher (``compatible``) and the
fingerprint has changed by at most ``KEEP_CHANGE`` since then, the fit is carried over
as it is. The change is always counted from the fit's own fingerprint, so carried
changes add up, and the first build that passes the bound fits again (and records a new
fingerprint). The tuned embedder keeps its model by a bound of its own, on its examples
(``training.warm_start.KEEP_MODEL_CHANGE``): a stage keyed by the model can be carried only
while the model is kept, and past the stages' bound it fits again on the kept model.

A carried fit must also keep the held-out rule. A change can move a script that a fit learned
from into a calibration, dev or test group: an edit near a call site links it to a held-out
near-duplicate, or a new sample gives its group a split. Carried, that fit would be measured on
what it learned. So the fingerprint also names every script the fits may learn from (a caller
of a usage context outside the held-out groups), and a fit is never carried while one of its
scripts is held out now (:func:`learned_now_held_out`). A fingerprint without those names (a fit
recorded before the rule) cannot say what its fit learned, so it is not carried either.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from deepcodeseek import atomic
from deepcodeseek.measured import MEASURED_DIR, keep, read_back

KEEP_CHANGE = 0.02  # share of the data changed since a fit: at most this, the fit is kept (the tuned model
# has a bound of its own, training.warm_start.KEEP_MODEL_CHANGE, counted in its examples)
CARRY_PREFIX = "fit-"  # <instance root>/measured/fit-<stage>.json and .npy


@dataclass(frozen=True)
class Fit:
    """A stage's last real fit: what it must match, and where its result is stored now."""

    stage: str
    compatible: str  # digest of the settings and models the result depends on, data aside
    key: str  # the latest key its result is stored under (the fit's own, or a carried one)
    fitted_key: str  # the key the stage really fitted under
    carried: int = 0  # builds that carried it since it was fitted
    change: float = 0.0  # share of the fingerprint changed since the fit, at the last carry


def compatible_digest(*parts: object) -> str:
    """What must not differ for a result to carry over: models, settings, code versions."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _hashes(texts: Iterable[str]) -> np.ndarray:
    """A 64-bit hash per text, in order."""
    return np.array([int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little") for t in texts],
                    dtype=np.uint64)


def fingerprint(texts: Iterable[str]) -> np.ndarray:
    """Sorted unique 64-bit hashes of ``texts`` (document text hashes, usage contexts, trainable scripts)."""
    return np.unique(_hashes(texts))


SCRIPTS_NAMED = "format\x00trainable scripts named"  # in every fingerprint that names its trainable scripts


def script_entry(sys_id: str) -> str:
    """A trainable script's entry in the fingerprint."""
    return f"script\x00{sys_id}"


def held_out_now(root: Path) -> frozenset[str]:
    """The scripts of the instance's calibration, dev and test groups, as its last benchmark build wrote them."""
    from deepcodeseek.datasets.holdout import DATASETS_DIR, read_holdout

    return read_holdout(Path(root) / DATASETS_DIR).held_out()


def instance_fingerprint(store, root: Path) -> np.ndarray:
    """The instance's documents (by text hash), usage contexts (caller, target, text), and the scripts
    the fits may learn from: the contexts' callers outside the held-out groups (``root``'s holdout)."""
    from deepcodeseek.documents import load_documents
    from deepcodeseek.index.contexts import load_usage_contexts

    held_out = held_out_now(root)
    contexts = load_usage_contexts(store)
    docs = (f"doc\x00{d['text_hash']}" for d in load_documents(store))
    texts = (f"ctx\x00{c.caller_sys_id}\x00{c.target_sys_id}\x00{c.text}" for c in contexts)
    scripts = (script_entry(s) for s in {c.caller_sys_id for c in contexts} - held_out)  # each script once
    return fingerprint([*docs, *texts, *scripts, SCRIPTS_NAMED])


def learned_now_held_out(root: Path, then: np.ndarray) -> list[str] | None:
    """The scripts that a fit made at fingerprint ``then`` could learn from and that are held out now (an
    empty list: none); None when ``then`` does not name its scripts, so nothing can be said."""
    if not len(np.intersect1d(then, fingerprint([SCRIPTS_NAMED]), assume_unique=True)):
        return None
    held = sorted(held_out_now(root))
    if not held:
        return []
    entries = _hashes([script_entry(s) for s in held])
    return [s for s, inside in zip(held, np.isin(entries, then)) if inside]


def may_carry(root: Path, then: np.ndarray) -> bool:
    """The held-out rule for carrying a fit made at ``then``: it names its scripts, and none is held out now."""
    learned = learned_now_held_out(root, then)
    return learned is not None and not learned


def change_between(before: np.ndarray, after: np.ndarray) -> float:
    """The larger of the share of ``after`` that is new and the share of ``before`` that is gone:
    an edited text counts once, as do an added and a removed one."""
    if not len(before) or not len(after):
        return 0.0 if len(before) == len(after) else 1.0
    new = len(np.setdiff1d(after, before, assume_unique=True)) / len(after)
    gone = len(np.setdiff1d(before, after, assume_unique=True)) / len(before)
    return max(new, gone)


def _paths(root: Path, stage: str) -> tuple[Path, Path]:
    folder = Path(root) / MEASURED_DIR
    return folder / f"{CARRY_PREFIX}{stage}.json", folder / f"{CARRY_PREFIX}{stage}.npy"


def last_fit(root: Path, stage: str) -> tuple[Fit, np.ndarray] | None:
    record, prints = _paths(root, stage)
    try:
        fit = Fit(**json.loads(record.read_text(encoding="utf-8")))
        return fit, np.load(prints, allow_pickle=False)
    except (OSError, TypeError, ValueError):
        return None


def carried_fit(root: Path, stage: str, compatible: str, now: np.ndarray) -> tuple[Fit, float] | None:
    """The stage's last fit and the change since it, when it may serve for ``now``; None to fit again."""
    found = last_fit(root, stage)
    if found is None:
        return None
    fit, then = found
    if fit.compatible != compatible or not may_carry(root, then):
        return None
    change = change_between(then, now)
    return (fit, change) if change <= KEEP_CHANGE else None


def record_fit(root: Path, stage: str, compatible: str, key: str, now: np.ndarray) -> Fit:
    """A real fit under ``key``: later builds measure their change from ``now``."""
    record, prints = _paths(root, stage)
    fit = Fit(stage=stage, compatible=compatible, key=key, fitted_key=key)
    buffer = io.BytesIO()
    np.save(buffer, now, allow_pickle=False)
    atomic.write_bytes(prints, buffer.getvalue())
    atomic.write_json(record, asdict(fit), indent=2)
    return fit


def adopt_fit(root: Path, stage: str, compatible: str, key: str, now: np.ndarray) -> None:
    """A result read back for exactly these inputs becomes the stage's fit when it has no compatible one
    (a home built before fits were recorded, or after a settings change): the next small change can
    carry it. A fit of exactly this result whose fingerprint does not name its scripts (recorded before
    the held-out rule applied to carries) is recorded again with ``now``: its key covers the splits, so
    it learned from exactly the scripts trainable now."""
    found = last_fit(root, stage)
    if found is None or found[0].compatible != compatible:
        record_fit(root, stage, compatible, key, now)
    elif found[0].key == found[0].fitted_key == key and learned_now_held_out(root, found[1]) is None:
        record_fit(root, stage, compatible, key, now)


def record_carry(root: Path, fit: Fit, key: str, change: float) -> Fit:
    """The fit now also stands under ``key`` (one more build carried it); its fingerprint stays the fit's."""
    record, _ = _paths(root, fit.stage)
    carried = Fit(stage=fit.stage, compatible=fit.compatible, key=key, fitted_key=fit.fitted_key,
                  carried=fit.carried + 1, change=round(change, 4))
    atomic.write_json(record, asdict(carried), indent=2)
    return carried


@dataclass(frozen=True)
class Carry:
    """What a stage's result depends on besides the data (``compatible``), and the data now."""

    compatible: str
    now: np.ndarray


def remembered_or_carried(root: Path, stage: str, key: str, measure: Callable[[], dict], carry: Carry | None,
                          usable: Callable[[dict], bool] = lambda result: True) -> tuple[dict, str]:
    """``deepcodeseek.measured.remembered`` that may also carry the stage's last fit over a small change.

    Returns the result and how it came: ``"read back"`` (this key before), ``"carried"``
    (the last compatible fit, the data changed by at most ``KEEP_CHANGE`` since) or
    ``"measured"`` (fitted now, and recorded as the stage's new fit).
    """
    found = recalled(root, stage, key, carry, usable)
    if found is not None:
        return found
    result = measure()
    keep_measured(root, stage, key, result, carry)
    return result, "measured"


def recalled(root: Path, stage: str, key: str, carry: Carry | None,
             usable: Callable[[dict], bool] = lambda result: True) -> tuple[dict, str] | None:
    """:func:`remembered_or_carried`'s result where it needs no measuring (``"read back"`` or
    ``"carried"``, recorded as it records them); None where it must be measured. Several stages
    measured in one pass look each up first, then :func:`keep_measured` what the pass measured."""
    stored = read_back(root, stage, key, usable)
    if stored is not None:
        if carry is not None:
            adopt_fit(root, stage, carry.compatible, key, carry.now)
        return stored, "read back"
    if carry is not None:
        found = carried_fit(root, stage, carry.compatible, carry.now)
        prior = read_back(root, stage, found[0].key, usable) if found else None
        if found and prior is not None:
            keep(root, stage, key, prior)
            record_carry(root, found[0], key, found[1])
            return prior, "carried"
    return None


def keep_measured(root: Path, stage: str, key: str, result: dict, carry: Carry | None) -> None:
    """Store a result measured under ``key``, and record it as the stage's fit for later carries."""
    keep(root, stage, key, result)
    if carry is not None:
        record_fit(root, stage, carry.compatible, key, carry.now)
