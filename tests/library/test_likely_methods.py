"""Each result lists the methods the code around the cursor names first; parsing them is cached safely."""

from __future__ import annotations

import json

from deepcodeseek.retrieval.retriever import _likely_methods, _parsed_methods

STORED = json.dumps(["initialize", "getOverdueCases", "closeCase", "getCaseById", "reopen", "assign"])


def test_the_methods_the_context_names_come_first_then_the_stored_usage_order():
    methods, words = _parsed_methods(STORED)
    assert words[2] == frozenset({"close", "case"})
    got, matched = _likely_methods(methods, words, {"close", "case", "gr"})
    assert got == ["closeCase", "getCaseById", "initialize", "getOverdueCases", "reopen"] and matched == "closeCase"
    assert _likely_methods(methods, words, {"nothing"}) == (methods[:5], None)  # no overlap: usage order


def test_a_returned_list_is_never_the_cached_one():
    methods, words = _parsed_methods(STORED)
    for context in ({"close", "case"}, {"nothing"}):
        got, _ = _likely_methods(methods, words, context)
        got.append("changed by a caller")
    assert _parsed_methods(STORED)[0] == json.loads(STORED)
    assert _parsed_methods(STORED) is _parsed_methods(STORED)  # parsed once
