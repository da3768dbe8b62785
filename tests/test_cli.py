"""The CLI contract that later checks call: index, retrieve, and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deepcodeseek.sources.records_jsonl import write_records_jsonl
from deepcodeseek.sources.sample_instance import read_sample_instance
from tests.steps import BEYOND_THE_INDEX


def run_cli(*args: str, home: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {"DEEPCODESEEK_HOME": str(home), "DEEPCODESEEK_ENV": "ci", "HF_HUB_OFFLINE": "1",
           "PATH": "/usr/bin:/bin", "HOME": str(home.parent)}
    return subprocess.run([sys.executable, "-m", "deepcodeseek.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)


# This file is about the CLI's contract, so its build leaves out the stages beyond the index (``--skip``,
# as an operator who wants the index published sooner would).


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    """An instance registered from a folder of records JSONL and indexed by the CLI."""
    root = tmp_path_factory.mktemp("cli")
    write_records_jsonl(read_sample_instance().records, root / "records" / "acme.jsonl")
    skips = [arg for step in BEYOND_THE_INDEX for arg in ("--skip", step)]
    done = run_cli("index", "--instance", "acme-dev", "--records", str(root / "records"), *skips, home=root / "home")
    assert done.returncode == 0, done.stderr[-2000:]
    return root / "home"


def test_retrieve_writes_one_json_line_per_query(indexed, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join(json.dumps(q) for q in [
        {"id": "q1", "code_before": "var tag = current.getValue('asset_tag');\nif (!", "scope": "x_acme_itam"},
        {"id": "q2", "code_before": "// retry the outbound call with backoff\nvar policy = new ",
         "code_after": "policy.execute(fn);", "scope": "x_acme_integ"},
    ]) + "\n")
    done = run_cli("retrieve", "--instance", "acme-dev", "--queries", str(queries), "--k", "40", home=indexed)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2"]
    for line in lines:
        assert 1 <= len(line["results"]) <= 40
        first = line["results"][0]
        assert set(first) == {"namespace", "api_name", "methods", "score"}
        scores = [r["score"] for r in line["results"]]
        assert scores == sorted(scores, reverse=True)
    assert "validateAssetTag" in [r["namespace"] for r in lines[0]["results"][:3]]
    assert lines[0]["results"][0]["api_name"].endswith("." + lines[0]["results"][0]["namespace"])

    for method in ("bm25", "dense"):
        done = run_cli("retrieve", "--instance", "acme-dev", "--queries", str(queries), "--k", "5",
                       "--method", method, home=indexed)
        assert done.returncode == 0 and len(done.stdout.splitlines()) == 2


def test_explain_prints_signals_and_scope_rule(indexed, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": 1, "code_before": "var ga = new GlideAjax('", "scope": "x_acme_hr"}) + "\n")
    done = run_cli("retrieve", "--instance", "acme-dev", "--queries", str(queries), "--explain", home=indexed)
    assert done.returncode == 0 and "scope rule:" in done.stdout and "bm25=" in done.stdout


@pytest.mark.parametrize("setup, args, message", [
    (None, ["retrieve", "--instance", "nope", "--queries", "Q"], "nope"),
    (None, ["retrieve", "--instance", "acme-dev", "--queries", "missing.jsonl"], "missing.jsonl"),
    ('{"id": 1, "code_before": "x"}\nnot json\n', ["retrieve", "--instance", "acme-dev", "--queries", "Q"], "Q:2: not JSON"),
    (None, ["retrieve", "--instance", "acme-dev", "--queries", "Q", "--method", "magic"], "unknown method"),
    (None, ["retrieve", "--instance", "acme-dev", "--queries", "Q", "--method", "hyde"], "needs an LLM"),
    (None, ["index", "--instance", "ghost"], "unknown instance 'ghost'"),
    (None, ["index", "--instance", "Bad Name!", "--records", "."], "invalid instance name"),
    (None, ["index", "--instance", "x", "--records", "/no/such/dir"], "/no/such/dir"),
    (None, ["index", "--instance", "acme-dev", "--skip", "embeddings"], "cannot skip 'embeddings'"),
])
def test_bad_input_is_one_line_and_non_zero(indexed, tmp_path, setup, args, message):
    q = tmp_path / "Q"
    q.write_text(setup if setup is not None else '{"id": 1, "code_before": "var a;"}\n')
    args = [str(q) if a == "Q" else a for a in args]
    done = run_cli(*args, home=indexed, cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


def test_export_status_and_mine(indexed, tmp_path):
    done = run_cli("export", "--instance", "acme-dev", "--out", str(tmp_path / "out"), home=indexed)
    assert done.returncode == 0, done.stderr
    from deepcodeseek.sources.records_jsonl import read_records_jsonl

    exported = read_records_jsonl(tmp_path / "out")
    original = read_sample_instance().records
    assert sorted(r.content_hash for r in exported.records) == sorted(r.content_hash for r in original)

    done = run_cli("status", "--instance", "acme-dev", home=indexed)
    status = json.loads(done.stdout)
    assert status["records"]["sys_script_include"] == 38 and status["index_version"] and status["model"]

    done = run_cli("mine", "--instance", "acme-dev", "--out", str(tmp_path / "bench.jsonl"), home=indexed)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    lines = [json.loads(line) for line in (tmp_path / "bench.jsonl").read_text().splitlines()]
    assert len(lines) == sum(summary["by_split"].values()) > 20
    assert list(lines[0])[:9] == ["id", "code_before", "code_middle", "code_after", "target_namespace",
                                  "target_method", "scope", "table", "source"]
    assert all(line["target_namespace"].lower() not in line["code_before"].lower() for line in lines)


def test_instance_add_validates_sources(tmp_path):
    home = tmp_path / "home"
    done = run_cli("instance", "add", "prod", "--source", "table-api", "--url", "not-a-url", home=home)
    assert done.returncode == 2 and "table-api source needs --url" in done.stderr
    done = run_cli("instance", "add", "repo", "--source", "export", "--path", str(tmp_path / "missing"), home=home)
    assert done.returncode == 2 and "does not exist" in done.stderr
    (tmp_path / "app").mkdir()
    done = run_cli("instance", "add", "repo", "--source", "export", "--path", str(tmp_path / "app"), home=home)
    assert done.returncode == 0
    done = run_cli("instance", "add", "repo", "--source", "export", "--path", str(tmp_path / "app"),
                   "--schedule", "0 2 31 * * *", home=home)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "has 6 fields" in done.stderr
    done = run_cli("instance", "add", "repo", "--source", "export", "--path", str(tmp_path / "app"),
                   "--schedule", "@daily", home=home)
    assert done.returncode == 0
    listed = [json.loads(line) for line in run_cli("instance", "list", home=home).stdout.splitlines()]
    assert {c["name"]: c["source"] for c in listed} == {"repo": "export", "sample": "sample"}
    assert next(c for c in listed if c["name"] == "repo")["schedule"] == "@daily"
