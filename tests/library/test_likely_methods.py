"""Each result lists the methods the code around the cursor names first; parsing them is cached safely."""

from __future__ import annotations

import json

from deepcodeseek.retrieval.retriever import _likely_methods, _parsed_methods

STORED = json.dumps(["initialize", "getOverdueCases", "closeCase", "getCaseById", "reopen", "assign"])


def test_the_methods_the_context_names_come_first_then_the_stored_usage_order():
    parsed = _parsed_methods(STORED)
    assert parsed.words[2] == frozenset({"close", "case"}) and "overdue" in parsed.vocabulary
    got, matched = _likely_methods(parsed, {"close", "case", "gr"})
    assert got == ["closeCase", "getCaseById", "initialize", "getOverdueCases", "reopen"] and matched == "closeCase"
    assert _likely_methods(parsed, {"nothing"}) == (parsed.methods[:5], None)  # no overlap: usage order


def test_a_returned_list_is_never_the_cached_one():
    parsed = _parsed_methods(STORED)
    for context in ({"close", "case"}, {"nothing"}):
        got, _ = _likely_methods(parsed, context)
        got.append("changed by a caller")
    assert _parsed_methods(STORED).methods == json.loads(STORED)
    assert _parsed_methods(STORED) is _parsed_methods(STORED)  # parsed once
