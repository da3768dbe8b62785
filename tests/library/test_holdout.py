"""The one held-out rule, and the leak guards: each guarantee fails here when it breaks."""

from __future__ import annotations

import inspect

from deepcodeseek.datasets.holdout import (
    CallContext,
    HoldOut,
    assign_splits,
    exclusions_for,
    near_duplicate_links,
    read_holdout,
    script_groups,
    write_holdout,
)
from deepcodeseek.datasets.splits import split_of
from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.evaluation.intent_judge import _prompt
from deepcodeseek.evaluation.leaks import cut_suffix, names_target, prefix_names_target, without_suffix_leak
from deepcodeseek.evaluation.mining import judge_clear_intent
from deepcodeseek.evaluation.runner import guard_leaks

CONTEXT = """// Nightly: remind the callers of open priority-one incidents that nobody updated today
var cutoff = new GlideDateTime();
cutoff.addDaysUTC(-1);
var gr = new GlideRecord('incident');
gr.addQuery('active', true);
gr.addQuery('sys_updated_on', '<', cutoff);
gr.addQuery('priority', 1);
gr.query();
while (gr.next()) {
    var caller = gr.caller_id.getRefRecord();
    var notifier = new """


def _sample(script: str, target: str = "IncidentNotifier", before: str = CONTEXT, after: str = "") -> Sample:
    return Sample(id=f"{script}:7:{target}", code_before=before, target_namespace=target, code_after=after,
                  source=f"mined:{script}")


def test_a_planted_near_duplicate_links_its_script_and_unrelated_code_does_not():
    twin = CONTEXT.replace("var caller =", "var person =")  # the same boilerplate, one variable renamed
    contexts = [CallContext("A", "T1", CONTEXT), CallContext("B", "T1", twin),
                CallContext("C", "T2", twin),  # same code, another API: not evidence for T1
                CallContext("D", "T1", "var x = current.getValue('short_description');\nvar y = new ")]
    links = near_duplicate_links(contexts)
    assert ("A", "B") in links or ("B", "A") in links
    assert not any("C" in pair or "D" in pair for pair in links)


def test_a_twin_is_held_out_with_its_partner_whatever_its_own_hash_says():
    # Find two scripts whose own hashes would put them in different splits, one of them held out.
    names = [f"s{i}" for i in range(200)]
    held = next(n for n in names if split_of(f"mined:{n}") == "dev")
    free = next(n for n in names if split_of(f"mined:{n}") == "train" and n > held)
    groups = script_groups([held, free], [(held, free)])
    holdout = assign_splits([_sample(held), _sample(free)], groups)
    assert holdout.split_of_script(held) == holdout.split_of_script(free)  # one group, one split
    assert {held, free} <= holdout.held_out() or not ({held, free} & holdout.held_out())
    twin_only = assign_splits([_sample(held)], groups)  # the twin has no sample of its own
    assert free in twin_only.held_out()
    assert twin_only.exclusions(_sample(held)) == frozenset({held, free})


def test_holdout_round_trips_and_an_unknown_script_excludes_only_itself(tmp_path):
    holdout = assign_splits([_sample("a"), _sample("b")], script_groups(["a", "b"], [("a", "b")]))
    write_holdout(holdout, tmp_path)
    again = read_holdout(tmp_path)
    assert again.as_json() == holdout.as_json()
    assert exclusions_for(_sample("zzz"), again) == frozenset({"zzz"})
    assert exclusions_for(Sample(id="hand-1", code_before="x", target_namespace="T"), again) == frozenset()
    assert read_holdout(tmp_path / "nowhere").held_out() == frozenset()  # no benchmark: nothing held out


def test_a_planted_suffix_leak_is_cut_before_the_line_that_names_the_target():
    after = "    // compute the score\n    var n = 3;\n    var util = new x_acme.ScoreUtils();\n    util.run(n);"
    sample = _sample("s", "ScoreUtils", before="var a = 1;\nvar b = 2;", after=after)
    cut, was_cut = without_suffix_leak(sample)
    assert was_cut and "ScoreUtils" not in cut.code_after and cut.code_after.endswith("var n = 3;")
    assert without_suffix_leak(cut) == (cut, False)
    assert cut_suffix("GlideAjax('ScoreUtils')", "ScoreUtils") == ("", True)  # named in a string too
    assert not names_target("var u = new ScoreUtilsV2();", "ScoreUtils")  # a longer name is another API
    kept, leaks, skipped = guard_leaks([sample, _sample("p", "ScoreUtils", before="var s = ScoreUtils;\nx();")])
    assert leaks == {"suffix_cut": 1, "prefix_named": 1} and len(kept) == 1 and "names its target" in skipped[0]
    assert prefix_names_target(_sample("q", "ScoreUtils", before="// scoreutils does it\nvar a;"))


def test_the_clear_intent_judge_reads_only_what_a_query_sees():
    assert list(inspect.signature(judge_clear_intent).parameters) == ["code_before"]
    sample = Sample(id="s:1:T", code_before="var a = 1;\nvar b = 2;", target_namespace="T",
                    code_middle="var overdueApprovalCases = new T();")
    assert "overdueApprovalCases" not in _prompt(sample)  # the LLM judge never sees the call line either


def test_holdout_without_groups_holds_out_only_the_scripts_of_held_out_splits():
    samples = [_sample(f"s{i}") for i in range(300)]
    holdout = assign_splits(samples, script_groups([f"s{i}" for i in range(300)], []))
    assert isinstance(holdout, HoldOut)
    for s in samples:
        script = s.source.split(":", 1)[1]
        assert (script in holdout.held_out()) == (split_of(f"mined:{script}") != "train")
