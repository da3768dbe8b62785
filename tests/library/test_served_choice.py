"""The choice of what serves is carried over warm starts of one lineage, and made again past its bounds."""

from __future__ import annotations

import json

import pytest

from deepcodeseek.carry import SCRIPTS_NAMED, fingerprint
from deepcodeseek.served_choice import (
    CHOICE_CHANGE,
    ServedChoice,
    carried_choice,
    choice_compatible,
    forget_choice,
    lineage_root,
    record_choice,
)
from deepcodeseek.training.warm_start import LINEAGE_FILE

TEXTS = [f"doc {i}" for i in range(100)]


def _prints(texts: list[str]):
    """A fingerprint that names its trainable scripts (none here), as ``carry.instance_fingerprint`` makes it."""
    return fingerprint([*texts, SCRIPTS_NAMED])
STUDENTS = ["static", "teacher-onnx-int8"]


def _model(models, name: str, parent: str = "") -> None:
    (models / name).mkdir(parents=True)
    (models / name / LINEAGE_FILE).write_text(json.dumps(
        {"base": "base", "config": {}, "example_keys": [], "parent": parent, "generation": int(bool(parent))}))


def _edited(n: int) -> list[str]:
    return [f"{t} (edited)" if i < n else t for i, t in enumerate(TEXTS)]


def test_a_warm_started_model_belongs_to_the_lineage_of_the_model_it_continues(tmp_path):
    models = tmp_path / "models"
    _model(models, "full")
    _model(models, "warm-1", parent="full")
    _model(models, "warm-2", parent="warm-1")
    _model(models, "retrained")  # trained from its base again: a lineage of its own
    assert lineage_root(models, "warm-2") == lineage_root(models, "full") == "full"
    assert lineage_root(models, "retrained") == "retrained" and lineage_root(models, "gone") == "gone"
    home = tmp_path
    assert choice_compatible(home, "base", "warm-2") == choice_compatible(home, "base", "full")
    assert choice_compatible(home, "base", "retrained") != choice_compatible(home, "base", "full")
    assert choice_compatible(home, "base", None) is None  # no tuned model: nothing warm-starts


def test_a_choice_is_carried_until_the_instance_has_changed_by_more_than_its_bound(tmp_path):
    root = tmp_path / "acme"
    choice = ServedChoice("static", True, "v1", STUDENTS, "cfg", measured=[{"name": "teacher"}])
    assert carried_choice(root, "lineage-a", _prints(TEXTS), STUDENTS) is None  # nothing on record
    record_choice(root, "lineage-a", choice, _prints(TEXTS))

    carried = carried_choice(root, "lineage-a", _prints(_edited(3)), STUDENTS)
    assert carried is not None and carried.encoder == "static" and carried.paired and carried.version == "v1"
    assert carried.change == pytest.approx(3 / 101, abs=1e-4) and carried.measured == [{"name": "teacher"}]
    # The change counts from the choice, not from the last build that carried it.
    assert CHOICE_CHANGE == pytest.approx(0.10)
    assert carried_choice(root, "lineage-a", _prints(_edited(10)), STUDENTS) is not None
    assert carried_choice(root, "lineage-a", _prints(_edited(11)), STUDENTS) is None
    assert carried_choice(root, "lineage-b", _prints(TEXTS), STUDENTS) is None  # another lineage
    assert carried_choice(root, "lineage-a", _prints(TEXTS), ["static"]) is None  # other students to choose among
    assert carried_choice(root, "lineage-a", _prints(TEXTS), None) is not None  # students not checked
    assert carried_choice(root, "lineage-a", None, STUDENTS) is None  # no fingerprint: nothing to count from
    forget_choice(root)
    assert carried_choice(root, "lineage-a", _prints(TEXTS), STUDENTS) is None


def test_a_choice_made_on_a_script_now_held_out_is_made_again(tmp_path):
    from deepcodeseek.carry import script_entry
    from deepcodeseek.datasets.holdout import DATASETS_DIR, HoldOut, write_holdout

    root = tmp_path / "acme"
    then = fingerprint([*TEXTS, script_entry("s1"), script_entry("s2"), SCRIPTS_NAMED])
    record_choice(root, "lineage-a", ServedChoice("static", True, "v1", STUDENTS, "cfg"), then)
    assert carried_choice(root, "lineage-a", then, STUDENTS) is not None
    write_holdout(HoldOut(groups={"s2": "s2"}, splits={"s2": "dev"}), root / DATASETS_DIR)  # s2 now a dev script
    now = fingerprint([*TEXTS, script_entry("s1"), SCRIPTS_NAMED])
    assert carried_choice(root, "lineage-a", now, STUDENTS) is None
    record_choice(root, "lineage-a", ServedChoice("static", True, "v2", STUDENTS, "cfg"), fingerprint(TEXTS))
    assert carried_choice(root, "lineage-a", fingerprint(TEXTS), STUDENTS) is None  # it cannot say what it learned
