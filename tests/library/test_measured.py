"""Measured stages are read back when what they measured has not changed, and measured again when it has."""

from __future__ import annotations

import json

from deepcodeseek.measured import KEEP_PER_STAGE, MEASURED_DIR, file_digest, inputs_key, remembered


def test_a_result_is_measured_once_per_key_and_its_artefacts_are_checked(tmp_path):
    calls = []

    def measure():
        calls.append(1)
        return {"p50_ms": 4.2 + len(calls), "folder": "x"}

    key = inputs_key({"version": "v1", "published_at": 1.0}, "stage", {"n": 3})
    assert key == inputs_key({"version": "v1", "published_at": 2.0}, "stage", {"n": 3})  # the time is not an input
    assert key != inputs_key({"version": "v2", "published_at": 1.0}, "stage", {"n": 3})
    first, reused = remembered(tmp_path, "stage", key, measure)
    assert not reused and first["p50_ms"] == 5.2
    again, reused = remembered(tmp_path, "stage", key, measure)
    assert reused and again == first and len(calls) == 1  # the same timing comes back, not a new one
    gone, reused = remembered(tmp_path, "stage", key, measure, usable=lambda r: False)  # its model was deleted
    assert not reused and gone["p50_ms"] == 6.2 and len(calls) == 2


def test_an_unreadable_result_is_measured_again_and_old_keys_are_pruned(tmp_path):
    (tmp_path / MEASURED_DIR).mkdir()
    (tmp_path / MEASURED_DIR / "stage-k0.json").write_text("{not json")
    result, reused = remembered(tmp_path, "stage", "k0", lambda: {"ok": True})
    assert not reused and json.loads((tmp_path / MEASURED_DIR / "stage-k0.json").read_text()) == {"ok": True}
    for i in range(1, KEEP_PER_STAGE + 3):
        remembered(tmp_path, "stage", f"k{i}", lambda: {"i": 1})
    assert len(list((tmp_path / MEASURED_DIR).glob("stage-*.json"))) == KEEP_PER_STAGE


def test_file_digest_follows_content(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("one")
    before = file_digest(a, tmp_path / "absent.jsonl")
    a.write_text("two")
    assert file_digest(a, tmp_path / "absent.jsonl") != before


def test_a_stage_whose_name_starts_another_stages_name_prunes_only_its_own_results(tmp_path):
    # One stage per paired student: "paired_default-static" must not prune "paired_default-static-mlp".
    for n in range(KEEP_PER_STAGE):
        remembered(tmp_path, "paired_default-static-mlp", inputs_key({}, "mlp", n), lambda: {"n": 1})
    for n in range(KEEP_PER_STAGE + 2):
        remembered(tmp_path, "paired_default-static", inputs_key({}, "static", n), lambda: {"n": 2})
    folder = tmp_path / MEASURED_DIR
    assert len(list(folder.glob("paired_default-static-mlp-*.json"))) == KEEP_PER_STAGE
    assert len(list(folder.glob("paired_default-static-*.json"))) == 2 * KEEP_PER_STAGE
    for n in range(KEEP_PER_STAGE):
        assert remembered(tmp_path, "paired_default-static-mlp", inputs_key({}, "mlp", n), lambda: {"n": 3})[1]
