"""A fitted stage is carried over a small change of the instance, and fitted again once the changes add up."""

from __future__ import annotations

import numpy as np
import pytest

from deepcodeseek.carry import (
    KEEP_CHANGE,
    SCRIPTS_NAMED,
    Carry,
    change_between,
    fingerprint,
    last_fit,
    learned_now_held_out,
    remembered_or_carried,
    script_entry,
)
from deepcodeseek.datasets.holdout import DATASETS_DIR, HoldOut, write_holdout

TEXTS = [f"doc {i}" for i in range(200)]


def _prints(texts: list[str], scripts: tuple[str, ...] = ()) -> np.ndarray:
    """An instance's fingerprint as ``instance_fingerprint`` makes it: its texts, the scripts a fit may
    learn from, and the mark that says they are named."""
    return fingerprint([*texts, *(script_entry(s) for s in scripts), SCRIPTS_NAMED])


def _edited(n: int, texts: list[str] = TEXTS) -> list[str]:
    """``texts`` with the first ``n`` rewritten."""
    return [f"{t} (edited)" if i < n else t for i, t in enumerate(texts)]


def test_the_change_counts_what_is_new_and_what_is_gone():
    before = fingerprint(TEXTS)
    assert fingerprint(reversed(TEXTS)).tolist() == before.tolist()  # a set: order does not matter
    assert change_between(before, before) == 0.0
    assert change_between(before, fingerprint(_edited(1))) == pytest.approx(1 / 200)  # an edit counts once
    assert change_between(before, fingerprint(TEXTS[:190])) == pytest.approx(10 / 200)  # removed
    assert change_between(before, fingerprint(TEXTS + ["more"] * 1 + ["x", "y"])) == pytest.approx(3 / 203)  # added
    assert change_between(fingerprint([]), fingerprint([])) == 0.0 and change_between(before, fingerprint([])) == 1.0


def test_a_fit_is_carried_while_the_changes_since_it_stay_small(tmp_path):
    fits = []

    def measure():
        fits.append(1)
        return {"fit": len(fits)}

    def run(key, texts, compatible="teacher-a"):
        return remembered_or_carried(tmp_path, "students", key, measure, Carry(compatible, _prints(texts)))

    assert run("k0", TEXTS) == ({"fit": 1}, "measured")
    assert run("k0", TEXTS) == ({"fit": 1}, "read back")  # no change: nothing fitted
    assert run("k1", _edited(2)) == ({"fit": 1}, "carried")  # 1% of the texts edited
    fit, _ = last_fit(tmp_path, "students")
    assert fit.key == "k1" and fit.fitted_key == "k0" and fit.carried == 1 and fit.change == pytest.approx(0.01)
    assert run("k1", _edited(2)) == ({"fit": 1}, "read back")  # the carried key reads back on a no-change reindex
    # Four texts edited since the fit is 2%: still carried. The change counts from the fit, not the last carry.
    assert 4 / 200 == KEEP_CHANGE
    assert run("k2", _edited(4)) == ({"fit": 1}, "carried")
    assert run("k3", _edited(5)) == ({"fit": 2}, "measured")  # 2.5% since the fit: fitted again
    fit, then = last_fit(tmp_path, "students")
    assert fit.fitted_key == "k3" and fit.carried == 0 and then.tolist() == _prints(_edited(5)).tolist()
    assert run("k4", _edited(6), compatible="teacher-b") == ({"fit": 3}, "measured")  # another teacher


def test_a_carried_result_whose_artefacts_are_gone_is_fitted_again(tmp_path):
    carry = Carry("teacher-a", _prints(TEXTS))
    remembered_or_carried(tmp_path, "students", "k0", lambda: {"folder": "gone"}, carry)
    result, how = remembered_or_carried(tmp_path, "students", "k1", lambda: {"folder": "new"},
                                        Carry("teacher-a", _prints(_edited(1))),
                                        usable=lambda r: r["folder"] != "gone")
    assert (result, how) == ({"folder": "new"}, "measured")


def test_a_result_read_back_before_fits_were_recorded_becomes_the_fit(tmp_path):
    """A home built before this rule has results but no fit: reading one back adopts it, so the next
    small change carries it instead of fitting again."""
    remembered_or_carried(tmp_path, "students", "k0", lambda: {"fit": 1}, None)  # no record kept
    assert last_fit(tmp_path, "students") is None
    assert remembered_or_carried(tmp_path, "students", "k0", lambda: {"fit": 2},
                                 Carry("t", _prints(TEXTS)))[1] == "read back"
    assert last_fit(tmp_path, "students")[0].fitted_key == "k0"
    assert remembered_or_carried(tmp_path, "students", "k1", lambda: {"fit": 2},
                                 Carry("t", _prints(_edited(1))))[1] == "carried"


def test_fingerprints_are_uint64_sets():
    prints = fingerprint(["a", "b", "a"])
    assert prints.dtype == np.uint64 and len(prints) == 2 and np.all(np.diff(prints.astype(np.float64)) > 0)


def test_a_fit_whose_script_a_change_moved_into_a_held_out_group_is_fitted_again(tmp_path):
    """An edit near a call site can link a training script to a dev script's near-duplicate: carried,
    the fit would be measured on what it learned. A small change otherwise, so only the rule refits."""
    scripts = tuple(f"script{i}" for i in range(20))
    fits = []

    def run(key, held: set[str]):
        write_holdout(HoldOut(groups={s: "script0" for s in held}, splits={"script0": "dev"} if held else {}),
                      tmp_path / DATASETS_DIR)
        trainable = tuple(s for s in scripts if s not in held)
        return remembered_or_carried(tmp_path, "ranker", key, lambda: fits.append(1) or {"fit": len(fits)},
                                     Carry("t", _prints(_edited(1 if key != "k0" else 0), trainable)))

    assert run("k0", set()) == ({"fit": 1}, "measured")
    then = last_fit(tmp_path, "ranker")[1]
    assert learned_now_held_out(tmp_path, then) == []
    write_holdout(HoldOut(groups={"script3": "script0", "script0": "script0"}, splits={"script0": "dev"}),
                  tmp_path / DATASETS_DIR)
    assert learned_now_held_out(tmp_path, then) == ["script0", "script3"]
    assert run("k1", {"script0", "script3"}) == ({"fit": 2}, "measured")
    assert run("k2", {"script0", "script3", "new-script"}) == ({"fit": 2}, "carried")  # a script it never learned


def test_a_fit_recorded_before_its_scripts_were_named_is_not_carried(tmp_path):
    remembered_or_carried(tmp_path, "students", "k0", lambda: {"fit": 1}, Carry("t", fingerprint(TEXTS)))
    assert learned_now_held_out(tmp_path, last_fit(tmp_path, "students")[1]) is None  # cannot say what it learned
    assert remembered_or_carried(tmp_path, "students", "k1", lambda: {"fit": 2},
                                 Carry("t", _prints(_edited(1))))[1] == "measured"


def test_a_no_change_reindex_names_the_scripts_of_a_fit_recorded_before(tmp_path):
    """Read back for exactly its key, the fit learned from exactly the scripts trainable now (the key covers
    the splits): it is recorded again with today's fingerprint, and the next small change carries it."""
    remembered_or_carried(tmp_path, "students", "k0", lambda: {"fit": 1}, Carry("t", fingerprint(TEXTS)))
    assert remembered_or_carried(tmp_path, "students", "k0", lambda: {"fit": 2},
                                 Carry("t", _prints(TEXTS, ("s1",))))[1] == "read back"
    fit, then = last_fit(tmp_path, "students")
    assert fit.fitted_key == "k0" and learned_now_held_out(tmp_path, then) == []
    assert remembered_or_carried(tmp_path, "students", "k1", lambda: {"fit": 2},
                                 Carry("t", _prints(_edited(1), ("s1",))))[1] == "carried"
