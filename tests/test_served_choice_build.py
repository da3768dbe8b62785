"""On the built sample: a build that may carry the last choice trains only what serves, and measures no alternative."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from deepcodeseek.carry import SCRIPTS_NAMED, compatible_digest, fingerprint, instance_fingerprint
from deepcodeseek.encoders import measure as measure_module
from deepcodeseek.encoders import pipeline as encoder_pipeline
from deepcodeseek.encoders.pipeline import CPU_STUDENTS, stage_query_encoder
from deepcodeseek.encoders.students import DEFAULT_STUDENTS
from deepcodeseek.index.release import build_version
from deepcodeseek.measured import MEASURED_DIR
from deepcodeseek.paths import instance_paths
from deepcodeseek.ranking import pairing as pairing_module
from deepcodeseek.ranking import training as ranker_training
from deepcodeseek.ranking.ranker import RankerConfig
from deepcodeseek.served_choice import ServedChoice, carried_choice, choice_compatible, record_choice
from deepcodeseek.store import InstanceStore
from deepcodeseek.training.adapt import read_adapted_model

SERVED = "static"  # the choice on record: the static student with a ranker of its own
WON = {"ranker": {"top@1": 0.5, "top@5": 0.8, "mrr@40": 0.6}, "fusion": {"top@1": 0.4, "top@5": 0.7, "mrr@40": 0.5}}
LOST = {"ranker": WON["fusion"], "fusion": WON["ranker"]}


@pytest.fixture
def carried(built_sample, tmp_path, monkeypatch):
    """A copy of the sample whose last choice (made for an earlier version of the same lineage) is on
    record, and whose query encoders must be trained again, as after a warm start of the embedder: the
    stage's kept results and fit are gone. Measuring a student fails the test."""
    home = Path(shutil.copytree(built_sample, tmp_path / "home", symlinks=True))
    paths = instance_paths("sample", home)
    store = InstanceStore(paths.database)
    base, tuned = "all-MiniLM-L6-v2", read_adapted_model(paths)
    measured_dir = paths.root / MEASURED_DIR
    kept = [json.loads(p.read_text()) for p in measured_dir.glob("query_encoders-*.json")]
    for stale in [*measured_dir.glob("query_encoders-*.json"), *measured_dir.glob("fit-query_encoders.*"),
                  *measured_dir.glob("fit-served-choice.*")]:
        stale.unlink()
    students = [s.name for s in DEFAULT_STUDENTS if s.name in CPU_STUDENTS]
    now = instance_fingerprint(store, paths.root)  # the choice was made before three texts changed
    edited = np.setdiff1d(now, fingerprint([SCRIPTS_NAMED]))[:3]
    then = np.unique(np.concatenate([np.setdiff1d(now, edited), fingerprint(["an edit", "another", "a third"])]))
    record_choice(paths.root, choice_compatible(home, base, tuned), ServedChoice(
        SERVED, True, "an-earlier-version", students, compatible_digest(asdict(RankerConfig())),
        measured=kept[0]["measured"]), then)

    def measured_again(*args, **kwargs):
        raise AssertionError("a student was measured again although the choice was carried")

    monkeypatch.setattr(measure_module, "measure_students", measured_again)
    return paths, store, base, tuned


def test_a_carried_choice_trains_only_the_served_student_and_its_ranker(carried, monkeypatch):
    paths, store, base, tuned = carried
    choice = stage_query_encoder(store, paths, base, tuned, device="cpu")
    assert choice.how == "choice carried" and choice.chosen == SERVED and set(choice.students) == {SERVED}
    assert choice.carried_choice["from_version"] == "an-earlier-version" and choice.carried_choice["paired"]
    assert 0 < choice.carried_choice["change"] < 0.1
    assert choice.calibration  # the figures the choice was made with, kept for the report
    manifest = build_version(store, paths, base, tuned)[0]
    assert manifest["query_encoder"]["name"] == SERVED and manifest["query_encoders"]["carried_choice"]

    monkeypatch.setattr(encoder_pipeline, "rechoose_for_default", lambda *a, **k: pytest.fail("students measured again"))
    monkeypatch.setattr(pairing_module, "pair_cheaper_students", lambda *a, **k: pytest.fail("pairs trained again"))
    monkeypatch.setattr(ranker_training, "decide_default", lambda *a, **k: ("ranker", WON))
    outcome = ranker_training.stage_ranked_version(store, paths, base, tuned, RankerConfig())
    assert outcome.default_method == "ranker" and outcome.pairing is None and "serves on" in outcome.note
    staged = build_version(store, paths, base, tuned)[0]
    # The ranker that serves was fitted for this version, on the served student's similarities.
    assert staged["query_encoder"]["name"] == SERVED and staged["paired_query_encoder"] is None
    assert staged["ranker"]["folder"] == f"ranker-{outcome.ranker.summary.key[:16]}"
    assert not staged["ranker"].get("fitted_key") and staged["ranker_calibration"] == WON
    assert (paths.version_dir(staged["version"]) / staged["ranker"]["folder"] / "model.txt").exists()
    # The choice stays on record, its change still counted from when it was made.
    now = instance_fingerprint(store, paths.root)
    assert carried_choice(paths.root, choice_compatible(paths.home, base, tuned), now, None).version == \
        "an-earlier-version"


def test_a_carried_choice_whose_ranker_loses_its_ab_is_made_again_by_the_next_build(carried, monkeypatch):
    paths, store, base, tuned = carried
    stage_query_encoder(store, paths, base, tuned, device="cpu")
    monkeypatch.setattr(ranker_training, "decide_default", lambda *a, **k: ("fusion", LOST))
    outcome = ranker_training.stage_ranked_version(store, paths, base, tuned, RankerConfig())
    assert outcome.default_method == "fusion" and "measures every student" in outcome.note
    now = instance_fingerprint(store, paths.root)
    assert carried_choice(paths.root, choice_compatible(paths.home, base, tuned), now, None) is None
