"""Benchmarks written elsewhere read back; bad lines are named and skipped, never scored."""

from __future__ import annotations

import json

import pytest

from deepcodeseek.evaluation.benchmark import BenchmarkError, read_benchmark
from deepcodeseek.evaluation.metrics import bootstrap_interval
from deepcodeseek.evaluation.mining import judge_clear_intent

GOOD = {"id": "s1", "code_before": "var gr = new GlideRecord('incident');\n", "code_middle": "var u = new Util();",
        "code_after": "", "target_namespace": "global.Util", "target_method": None, "scope": "global",
        "table": "sys_script", "source": "hand"}


def test_bad_lines_are_named_and_skipped(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text("\n".join([
        json.dumps(GOOD),
        json.dumps({**GOOD, "id": "s2", "code_before": ""}),
        "{oops",
        json.dumps({**GOOD, "id": "s3", "target_namespace": "Nope"}),
    ]) + "\n")
    bench = read_benchmark(path, known_namespaces={"Util"})
    assert [s.id for s in bench.samples] == ["s1"] and bench.samples[0].target_namespace == "Util"
    assert bench.skipped[0].startswith("bench.jsonl:2: missing code_before")
    assert bench.skipped[1].startswith("bench.jsonl:3: not JSON")
    assert "unknown namespace 'Nope'" in bench.skipped[2]


def test_a_file_that_is_not_jsonl_is_an_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("this is not a benchmark\n")
    with pytest.raises(BenchmarkError, match="no usable sample"):
        read_benchmark(path)
    with pytest.raises(BenchmarkError, match="cannot read"):
        read_benchmark(tmp_path / "missing.jsonl")


def test_bootstrap_interval_brackets_the_mean():
    values = [1.0] * 30 + [0.0] * 70
    lo, hi = bootstrap_interval(__import__("numpy").array(values))
    assert lo < 0.3 < hi and hi - lo < 0.25


def test_heuristic_clear_intent():
    assert judge_clear_intent("var a;\n// notify the assignee\n")
    assert judge_clear_intent("notifyAssignee: function(task) {\n    var a = task.assigned_to;")
    assert not judge_clear_intent("var a;\nx = 1;")
    assert not judge_clear_intent("run: function() {\n    var a = 1;")  # a one-word name says little
