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


def test_counting_over_word_holders_orders_as_one_intersection_per_method_would():
    """The holders' counts give the order of the plain definition: most shared words first, ties and
    the rest in stored usage order, on many methods sharing words (as ``GlideRecord``'s do)."""
    import random

    rng = random.Random(7)
    parts = ["get", "set", "value", "record", "query", "next", "add", "display", "element", "table"]
    for trial in range(300):
        names = list(dict.fromkeys(rng.choice(parts) + "".join(w.title() for w in rng.sample(parts, rng.randint(0, 3)))
                                   for _ in range(rng.randint(1, 40))))
        parsed = _parsed_methods(json.dumps(names))
        context = set(rng.sample(parts + ["gr", "current"], rng.randint(0, 6)))
        overlaps = [len(context & w) for w in parsed.words]
        order = sorted(range(len(names)), key=lambda j: -overlaps[j])
        expected = ([names[j] for j in order[:5]], names[order[0]]) if any(overlaps) else (names[:5], None)
        assert _likely_methods(parsed, context) == expected, (names, context)
