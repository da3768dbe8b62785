"""Records JSONL and the bundled sample instance: good records in, bad ones named and skipped."""

from __future__ import annotations

import gzip
import json

import pytest

from deepcodeseek.sources.load import load_records
from deepcodeseek.sources.records_jsonl import SourceNotFound, read_records_jsonl, write_records_jsonl
from deepcodeseek.sources.sample_instance import read_sample_instance
from deepcodeseek.store import InstanceStore
from tests.conftest import shared_path

SI = {"table": "sys_script_include", "sys_id": "a" * 32, "name": "CaseUtils", "scope": "x_app",
      "access": "package_private", "client_callable": "true", "script": "var CaseUtils = Class.create();"}


def test_reads_plain_and_gzipped_files_and_names_bad_lines(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps(SI) + "\n{not json\n" + json.dumps({"table": "js"}) + "\n")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt") as fh:
        fh.write(json.dumps({**SI, "sys_id": "b" * 32, "name": "Other", "scope": None}) + "\n")
    result = read_records_jsonl(tmp_path)
    assert [r.name for r in result.records] == ["CaseUtils", "Other"]
    first = result.records[0]
    assert first.api_name == "x_app.CaseUtils" and first.access == "package_private" and first.client_callable
    assert result.records[1].scope == "global"
    assert [e.origin for e in result.errors] == ["a.jsonl:2", "a.jsonl:3"]
    assert "not JSON" in result.errors[0].message and "script" in result.errors[1].message


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(SourceNotFound, match="does not exist"):
        read_records_jsonl(tmp_path / "nowhere")
    with pytest.raises(SourceNotFound, match="no \\*.jsonl"):
        read_records_jsonl(tmp_path)


def test_sample_instance_is_realistic():
    result = read_sample_instance()
    assert not result.errors
    sis = [r for r in result.records if r.is_script_include]
    scripts = [r for r in result.records if not r.is_script_include]
    assert 30 <= len(sis) <= 40 and 60 <= len(scripts) <= 100
    assert len({r.scope for r in sis}) >= 5
    assert {r.access for r in sis} == {"public", "package_private"}
    assert any(r.client_callable for r in sis) and any(not r.active for r in sis)
    assert any("extendsObject" in r.script for r in sis)
    assert any("GlideAjax" in r.script for r in scripts)
    assert len({r.sys_id for r in result.records}) == len(result.records)


def test_round_trip_through_records_jsonl_and_duckdb(tmp_path):
    sample = read_sample_instance()
    write_records_jsonl(sample.records, tmp_path / "records" / "sample.jsonl.gz")
    again = read_records_jsonl(tmp_path / "records")
    assert [r.content_hash for r in again.records] == [r.content_hash for r in sample.records]
    summary = load_records(InstanceStore(tmp_path / "db.duckdb"), again)
    assert summary.script_includes == sum(r.is_script_include for r in sample.records)
    assert summary.scripts + summary.script_includes == len(sample.records)


def test_reads_the_shared_corpus():
    result = read_records_jsonl(shared_path("corpus"))
    assert result.files >= 17
    assert sum(r.is_script_include for r in result.records) > 1300
    assert len(result.errors) < 0.01 * len(result.records)
    assert all(str(e).startswith(e.origin) for e in result.errors)
