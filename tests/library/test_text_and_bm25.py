"""Identifier-aware tokens and the BM25 baseline built on them."""

from __future__ import annotations

from deepcodeseek.index.bm25 import BM25Index
from deepcodeseek.text import code_tokens, last_lines, split_identifier


def test_identifiers_split_into_words():
    assert split_identifier("getHRCaseByID") == ["get", "hr", "case", "by", "id"]
    assert split_identifier("x_acme_hr.CaseUtils") == ["x", "acme", "hr", "case", "utils"]
    tokens = code_tokens("var u = new x_acme_hr.CaseUtils(); u.getOverdueCases(5);")
    assert "caseutils" in tokens and "overdue" in tokens and "var" not in tokens


def test_last_lines_skips_blank_lines():
    assert last_lines("a\n\nb\nc\n\n", 2) == "b\nc"


def test_bm25_ranks_by_split_identifiers_and_survives_save_load(tmp_path):
    index = BM25Index.build(["AssetTagValidator validates asset tags", "CaseUtils overdue HR cases",
                             "RestRetry retries outbound REST calls"])
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    scores = loaded.scores("var overdue = findOverdueCases();")
    assert scores.argmax() == 1
    assert loaded.scores("zzz qqq").sum() == 0
