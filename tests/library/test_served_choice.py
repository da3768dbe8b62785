"""The choice of what serves is carried over warm starts of one lineage, and made again past its bounds."""

from __future__ import annotations

import json

import pytest

from deepcodeseek.carry import fingerprint
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
    assert carried_choice(root, "lineage-a", fingerprint(TEXTS), STUDENTS) is None  # nothing on record
    record_choice(root, "lineage-a", choice, fingerprint(TEXTS))

    carried = carried_choice(root, "lineage-a", fingerprint(_edited(3)), STUDENTS)
    assert carried is not None and carried.encoder == "static" and carried.paired and carried.version == "v1"
    assert carried.change == pytest.approx(0.03) and carried.measured == [{"name": "teacher"}]
    # The change counts from the choice, not from the last build that carried it.
    assert CHOICE_CHANGE == pytest.approx(0.10)
    assert carried_choice(root, "lineage-a", fingerprint(_edited(10)), STUDENTS) is not None
    assert carried_choice(root, "lineage-a", fingerprint(_edited(11)), STUDENTS) is None
    assert carried_choice(root, "lineage-b", fingerprint(TEXTS), STUDENTS) is None  # another lineage
    assert carried_choice(root, "lineage-a", fingerprint(TEXTS), ["static"]) is None  # other students to choose among
    assert carried_choice(root, "lineage-a", fingerprint(TEXTS), None) is not None  # students not checked
    assert carried_choice(root, "lineage-a", None, STUDENTS) is None  # no fingerprint: nothing to count from
    forget_choice(root)
    assert carried_choice(root, "lineage-a", fingerprint(TEXTS), STUDENTS) is None
