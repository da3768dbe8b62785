"""A loaded version's documents as columns: rows as before, texts read once and only when asked."""

from __future__ import annotations

import json

import pytest

from deepcodeseek.ranking.doc_facts import DocFacts
from deepcodeseek.retrieval.doc_columns import DocumentColumns, column, methods_of

ROWS = [
    {"sys_id": "a1", "namespace": "IncidentUtils", "api_name": "global.IncidentUtils", "scope": "global",
     "access": "public", "active": True, "kind": "script_include", "usage_count": 3,
     "methods": ["getRecord", "rowCount"], "text": "IncidentUtils: incident helpers"},
    {"sys_id": "b2", "namespace": "GlideRecord", "api_name": "GlideRecord", "scope": None,
     "access": None, "active": True, "kind": "platform", "usage_count": 40,
     "methods": ["query", "next"], "text": "GlideRecord: table queries"},
    {"sys_id": "c3", "namespace": "MailSender", "api_name": "x_app.MailSender", "scope": "x_app",
     "access": "package_private", "active": False, "kind": "script_include", "usage_count": 0,
     "methods": [], "text": "MailSender: mail"},
]


def _columns(rows=ROWS) -> dict[str, list]:
    names = [k for k in rows[0] if k != "text"]
    cols = {k: [r[k] for r in rows] for k in names}
    cols["methods"] = [json.dumps(m) for m in cols["methods"]]
    return cols


class Reads:
    """The texts reader, counting its calls."""

    def __init__(self, texts: dict[str, str]):
        self.texts, self.calls = texts, 0

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        return dict(self.texts)


def test_rows_are_the_stored_documents_without_their_texts():
    reads = Reads({r["sys_id"]: r["text"] for r in ROWS})
    docs = DocumentColumns(_columns(), reads)
    assert len(docs) == 3 and reads.calls == 0
    for got, want in zip(docs, ROWS):
        assert got == {k: v for k, v in want.items() if k != "text"}
    assert docs[-1]["namespace"] == "MailSender" and [d["sys_id"] for d in docs[1:]] == ["b2", "c3"]
    assert docs.namespaces() == {"IncidentUtils", "GlideRecord", "MailSender"}
    assert docs.rows_by_namespace()["GlideRecord"] == [1]
    assert docs.flags("kind", "platform").tolist() == [False, True, False]
    with pytest.raises(IndexError, match="document 3 of 3"):
        docs[3]
    assert reads.calls == 0  # nothing so far needed a text


def test_texts_are_read_once_in_row_order_and_a_missing_one_is_named():
    reads = Reads({r["sys_id"]: r["text"] for r in reversed(ROWS)})  # the reader's order does not matter
    docs = DocumentColumns(_columns(), reads)
    assert docs.text(1) == "GlideRecord: table queries"
    assert docs.texts() == [r["text"] for r in ROWS] and reads.calls == 1
    broken = DocumentColumns(_columns(), Reads({"a1": "x", "b2": "y"}))
    with pytest.raises(ValueError, match="1 documents have none \\(first: 'c3'\\)"):
        broken.texts()
    with pytest.raises(ValueError, match="missing methods"):
        DocumentColumns({k: v for k, v in _columns().items() if k != "methods"}, reads)


def test_repeated_values_share_one_string():
    rows = [dict(ROWS[0], sys_id=f"s{i}", scope="".join(["x_", "app"])) for i in range(3)]  # equal, not identical
    assert rows[0]["scope"] is not rows[1]["scope"]
    docs = DocumentColumns(_columns(rows), Reads({}))
    scopes = docs.column("scope")
    assert scopes[0] is scopes[1] is scopes[2]


def test_columns_and_dicts_give_the_same_facts():
    """The ranker's document facts read columns where the Retriever has them, dicts in tests."""
    docs = DocumentColumns(_columns(), Reads({}))
    dicts = [{k: v for k, v in r.items() if k != "text"} for r in ROWS]
    assert column(docs, "namespace") == column(dicts, "namespace")
    assert list(methods_of(docs)) == list(methods_of(dicts))
    a, b = DocFacts(docs), DocFacts(dicts)
    assert a.scopes.tolist() == b.scopes.tolist() and a.access_public.tolist() == b.access_public.tolist()
    assert a.best_method_overlap(["row", "count"]).tolist() == b.best_method_overlap(["row", "count"]).tolist() == [2, 0, 0]
