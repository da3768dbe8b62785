"""API docs per index version: written from the structured JSDoc, read back by the query path."""

from __future__ import annotations

import json

from deepcodeseek.documents import jsdoc_text
from deepcodeseek.index.api_docs import (
    API_DOCS_FILE,
    catalog_from_documents,
    load_api_docs,
    one_line,
    parse_rendered_jsdoc,
    write_api_docs,
)
from deepcodeseek.jsdoc.model import MethodDoc, NamespaceDoc, ParamDoc


def _doc() -> NamespaceDoc:
    return NamespaceDoc(
        namespace="HRCaseUtils", api_name="x_acme_hr.HRCaseUtils",
        description="Helpers for HR cases.\nSecond line that is not the summary.",
        methods=[
            MethodDoc("initialize", "Constructor."),
            MethodDoc("resolveCase", "Resolve a case and notify the employee.",
                      [ParamDoc("caseId", "string", "sys_id of the case"), ParamDoc("notes")], "boolean", "true when done"),
            MethodDoc("listOpen", "", [], "GlideRecord"),
        ])


def _row(doc: NamespaceDoc, sys_id: str = "s1", kind: str = "script_include") -> dict:
    return {"sys_id": sys_id, "namespace": doc.namespace, "api_name": doc.api_name, "scope": "x_acme_hr",
            "kind": kind, "methods": json.dumps(["resolveCase", "listOpen"]), "text": jsdoc_text(doc, "x_acme_hr", kind)}


def test_written_catalog_has_summary_signatures_and_full_jsdoc(tmp_path):
    doc = _doc()
    n = write_api_docs([_row(doc), {**_row(doc, "s2"), "api_name": "global.NoDoc", "namespace": "NoDoc"}],
                       {"s1": doc.to_json()}, tmp_path / API_DOCS_FILE)
    assert n == 2
    catalog = load_api_docs(tmp_path)
    assert catalog.source == "api_docs" and len(catalog) == 2
    api = catalog.get("x_acme_hr.HRCaseUtils")
    assert api.summary == "Helpers for HR cases."
    assert [m.name for m in api.methods] == ["resolveCase", "listOpen"]  # the constructor is not an API to call
    assert api.signature_of("resolveCase") == "resolveCase(caseId, notes)"
    assert api.method("resolveCase").returns == "boolean"
    assert api.method("resolveCase").summary == "Resolve a case and notify the employee."
    assert "@param {string} caseId - sys_id of the case" in api.jsdoc
    bare = catalog.get("global.NoDoc")  # a document without JSDoc still has an entry
    assert bare.summary == "" and bare.methods == [] and bare.signature_of("x") == "x()"


def test_lookup_by_api_name_or_bare_namespace_any_case(tmp_path):
    doc = _doc()
    write_api_docs([_row(doc)], {"s1": doc.to_json()}, tmp_path / API_DOCS_FILE)
    catalog = load_api_docs(tmp_path)
    assert [a.api_name for a in catalog.find("x_acme_hr.HRCaseUtils")] == ["x_acme_hr.HRCaseUtils"]
    assert [a.api_name for a in catalog.find("hrcaseutils")] == ["x_acme_hr.HRCaseUtils"]
    assert catalog.find("Nope") == []


def test_version_without_the_file_is_parsed_back_from_its_document_text(tmp_path):
    assert load_api_docs(tmp_path) is None
    doc = _doc()
    catalog = catalog_from_documents([_row(doc)])
    assert catalog.source == "document_text"
    api = catalog.get("x_acme_hr.HRCaseUtils")
    write_api_docs([_row(doc)], {"s1": doc.to_json()}, tmp_path / API_DOCS_FILE)
    expected = load_api_docs(tmp_path).get("x_acme_hr.HRCaseUtils")
    assert api.summary == expected.summary
    assert [(m.name, m.signature, m.summary, m.returns) for m in api.methods] == \
        [(m.name, m.signature, m.summary, m.returns) for m in expected.methods]


def test_parse_rendered_ignores_blocks_of_other_namespaces_and_keeps_order():
    summary, methods = parse_rendered_jsdoc(_doc().render(), "HRCaseUtils")
    assert summary == "Helpers for HR cases."
    assert [m.signature for m in methods] == ["initialize()", "resolveCase(caseId, notes)", "listOpen()"]
    assert parse_rendered_jsdoc("", "X") == ("", [])


def test_one_line_is_the_first_nonempty_line_cut_to_a_limit():
    assert one_line("\n  first  \nsecond") == "first"
    assert len(one_line("x" * 500, 50)) == 50
